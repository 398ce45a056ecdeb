/**
 * The simulator and `novacron sim`: same seed, same output; Byzantine runs keep agreement and
 * produce evidence; partitions heal and the run terminates; the CLI prints the documented JSON,
 * documents every option in --help and turns bad flags into usage errors (exit 2).
 */
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { binomialCdf, binomialSf, initCoreWasm } from '../../core-wasm/index.ts'
import { simulate } from '../../core/consensus/index.ts'
import { summariseSweep, sweepCase, sweepOutcome } from '../../core/consensus/sim/sweep.ts'
import { main } from '../../node-runtime/cli/main.ts'
import { command as simCommand } from '../../node-runtime/cli/commands/sim.ts'

await initCoreWasm()
const quorumMath = { binomialSf, binomialCdf }

test('same seed, same result; another seed, another run', () => {
  const opts = { protocol: 'probft' as const, n: 10, byzantine: 3, strategy: 'conflicting-votes' as const, decisions: 2, seed: 11, quorumMath }
  const a = simulate(opts)
  const b = simulate(opts)
  assert.deepEqual(a, b)
  assert.equal(a.decided, 2)
  const c = simulate({ ...opts, seed: 12 })
  assert.notDeepEqual({ ...c, seed: 0 }, { ...a, seed: 0 })
})

test('equivocating leaders are caught, kept as evidence, and honest replicas still agree', () => {
  const r = simulate({ protocol: 'probft', n: 10, byzantine: 3, strategy: 'equivocating-leader', decisions: 4, seed: 5, quorumMath })
  assert.equal(r.safetyViolations, 0)
  assert.equal(r.decided, 4)
  assert.ok(r.evidence.leader > 0, 'leader equivocation evidence recorded')
})

test('a partition early in the run heals and every honest replica decides (PBFT, ProBFT)', () => {
  for (const protocol of ['pbft', 'probft'] as const) {
    const r = simulate({ protocol, n: protocol === 'pbft' ? 7 : 16, decisions: 3, seed: 3, partitions: 2, partitionTicks: 30, partitionHorizon: 4, quorumMath })
    assert.ok(r.network.partitioned > 0, 'the partition cut messages')
    assert.equal(r.decided, 3, protocol)
    assert.equal(r.completed, true)
    assert.equal(r.safetyViolations, 0)
  }
})

function io (): { io: { stdout: PassThrough, stderr: PassThrough, stdin: PassThrough }, out: () => string, err: () => string } {
  const stdout = new PassThrough(); const stderr = new PassThrough()
  let o = ''; let e = ''
  stdout.on('data', d => { o += String(d) }); stderr.on('data', d => { e += String(d) })
  return { io: { stdout, stderr, stdin: new PassThrough() }, out: () => o, err: () => e }
}

test('novacron sim --json prints the documented fields', async () => {
  const t = io()
  const code = await main(['sim', '--protocol', 'probft', '--n', '7', '--byzantine', '2', '--strategy', 'silent', '--decisions', '2', '--seed', '7', '--json'], t.io)
  assert.equal(code, 0, t.err())
  const r = JSON.parse(t.out()) as Record<string, unknown>
  for (const key of ['decided', 'safetyViolations', 'messagesPerDecision', 'bytesPerDecision', 'latencySteps', 'strategy', 'seed']) assert.ok(key in r, key)
  assert.equal(r.decided, 2)
  assert.equal(r.strategy, 'silent')
  assert.equal(r.seed, 7)
  assert.ok((r.latencySteps as { median: number }).median >= 3, 'at least three steps per decision')
})

test('novacron sim --help documents every option; bad flags are usage errors', async () => {
  const t = io()
  assert.equal(await main(['sim', '--help'], t.io), 0)
  for (const o of simCommand.options) assert.ok(t.out().includes(`--${o.name}`), o.name)
  for (const argv of [['--n', '2'], ['--protocol', 'raft'], ['--n', '7', '--byzantine', '3'], ['--strategy', 'nice'], ['--bogus'], ['--seed', 'x']]) {
    const b = io()
    assert.equal(await main(['sim', ...argv], b.io), 2, argv.join(' '))
    assert.match(b.err(), /--[a-z]+/, 'the error names a flag')
  }
})

test('a small slice of the seeded safety sweep (every strategy, n = 16, f = 5): agreement and termination', () => {
  // indexes 0 and 3: equivocating leader (3 with a partition), 1 silent, 5 conflicting votes,
  // 7 forged VRF, 9 garbage; `npm run bench -- consensus` runs 1,000 of these, the slow suite 40
  const outcomes = [0, 1, 3, 5, 7, 9].map(i => { const c = sweepCase(i); return sweepOutcome(c, simulate({ ...c, quorumMath })) })
  const s = summariseSweep(outcomes)
  assert.equal(s.safetyViolations, 0)
  assert.equal(s.runsNotCompleted, 0)
  assert.deepEqual(Object.keys(s.byStrategy).sort(), ['conflicting-votes', 'equivocating-leader', 'forged-vrf', 'garbage', 'silent'])
  assert.ok(s.attackedViews >= 3, 'the equivocating and conflicting runs attacked a view')
  assert.ok(s.predictedViolationsBound > 0 && s.predictedViolationsBound < 0.01, 'the model bound is computed per attacked view')
})
