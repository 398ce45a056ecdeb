/**
 * Live migration between real `novacron peer` processes (issue 20): a bootstrap (the ledger's one
 * replica, no worker) and two peers with `--migration`, capacity 1 each. Every peer runs with the
 * test-only NOVACRON_MIGRATION_CORRUPT=1, so the first chunk of every migration arrives corrupted.
 *
 * - the counter (examples/jobs/counter.c) moved mid-run with `novacron job migrate` ends with
 *   exactly the output of its native build (no lost or doubled line); the corrupted chunk was
 *   detected by its hash and sent again; the handover is a ledger entry with a new fencing token,
 *   the result is the target's, and the old holder's late result under its old token is refused
 *   on every peer; the target, keeping the task's last checkpoint, reports its chunks, which are
 *   not sent again;
 * - spin (examples/jobs/spin.c: a pure compute loop that makes no WASI call) moved mid-loop: the
 *   pause lands at a loop header's poll point, and the output is exactly the native build's;
 * - a peer stopped with SIGTERM moves its running task out within the grace period before it
 *   exits, and the task still ends with exactly the right output;
 * - a peer killed with SIGKILL: its task, checkpointed every second and kept by the other peer, is
 *   claimed again once its lease expires and resumes from the last checkpoint; the output is
 *   exactly right (no lost or doubled line); once the task reported, the peer that kept its
 *   checkpoint drops it, and the killed peer, restarted on its data dir, drops the recorded
 *   checkpoints it had taken (still on its disk): it knows them again from the ledger's replay.
 *
 * Time (session 17: 117 s → ~65 s, docs/migration.md): a peer instruments a module once per process
 * (binaryen, seconds of CPU), and a task had to outlast that on the target during the offer; the
 * SIGKILL case started a third peer, which instrumented the counter then. Now three peers start
 * at once and `before` has all of them instrument both modules at the same time (a short job of
 * each with a replica per peer: distinct peers run the replicas), and the tasks are sized for the
 * steps left before a move (a checkpoint, a commit, a dial).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import type { JobSummary } from '../../core/jobs/submitter.ts'
import type { TaskState } from '../../core/jobs/state.ts'
import { POLL_CALL } from '../../core/migration/checkpoint-run.ts'
import type { MigrationRecord } from '../../core/migration/outgoing.ts'
import type { EntryJson } from '../../node-runtime/ledger/ops.ts'
import { LedgerCluster, type ClusterPeer } from '../_support/ledger-cluster.ts'
import { startCli } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'
import { examplePath } from '../jobs/_examples.ts'
import { counterSteps, spinSteps } from './_counter-steps.ts'

const WASM = examplePath('counter', 'wasm')
/**
 * ~10 s instrumented on a quiet 2-core machine (more steps on a faster one): the task must still be
 * running after the timer-bound steps before each move (a checkpoint kept by the target — every
 * second —, a ledger commit, a dial; the modules are instrumented on every peer beforehand). 6·10⁸
 * steps ran only ~8 s in CI, with ~5 s of them needed before the move while the target still
 * instrumented the module at the offer.
 */
const N = counterSteps(800_000_000)
const SPIN_WASM = examplePath('spin', 'wasm')
/** ~12 s instrumented on the quiet 2-core machine: still in its loop after a dial and an offer */
const SPIN_N = spinSteps(2_000_000_000)

async function cli (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const p = startCli(args)
  const code = await p.exited
  return { code, stdout: p.stdout, stderr: p.stderr }
}

interface TasksView { tasks: TaskState[], refusals: Record<string, number> }
interface MigrationList { self: string, movable: string[], records: MigrationRecord[], incoming: { corruptChunks: number, snapshotsReady: number, baseInWorker?: number } }

