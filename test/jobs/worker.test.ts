/**
 * core/jobs/worker.ts over a stand-in ledger shared by three workers (each with its own JobsState
 * fed by bindJobs, as on three peers), a shared in-memory blob map and a scripted runner (the real
 * sandbox and libp2p are tested in mesh.test.ts): every task is decided once with the runner's
 * output; a deterministic sandbox error (JobTrapError) is a result with that name; capacity bounds
 * what a worker runs at once; a blob nobody has makes the task abandoned, not reported; a cheating
 * worker with K = 3 loses every task it reports and is recorded; a worker that stops renewing
 * loses its lease to another worker, which aborts its running task (the runner's signal) and
 * reports nothing; a zombie (never renews, ignores the loss) reports late and is refused; a claim
 * whose submit timed out although it committed (at once, or after the timeout) is counted
 * (`claimsTimedOut`) and run under its lease when that commit is seen (`claimsRecovered`), or left
 * to be claimed again when its lease already expired.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { bindJobs, type JobsBinding, type JobsLedger } from '../../core/jobs/ledger-binding.ts'
import { createJobWorker, type JobWorker } from '../../core/jobs/worker.ts'
import { buildSubmit } from '../../core/jobs/submitter.ts'
import { decodeTaskResult } from '../../core/jobs/result-codec.ts'
import { JobTrapError } from '../../core/jobs/errors.ts'
import type { CommittedEntry } from '../../core/ledger/types.ts'
import type { TaskOutput, TaskSpec } from '../../core/jobs/task-types.ts'
import { waitFor } from '../_support/wait.ts'

type Validate = (data: Uint8Array, author: string) => string | null

/** One ordered log; each peer's view registers kinds and submits as itself. */
class SharedLedger {
  private readonly target = new EventTarget()
  private slot = 0
  private queue = Promise.resolve()
  kinds = new Map<string, Validate>()
  view (author: string): JobsLedger {
    return {
      registerKind: (k, v) => { this.kinds.set(k, v) },
      addEventListener: (t, l) => { this.target.addEventListener(t, l as EventListener) },
      removeEventListener: (t, l) => { this.target.removeEventListener(t, l as EventListener) },
      submit: async (e) => await this.commit(e, author)
    }
  }

  private async commit (e: { kind: string, data: Uint8Array }, author: string): Promise<CommittedEntry> {
    // commits one at a time, a macrotask later (a ledger round), in submission order
    const run = this.queue.then(async () => {
      await new Promise(resolve => setTimeout(resolve, 1))
      const refusal = this.kinds.get(e.kind)?.(e.data, author) ?? null
      const c: CommittedEntry = { slot: this.slot++, index: 0, epoch: 0, kind: e.kind, author, data: e.data, summary: e.kind, committedAt: 0, applied: refusal == null }
      this.target.dispatchEvent(new CustomEvent('commit', { detail: { height: c.slot, entries: [c] } }))
      return c
    })
    this.queue = run.then(() => {}, () => {})
    return await run
  }
}

const blobs = new Map<string, Uint8Array>()
const blobStore = {
  put: (b: Uint8Array) => { const id = createHash('sha256').update(b).digest('hex'); blobs.set(id, b); return { id } },
  fetch: async (id: string) => { const b = blobs.get(id); if (b == null) throw Object.assign(new Error(`no provider has blob ${id}`), { name: 'BlobNotFoundError' }); return { bytes: b } }
}

