/**
 * Slow suite (`npm run test:slow`): the flagship command, full data, 30 rounds, as a real
 * process — per-round JSON, ε accounting within the target, Byzantine updates rejected, summary.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { startCli, stopAll } from '../_support/processes.ts'

after(async () => { await stopAll() })

test('fl-sim --clients 20 --rounds 30 --partition dirichlet:0.5 --select tcs --dp-epsilon 8 --quantize 8 --byzantine 4 --aggregate trimmed-mean --seed 1 --json', async () => {
  const p = startCli(['fl-sim', '--clients', '20', '--rounds', '30', '--partition', 'dirichlet:0.5', '--select', 'tcs', '--dp-epsilon', '8', '--quantize', '8', '--byzantine', '4', '--aggregate', 'trimmed-mean', '--seed', '1', '--json'])
  assert.equal(await p.exited, 0, p.stderr)
  const lines = p.stdout.trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
  const rounds = lines.filter(l => l.event === 'round')
  assert.equal(rounds.length, 30)
  const eps = rounds.map(r => r.epsilon as number)
  for (let i = 1; i < eps.length; i++) assert.ok(eps[i] > eps[i - 1])
  assert.ok(eps[29] <= 8 + 1e-9)
  const summary = lines.at(-1) as Record<string, unknown>
  assert.equal(summary.event, 'summary')
  assert.deepEqual(summary.byzantineClients, [1, 3, 4, 15])
  // sign-flip ×4 of a C-clipped update has norm 4C > 3C: every selected attacker's update is rejected
  const attackerRounds = rounds.reduce((s, r) => s + (r.byzantineSelected as number), 0)
  assert.equal((summary.rejected as Record<string, number>).norm, attackerRounds)
  assert.ok((summary.bytesRatio as number) < 1)
  assert.match(p.stderr, /round 30\/30 acc/)
})