describe('live migration between Node peers', { timeout: 900_000 }, () => {
  const cluster = new LedgerCluster({ flags: ['--job-capacity', '1', '--migration', '--migration-grace', '120s', '--checkpoint-interval', '1s'], bootFlags: ['--job-capacity', '0'], env: { NOVACRON_MIGRATION_CORRUPT: '1' } })
  let boot: ClusterPeer
  /** the native build's output (several seconds: it runs while the mesh starts) */
  let expectedOut: Promise<string>
  /** the same for spin */
  let spinExpected: Promise<string>

  before(async () => {
    expectedOut = promisify(execFile)(examplePath('counter', 'native'), [N], { maxBuffer: 1 << 20 }).then(r => r.stdout)
    spinExpected = promisify(execFile)(examplePath('spin', 'native'), [SPIN_N]).then(r => r.stdout)
    boot = await cluster.startBoot()
    await cluster.op(boot, 'config.set', { key: 'ledger.maxReplicas', value: 1 })
    // three peers: one leaves with SIGTERM, and the SIGKILL case still has two
    await Promise.all([cluster.startPeer(), cluster.startPeer(), cluster.startPeer()])
    await instrumented([WASM, SPIN_WASM])
  })
  after(async () => { await cluster.stop() })

  const peerOf = (id: string): ClusterPeer => { const p = cluster.peers.find(x => x.peerId === id); assert.ok(p != null, `peer ${id}`); return p }
  async function submit (lease = '15s', wasm = WASM, steps = N, replicas = 1): Promise<string> {
    const sub = await cli(['job', 'submit', wasm, '--tasks', '1', '--replicas', String(replicas), '--timeout', '900s', '--memory', '16MiB', '--lease', lease, '--json', '--data-dir', boot.dataDir, '--', steps])
    assert.equal(sub.code, 0, sub.stderr)
    return (JSON.parse(sub.stdout) as { job: string }).job
  }
  /**
   * Has every peer instrument each module (once per process) at the same time, ahead of the cases:
   * a short job of each with a replica per peer (distinct peers run the replicas), until each is
   * done everywhere.
   */
  async function instrumented (modules: string[]): Promise<void> {
    const peers = cluster.live().filter(p => p !== boot).length
    const jobs = await Promise.all(modules.map(async m => await submit('15s', m, '200', peers)))
    await Promise.all(jobs.map(async job => { await waitDone(job, cluster.live()) }))
  }
  /** the peer holding task 0 of `job`, once it runs it with checkpoints */
  async function movableHolder (job: string): Promise<ClusterPeer> {
    let seen = ''
    return await waitFor(async () => {
      const s = await cluster.op(boot, 'job.status', { job }) as JobSummary
      const r = s.running.find(x => x.task === 0)
      seen = `job ${s.status}, running ${JSON.stringify(s.running)}`
      if (r == null) return null
      const p = peerOf(r.worker)
      const l = await cluster.op(p, 'migration.list') as MigrationList
      seen += `; its holder's movable tasks: ${JSON.stringify(l.movable)}`
      return l.movable.includes(`${job}/0/0`) ? p : null
    }, { timeout: 300_000, interval: 500, message: () => `a peer running ${job}/0 with checkpoints (last seen: ${seen}; the peers' migration lines: ${cluster.live().flatMap(p => p.proc.stdout.split('\n').filter(l => l.includes('migration:'))).slice(-8).join(' | ')})` })
  }
  async function waitDone (job: string, peers: ClusterPeer[]): Promise<void> {
    await waitFor(async () => {
      const all = await Promise.all(peers.map(async p => await cluster.op(p, 'job.status', { job }) as JobSummary))
      return all.every(s => s.status === 'done') ? true : null
    }, { timeout: 600_000, interval: 250, message: `job ${job} done on every live peer` })
  }
  async function doneOutput (job: string, peers = cluster.live()): Promise<string> {
    await waitDone(job, peers)
    const res = await cluster.op(peers[0], 'job.result', { job }) as Array<{ stdout: string, exitCode: number }>
    assert.equal(res[0].exitCode, 0)
    return Buffer.from(res[0].stdout, 'base64').toString('utf8')
  }

  test('a counter migrated mid-run prints exactly the unmigrated output; the corrupted chunk is re-fetched; the old holder is fenced', async () => {
    const t0 = Date.now()
    const job = await submit()
    const source = await movableHolder(job)
    // a checkpoint kept by another peer first, the target: its chunks are reused by the migration
    const keeper = await waitFor(async () => {
      const v = await cluster.op(boot, 'job.tasks', { job }) as TasksView
      const k = v.tasks[0].slots[0].checkpoint?.keeper
      return k != null && k !== source.peerId ? k : null
    }, { timeout: 300_000, interval: 250, message: `a checkpoint of ${job}/0 kept by another peer` })
    const target = peerOf(keeper)
    const before = await cluster.op(source, 'job.worker') as { stats: { resultsCommitted: number, handedOver: number, leaseLostAborts: number } }
    const mig = await cli(['job', 'migrate', `${job}/0`, '--to', target.peerId, '--json', '--data-dir', source.dataDir])
    assert.equal(mig.code, 0, mig.stderr + mig.stdout)
    const rec = JSON.parse(mig.stdout) as MigrationRecord
    assert.equal(rec.status, 'done')
    assert.equal(rec.from, source.peerId)
    assert.equal(rec.to, target.peerId)
    assert.ok(rec.resentChunks >= 1, 'the corrupted chunk was sent again')
    assert.ok(rec.memoryBytes >= 65536 && rec.bytesSent > 0)
    console.log(`# migrated: downtime ${rec.downtimeMs} ms (${JSON.stringify(rec.downtimePhases)}), ${rec.bytesSent} bytes sent for ${rec.memoryBytes} bytes of memory in ${rec.rounds} rounds; the target held ${rec.targetHad} chunks of its checkpoint; started from it: ${String(rec.seeded)}`)
    const ph = rec.downtimePhases
    assert.ok(ph != null, 'the downtime is profiled')
    const sum = ph.pauseMs + ph.deltaMs + ph.digestMs + ph.finalMs + ph.handoverMs
    assert.ok(Math.abs(sum - (rec.downtimeMs ?? 0)) <= 5, `the phases (${sum} ms) add up to the downtime (${rec.downtimeMs} ms)`)
    assert.ok((rec.targetHad ?? 0) > 0, 'the target reported the chunks of the checkpoint it keeps')
    const arrived = await cluster.op(target, 'migration.list') as MigrationList
    assert.ok(arrived.incoming.corruptChunks >= 1, 'the target detected the corrupted chunk by its hash')
    assert.equal(arrived.incoming.snapshotsReady, 1)
    console.log(`# the target left the kept checkpoint's chunks to the worker it made ahead: ${String(arrived.incoming.baseInWorker === 1)}; pre-copy stopped on: ${rec.precopyStop ?? '-'}`)

    // the ledger moved the lease: a new fencing token, held by the target
    const v = await cluster.op(boot, 'job.tasks', { job }) as TasksView
    const lease = v.tasks[0].slots[0].lease
    assert.equal(lease?.worker, target.peerId)
    assert.equal(lease?.token.epoch, 2)
    // the old holder's late result under its old token is refused on every peer
    const old = rec.token
    assert.equal(old.epoch, 1)
    const staleBefore = v.refusals['stale token'] ?? 0
    await cluster.op(source, 'ledger.submit', { kind: 'job.result', data: JSON.stringify({ at: Date.now(), job, task: 0, replica: 0, token: old, output: 'f'.repeat(64) }) })
    await waitFor(async () => {
      const all = await Promise.all(cluster.live().map(async p => await cluster.op(p, 'job.tasks', { job }) as TasksView))
      return all.every(a => (a.refusals['stale token'] ?? 0) > staleBefore) ? true : null
    }, { timeout: 60_000, interval: 250, message: 'the stale result refused on every peer' })

    const movedAt = Date.now() - t0
    assert.equal(await doneOutput(job), await expectedOut)
    // the margin the task's size leaves: the move ended this long before the task did
    console.log(`# counter: submitted → moved ${movedAt} ms, → done everywhere ${Date.now() - t0} ms`)
    const fin = await cluster.op(boot, 'job.tasks', { job }) as TasksView
    assert.equal(fin.tasks[0].slots[0].result?.worker, target.peerId, 'the result is the new holder\'s')
    assert.equal(fin.tasks[0].slots[0].result?.token.epoch, 2)
    // (its counts before the move include the jobs that instrumented the modules)
    const w = await cluster.op(source, 'job.worker') as typeof before
    assert.equal(w.stats.resultsCommitted, before.stats.resultsCommitted, 'the old holder reported nothing')
    assert.equal(w.stats.handedOver + w.stats.leaseLostAborts - before.stats.handedOver - before.stats.leaseLostAborts, 1, 'its copy stopped')
  })

  test('a spin task (a pure compute loop, no WASI call) migrated mid-loop prints exactly the unmigrated output', async () => {
    const t0 = Date.now()
    const job = await submit('15s', SPIN_WASM, SPIN_N)
    const source = await movableHolder(job)
    const mig = await cli(['job', 'migrate', `${job}/0`, '--json', '--data-dir', source.dataDir])
    assert.equal(mig.code, 0, mig.stderr + mig.stdout)
    const rec = JSON.parse(mig.stdout) as MigrationRecord
    assert.equal(rec.status, 'done')
    // to the first other peer that accepted
    const target = peerOf(rec.to)
    assert.ok(target !== source && target !== boot, `moved to another worker peer (${rec.to})`)
    // stopped at a loop header's poll point: inside the loop, the only code running for seconds
    assert.equal(rec.pausedIn, POLL_CALL)
    console.log(`# spin migrated: downtime ${rec.downtimeMs} ms, ${rec.bytesSent} bytes sent for ${rec.memoryBytes} bytes of memory in ${rec.rounds} rounds, paused in ${rec.pausedIn ?? '?'}`)
    const movedAt = Date.now() - t0
    assert.equal(await doneOutput(job), await spinExpected)
    console.log(`# spin: submitted → moved ${movedAt} ms, → done everywhere ${Date.now() - t0} ms`)
    const fin = await cluster.op(boot, 'job.tasks', { job }) as TasksView
    assert.equal(fin.tasks[0].slots[0].result?.worker, target.peerId, 'the result is the new holder\'s')
  })

  test('a peer stopped with SIGTERM moves its running task out before it exits; the output is exact', async () => {
    const job = await submit()
    const leaving = await movableHolder(job)
    const stay = cluster.live().filter(p => p !== leaving && p !== boot)
    leaving.proc.child.kill('SIGTERM')
    await leaving.proc.waitForOutput(/"event":"migration:leaving"[^\n]*"tasks":1/, 60_000)
    const left = await leaving.proc.waitForOutput(/\{"event":"migration:left"[^\n]*\}/, 300_000)
    assert.deepEqual(JSON.parse(left[0]), { event: 'migration:left', moved: 1, of: 1 }, leaving.proc.stdout.split('\n').filter(l => l.includes('migration')).join('\n'))
    await leaving.proc.exited
    assert.equal(await doneOutput(job, [boot, ...stay]), await expectedOut)
    const fin = await cluster.op(boot, 'job.tasks', { job }) as TasksView
    assert.ok(stay.some(p => p.peerId === fin.tasks[0].slots[0].result?.worker), 'the result is a peer\'s that stayed')
  })

  test('a peer killed with SIGKILL: its task resumes elsewhere from its last checkpoint with exactly the right output', async () => {
    const job = await submit('6s')
    const victim = await movableHolder(job)
    const other = cluster.live().find(p => p !== victim && p !== boot) as ClusterPeer
    // a checkpoint recorded in the ledger, kept by the other peer; a timeout says what the holder's
    // checkpoints did meanwhile (recorded, failed, the last error)
    let holderSaw = ''
    const cp = await waitFor(async () => {
      const v = await cluster.op(boot, 'job.tasks', { job }) as TasksView
      const found = v.tasks[0].slots[0].checkpoint
      if (found != null) return found
      holderSaw = JSON.stringify((await cluster.op(victim, 'migration.list') as { checkpoints?: unknown }).checkpoints)
      return null
    }, { timeout: 300_000, interval: 500, message: () => `a checkpoint of ${job}/0 in the ledger (the holder's checkpoints: ${holderSaw})` })
    assert.equal(cp.keeper, other.peerId)
    await cluster.kill(victim)
    assert.equal(await doneOutput(job, [boot, other]), await expectedOut)
    const fin = await cluster.op(boot, 'job.tasks', { job }) as TasksView
    assert.equal(fin.tasks[0].slots[0].result?.worker, other.peerId)
    assert.ok((fin.tasks[0].slots[0].result?.token.epoch ?? 0) >= 2, 'claimed again after the lease expired')
    const l = await cluster.op(other, 'migration.list') as { checkpoints: { resumed: number, dropped: number } }
    assert.equal(l.checkpoints.resumed, 1, 'the new holder resumed from the checkpoint, not from the start')
    // once the slot reported its result, the checkpoint it kept (and fetched to resume) is dropped
    await waitFor(async () => {
      const x = await cluster.op(other, 'migration.list') as { checkpoints: { dropped: number } }
      return x.checkpoints.dropped >= 1 ? true : null
    }, { timeout: 60_000, interval: 500, message: 'the ended task\'s checkpoint dropped by its keeper' })
    assert.match(other.proc.stdout, new RegExp(`"event":"migration:resumed","job":"${job.replace('.', '\\.')}"`))

    // the killed holder left the checkpoints it took on its disk; restarted, it drops them
    const onDisk = (await checkpointBlobs(job)).filter(id => existsSync(manifestOf(victim, id)))
    assert.ok(onDisk.length >= 1, 'the killed holder left a recorded checkpoint on its disk')
    const back = await cluster.startPeer(undefined, victim)
    let dropped = 0
    await waitFor(async () => {
      dropped = (await cluster.op(back, 'migration.list') as { checkpoints: { dropped: number } }).checkpoints.dropped
      return onDisk.every(id => !existsSync(manifestOf(back, id))) ? true : null
    }, { timeout: 120_000, interval: 500, message: () => `the restarted peer drops ${onDisk.length} old checkpoint(s) (dropped so far: ${dropped})` })
    assert.ok(dropped >= onDisk.length)
  })

  const manifestOf = (p: ClusterPeer, id: string): string => join(p.dataDir, 'blobs', 'manifests', id)
  /** every checkpoint blob the ledger recorded for `job` (its whole log, paged) */
  async function checkpointBlobs (job: string): Promise<string[]> {
    const ids = new Set<string>()
    let from = 0
    let index = 0
    for (;;) {
      const page = await cluster.op(boot, 'ledger.log', { from, limit: 1000, index }) as EntryJson[]
      for (const e of page) {
        if (e.kind !== 'job.checkpoint') continue
        const body = JSON.parse(e.data) as { job: string, snapshot: string }
        if (body.job === job) ids.add(body.snapshot)
      }
      if (page.length < 1000) return [...ids]
      const last = page[page.length - 1]
      from = last.slot
      index = last.index + 1
    }
  }
})