function peers (n: number, opts: { capacity?: number, liar?: number, hang?: number, aborts?: string[], slow?: { worker: number, ms: number }, claimTimesOut?: number, claimCommitsLate?: { worker: number, ms: number } } = {}): { ledger: SharedLedger, bindings: JobsBinding[], workers: JobWorker[], maxRunning: number[] } {
  const ledger = new SharedLedger()
  const bindings: JobsBinding[] = []
  const workers: JobWorker[] = []
  const maxRunning = Array.from({ length: n }, () => 0)
  for (let i = 0; i < n; i++) {
    let running = 0
    const runner = {
      run: async (_m: Uint8Array, spec: TaskSpec = {}, _l?: unknown, ro: { signal?: AbortSignal } = {}): Promise<TaskOutput> => {
        if (opts.hang === i) {
          // runs until aborted, as a long task in the real runner (whose abort is tested in runner-core.test.ts)
          return await new Promise((_resolve, reject) => {
            ro.signal?.addEventListener('abort', () => {
              opts.aborts?.push(String((ro.signal?.reason as Error).message))
              reject(Object.assign(new Error('aborted'), { name: 'TaskAbortedError' }))
            })
          })
        }
        running++
        maxRunning[i] = Math.max(maxRunning[i], running)
        try {
          await new Promise(resolve => setTimeout(resolve, opts.slow?.worker === i ? opts.slow.ms : 5))
          if (spec.args?.[0] === 'trap') throw new JobTrapError('unreachable executed')
          return { exitCode: 0, stdout: new TextEncoder().encode(`out ${spec.args?.join(' ') ?? ''} ${spec.env?.NOVACRON_TASK_INDEX ?? ''}`), stderr: new Uint8Array(0), memoryBytes: 65536, runMs: 5 }
        } finally { running-- }
      }
    }
    let w: JobWorker | undefined
    const view = ledger.view(`p${i}`)
    if (opts.claimTimesOut === i) {
      // its first claim commits, but the submit gives up first (a peer frozen in between)
      const submit = view.submit
      let first = true
      view.submit = async (e, o) => {
        const c = await submit(e, o)
        if (e.kind === 'job.claim' && first) { first = false; throw Object.assign(new Error('entry of kind job.claim not committed within 30000 ms'), { name: 'SubmitTimeoutError' }) }
        return c
      }
    }
    const late = opts.claimCommitsLate
    if (late?.worker === i) {
      // its first claim times out at once and commits only `ms` later (a peer frozen before the
      // commit reached it: on thaw the timeout fires first, the commit arrives after); what it
      // submits meanwhile is ordered after that claim, as on the real ledger
      const submit = view.submit
      let gate: Promise<unknown> | undefined
      view.submit = async (e, o) => {
        if (gate != null) { await gate; return await submit(e, o) }
        if (e.kind !== 'job.claim') return await submit(e, o)
        gate = new Promise(resolve => setTimeout(resolve, late.ms)).then(async () => await submit(e, o)).catch(() => {})
        throw Object.assign(new Error('entry of kind job.claim not committed within 30000 ms'), { name: 'SubmitTimeoutError' })
      }
    }
    const b = bindJobs(view, undefined, () => { w?.poke() })
    w = createJobWorker({ jobs: b, blobs: blobStore, runner, self: `p${i}`, peers: () => [] }, { capacity: opts.capacity ?? 1, tickMs: 50, ...(opts.liar === i ? { hostile: 'wrong-output' as const } : {}) })
    bindings.push(b)
    workers.push(w)
  }
  return { ledger, bindings, workers, maxRunning }
}

test('three workers decide every task once with the runner\'s output; a trap is a result; capacity holds', async () => {
  const { bindings, workers, maxRunning } = peers(3, { capacity: 2 })
  for (const w of workers) w.start()
  try {
    const body = buildSubmit(blobStore, { module: new Uint8Array([1, 2, 3]), split: [...Array.from({ length: 10 }, (_, i) => ({ args: [`t${i}`] })), { args: ['trap'] }] }, Date.now())
    const c = await bindings[0].submit({ kind: 'job.submit', body })
    const id = `${c.slot}.${c.index}`
    await waitFor(() => bindings.every(b => b.state.jobs.get(id)?.status === 'done'), { timeout: 20_000, message: 'job done on every peer' })
    const job = bindings[0].state.jobs.get(id)
    assert.ok(job != null)
    for (const b of bindings) assert.deepEqual(b.state.snapshot(), bindings[0].state.snapshot())
    for (const t of job.tasks) {
      assert.equal(t.slots.filter(s => s.result != null).length, 1)
      const r = decodeTaskResult(blobs.get(t.output ?? '') ?? new Uint8Array())
      if (t.index === 10) assert.equal(r.error, 'JobTrapError')
      else assert.equal(new TextDecoder().decode(r.stdout), `out t${t.index} ${t.index}`)
    }
    assert.ok(maxRunning.every(m => m <= 2))
    assert.equal(workers.reduce((a, w) => a + w.stats.resultsCommitted, 0), 11)
  } finally {
    for (const w of workers) w.stop()
  }
})

