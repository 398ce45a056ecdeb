/**
 * Live learning in real processes over real libp2p: `novacron start` (the ledger's genesis
 * replica) and 3 `novacron learn` peers, each on its own Dirichlet(0.5) MNIST shard (600 digits,
 * MLP 784-32-10, 3 rounds, learners follow the ledger without joining its replica set so that
 * commits stay one hop). Every peer ends holding the same committed model hash, `novacron model
 * verify` recomputes the last round's hash from its update bodies on a peer that did not
 * coordinate it, the held-out accuracy improves over the rounds, and `model export` / `predict`
 * work on the committed model. The ≥ 90 % run is live-mesh.slow.test.ts.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { ModelStatus } from '../../node-runtime/learning/live-peer.ts'
import { LedgerCluster } from '../_support/ledger-cluster.ts'
import { modelStatus, startLearner, type Learner } from '../_support/learners.ts'
import { cleanup, startCli } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

async function cli (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const p = startCli(args)
  const code = await p.exited
  return { code, stdout: p.stdout, stderr: p.stderr }
}

describe('live learning: 3 Node peers on MNIST shards over the mesh', { timeout: 600_000 }, () => {
  const cluster = new LedgerCluster()
  const learners: Learner[] = []
  const ROUNDS = 3

  before(async () => {
    await cluster.startBoot()
    const common = ['--data', 'mnist', '--max-train', '600', '--max-test', '500', '--hidden', '32', '--rounds', String(ROUNDS), '--min-peers', '3', '--min-updates', '2', '--deadline', '20000', '--seed', '4']
    for (let i = 0; i < 3; i++) learners.push(await startLearner(cluster, `learner${i}`, [...common, '--shard', `${i}/3`]))
  })
  after(async () => { await cleanup(...learners.map(l => async () => await l.proc.stop()), async () => { await cluster.stop() }) })

  test('every peer ends with the same committed hash, which recomputes; accuracy improves over the rounds', async (t) => {
    let last: ModelStatus[] = []
    await waitFor(async () => {
      last = await Promise.all(learners.map(modelStatus))
      return last.every(s => s.round === ROUNDS && s.held && s.rounds.length === ROUNDS && s.rounds.every(r => r.localAccuracy != null))
    }, { timeout: 420_000, interval: 500, message: () => `round ${ROUNDS} everywhere; now ${last.map(s => `round ${s.round} (${s.learners.length} learners, evaluated ${s.rounds.filter(r => r.localAccuracy != null).length}, coordinated ${s.stats.roundsCoordinated}, failed ${s.stats.roundsFailed})`).join('; ')}` })
    assert.equal(new Set(last.map(s => s.hash)).size, 1, 'one committed hash')
    assert.equal(new Set(last.map(s => s.task)).size, 1)
    const rounds = last[0].rounds
    assert.deepEqual(rounds.map(r => r.round), [1, 2, 3])
    for (const r of rounds) assert.ok(r.participants.length >= 2, `round ${r.round}: ${r.participants.length} participants`)
    // the same committed round on every peer
    for (const s of last) assert.deepEqual(s.rounds.map(r => r.hash), rounds.map(r => r.hash))
    // accuracy (each peer evaluates the same committed models on the same held-out digits)
    const acc = rounds.map(r => r.localAccuracy as number)
    t.diagnostic(`accuracy per round ${acc.join(' ')}; participants ${rounds.map(r => r.participants.length).join(' ')}; bytes sent/received per peer ${last.map(s => `${s.stats.bytesSent}/${s.stats.bytesReceived}`).join(' ')}; messages ${JSON.stringify(last[0].stats.messagesSent)}`)
    assert.ok(acc[ROUNDS - 1] > acc[0], `accuracy per round ${acc.join(', ')}`)
    // bytes were counted on every peer
    for (const s of last) assert.ok(s.stats.bytesSent > 0 && s.stats.bytesReceived > 0)
    // a peer that did not coordinate the last round recomputes its hash from the update bodies
    const lastRound = rounds[ROUNDS - 1]
    const verifier = learners.find(l => l.peerId !== lastRound.coordinator) as Learner
    const v = await cli(['model', 'verify', '--round', String(ROUNDS), '--json', '--data-dir', verifier.dataDir])
    assert.equal(v.code, 0, v.stderr + v.stdout)
    const out = JSON.parse(v.stdout) as { match: boolean, recomputed: string, hash: string }
    assert.equal(out.match, true)
    assert.equal(out.recomputed, lastRound.hash)
    // export and predict on the committed model
    const dir = join(cluster.root, 'export')
    const e = await cli(['model', 'export', '--out', dir, '--json', '--data-dir', verifier.dataDir])
    assert.equal(e.code, 0, e.stderr)
    assert.ok(existsSync(join(dir, 'weights.bin')))
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { format: string, userDefinedMetadata: { sha256: string } }
    assert.equal(manifest.format, 'layers-model')
    assert.equal(manifest.userDefinedMetadata.sha256, lastRound.hash)
    const rows = join(cluster.root, 'rows.json')
    writeFileSync(rows, JSON.stringify([new Array(784).fill(0), new Array(784).fill(0.5)]))
    const p = await cli(['model', 'predict', '--input', rows, '--json', '--data-dir', verifier.dataDir])
    assert.equal(p.code, 0, p.stderr)
    const pred = JSON.parse(p.stdout) as { hash: string, predictions: Array<{ class: number, probability: number }> }
    assert.equal(pred.hash, lastRound.hash)
    assert.equal(pred.predictions.length, 2)
    for (const q of pred.predictions) assert.ok(q.class >= 0 && q.class < 10 && q.probability > 0 && q.probability <= 1)
  })
})