test('a claim that committed while its submit timed out is run under that lease, not left to expire', async () => {
  const { bindings, workers } = peers(1, { claimTimesOut: 0 })
  workers[0].start()
  try {
    // a long lease: without the recovery the task would wait 60 s for it to expire
    const body = buildSubmit(blobStore, { module: new Uint8Array([1, 2, 3]), count: 1, leaseTtlMs: 60_000 }, Date.now())
    const c = await bindings[0].submit({ kind: 'job.submit', body })
    const id = `${c.slot}.${c.index}`
    await waitFor(() => bindings[0].state.jobs.get(id)?.status === 'done', { timeout: 20_000, message: 'job done (within the lease period: the timed-out claim was run)' })
    assert.equal(workers[0].stats.claimsTimedOut, 1)
    assert.equal(workers[0].stats.claimsRecovered, 1)
    const slot = bindings[0].state.jobs.get(id)?.tasks[0].slots[0]
    assert.equal(slot?.result?.token.epoch, 1, 'the result is under the claim whose submit timed out')
    assert.equal(workers[0].stats.resultsCommitted, 1)
    assert.match(workers[0].stats.errors.join('\n'), /SubmitTimeoutError/)
  } finally {
    workers[0].stop()
  }
})

test('a claim that commits after its submit timed out is run when the commit arrives', async () => {
  const { bindings, workers } = peers(1, { claimCommitsLate: { worker: 0, ms: 300 } })
  workers[0].start()
  try {
    const body = buildSubmit(blobStore, { module: new Uint8Array([1, 2, 4]), count: 1, leaseTtlMs: 60_000 }, Date.now())
    const c = await bindings[0].submit({ kind: 'job.submit', body })
    const id = `${c.slot}.${c.index}`
    await waitFor(() => bindings[0].state.jobs.get(id)?.status === 'done', { timeout: 20_000, message: 'job done (within the lease period: the late claim was run)' })
    assert.equal(workers[0].stats.claimsTimedOut, 1)
    assert.equal(workers[0].stats.claimsRecovered, 1)
    assert.equal(bindings[0].state.jobs.get(id)?.tasks[0].slots[0].result?.token.epoch, 1)
  } finally {
    workers[0].stop()
  }
})

test('a timed-out claim that commits after its lease ran out is not run: the slot is claimed again', async () => {
  const { bindings, workers } = peers(1, { claimCommitsLate: { worker: 0, ms: 1500 } })
  workers[0].start()
  try {
    const body = buildSubmit(blobStore, { module: new Uint8Array([1, 2, 5]), count: 1, leaseTtlMs: 1000 }, Date.now())
    const c = await bindings[0].submit({ kind: 'job.submit', body })
    const id = `${c.slot}.${c.index}`
    await waitFor(() => bindings[0].state.jobs.get(id)?.status === 'done', { timeout: 20_000, message: 'job done' })
    assert.equal(workers[0].stats.claimsTimedOut, 1)
    assert.equal(workers[0].stats.claimsRecovered, 0)
    assert.ok((bindings[0].state.jobs.get(id)?.tasks[0].slots[0].result?.token.epoch ?? 0) >= 2, 'the expired claim ran nothing: the result is under a later claim')
  } finally {
    workers[0].stop()
  }
})

test('a module nobody has: the task is abandoned, never reported', async () => {
  const { bindings, workers } = peers(1)
  workers[0].start()
  try {
    const body = { at: Date.now(), module: 'ab'.repeat(32), count: 1, replicas: 1, timeoutMs: 1000, memoryBytes: 65536, leaseTtlMs: 60_000 }
    const c = await bindings[0].submit({ kind: 'job.submit', body })
    await waitFor(() => workers[0].stats.abandoned >= 1, { timeout: 10_000, message: 'abandoned' })
    assert.equal(bindings[0].state.jobs.get(`${c.slot}.${c.index}`)?.tasks[0].slots[0].result, undefined)
    assert.match(workers[0].stats.errors.join('\n'), /BlobNotFoundError/)
  } finally {
    workers[0].stop()
  }
})

test('a cheating worker with K = 3: the honest output wins every task, the liar is recorded', async () => {
  const { bindings, workers } = peers(3, { liar: 2 })
  for (const w of workers) w.start()
  try {
    const body = buildSubmit(blobStore, { module: new Uint8Array([4, 5]), count: 4, replicas: 3 }, Date.now())
    const c = await bindings[0].submit({ kind: 'job.submit', body })
    const id = `${c.slot}.${c.index}`
    await waitFor(() => bindings.every(b => b.state.jobs.get(id)?.status === 'done'), { timeout: 20_000, message: 'job done' })
    const job = bindings[1].state.jobs.get(id)
    for (const t of job?.tasks ?? []) {
      assert.equal(t.status, 'done')
      assert.deepEqual([...(t.winners ?? [])].sort(), ['p0', 'p1'])
      assert.equal(new TextDecoder().decode(decodeTaskResult(blobs.get(t.output ?? '') ?? new Uint8Array()).stdout), `out  ${t.index}`)
    }
    const lied = bindings[1].state.losers.filter(l => l.job === id)
    assert.ok(lied.length >= 1 && lied.every(l => l.worker === 'p2'))
  } finally {
    for (const w of workers) w.stop()
  }
})

test('a worker that stops renewing loses its lease: the task is reassigned and the loser\'s run is aborted, nothing reported', async () => {
  const aborts: string[] = []
  const { bindings, workers } = peers(2, { hang: 0, aborts })
  workers[0].setHostile('skip-renewals')
  workers[0].start()
  try {
    const body = { ...buildSubmit(blobStore, { module: new Uint8Array([7, 8]), count: 1 }, Date.now()), leaseTtlMs: 1000 }
    const c = await bindings[0].submit({ kind: 'job.submit', body })
    const id = `${c.slot}.${c.index}`
    await waitFor(() => bindings[1].state.jobs.get(id)?.tasks[0].slots[0].lease?.worker === 'p0', { timeout: 10_000, message: 'p0 holds the lease' })
    assert.equal(workers[0].stats.running, 1)
    workers[1].start() // claims the slot once the unrenewed lease expires
    await waitFor(() => bindings.every(b => b.state.jobs.get(id)?.status === 'done'), { timeout: 20_000, message: 'job done' })
    const slot = bindings[0].state.jobs.get(id)?.tasks[0].slots[0]
    assert.equal(slot?.result?.worker, 'p1')
    assert.equal(slot?.result?.token.epoch, 2, 'claimed again under a new fencing epoch')
    await waitFor(() => workers[0].stats.leaseLostAborts === 1, { timeout: 10_000, message: 'p0 aborted its task' })
    assert.equal(aborts.length, 1)
    assert.match(aborts[0], /lost: the (slot was claimed again by p1|task was settled)/)
    assert.equal(workers[0].stats.running, 0)
    assert.equal(workers[0].stats.renewals, 0, 'p0 never renewed')
    assert.equal(workers[0].stats.resultsCommitted + workers[0].stats.resultsRefused, 0, 'p0 reported nothing')
  } finally {
    for (const w of workers) w.stop()
  }
})

test('a zombie worker (never renews, ignores losing its lease): its late result is refused by the fencing token', async () => {
  const { bindings, workers } = peers(2, { slow: { worker: 0, ms: 2500 } })
  workers[0].setHostile('zombie')
  workers[0].start()
  try {
    const body = { ...buildSubmit(blobStore, { module: new Uint8Array([9, 9]), count: 1 }, Date.now()), leaseTtlMs: 1000 }
    const c = await bindings[0].submit({ kind: 'job.submit', body })
    const id = `${c.slot}.${c.index}`
    await waitFor(() => bindings[1].state.jobs.get(id)?.tasks[0].slots[0].lease?.worker === 'p0', { timeout: 10_000, message: 'p0 holds the lease' })
    workers[1].start() // claims the slot once the unrenewed lease expires, and reports first
    await waitFor(() => workers[0].stats.resultsRefused === 1, { timeout: 20_000, message: 'p0 reported late and was refused' })
    for (const b of bindings) {
      const slot = b.state.jobs.get(id)?.tasks[0].slots[0]
      assert.equal(slot?.result?.worker, 'p1')
      assert.equal(slot?.result?.token.epoch, 2)
      // the job had one task, so the late result meets a finished job (or, earlier, a settled task or a stale token)
      assert.ok(['job done', 'task settled', 'stale token'].some(r => (b.state.refusals.get(r) ?? 0) >= 1), JSON.stringify([...b.state.refusals]))
    }
    assert.equal(workers[0].stats.leaseLostAborts, 0, 'a zombie does not abort')
    assert.equal(workers[0].stats.renewals, 0)
  } finally {
    for (const w of workers) w.stop()
  }
})
