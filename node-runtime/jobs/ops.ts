/**
 * The `job.*` control ops of a running peer (served on its data dir's control endpoint, called by
 * `novacron job submit|status|result|list|cancel` and by tests; `job.fetched`, which `job result`
 * calls once it has written the results out, commits `job.fetched` when this peer submitted the job
 * and holds every agreed result, so their holders may evict them): bytes travel as base64 in the
 * JSON body. Errors are typed (`InvalidJobError`, `UnknownJobError`, the ledger's
 * `EntryRefusedError` / `SubmitTimeoutError`) and come back to the CLI with their name.
 */
import type { BlobService } from '../../core/blobs/index.ts'
import type { JobsBinding } from '../../core/jobs/ledger-binding.ts'
import { buildSubmit, fetchAck, jobResults, jobSummary, type SubmitRequest } from '../../core/jobs/submitter.ts'
import { WORKER_HOSTILE_MODES, type JobWorker } from '../../core/jobs/worker.ts'
import { InvalidJobError, JobError } from '../../core/jobs/errors.ts'

/** `job status|result|cancel` named a job this peer's ledger has no submission for. */
export class UnknownJobError extends JobError {
  static override name = 'UnknownJobError'
  override name = 'UnknownJobError'
}

export interface JobOpsTarget {
  binding: JobsBinding
  blobs: BlobService
  self: string
  worker: () => JobWorker | undefined
  peers: () => string[]
  /** serve the test-only `job.hostile` and `job.pause` ops (NOVACRON_TEST=1) @default false */
  testOps?: boolean
}

const b64 = (v: unknown, what: string): Uint8Array => {
  if (typeof v !== 'string') throw new InvalidJobError(`${what} must be base64 text`)
  return new Uint8Array(Buffer.from(v, 'base64'))
}
const int = (v: unknown, what: string): number | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidJobError(`${what} must be an integer`)
  return v
}
const jobId = (args: Record<string, unknown>): string => {
  if (typeof args.job !== 'string' || !/^\d{1,15}\.\d{1,6}$/.test(args.job)) throw new InvalidJobError('a job id is <slot>.<index>, as `job submit` printed it')
  return args.job
}

export function jobOps (t: JobOpsTarget): (op: string, args: Record<string, unknown>) => Promise<unknown> {
  const state = t.binding.state
  const known = (id: string): void => { if (!state.jobs.has(id)) throw new UnknownJobError(`no job ${id} on this peer's ledger (job list shows the known ones)`) }
  return async (op, args) => {
    switch (op) {
      case 'job.submit': {
        const req: SubmitRequest = { module: b64(args.module, 'module') }
        if (args.stdin != null) req.stdin = b64(args.stdin, 'stdin')
        if (args.args != null) {
          if (!Array.isArray(args.args) || args.args.some(a => typeof a !== 'string')) throw new InvalidJobError('args must be a list of strings')
          req.args = args.args as string[]
        }
        if (Array.isArray(args.split)) {
          req.split = (args.split as Array<Record<string, unknown>>).map((l, i) => ({
            ...(Array.isArray(l.args) ? { args: l.args as string[] } : {}),
            ...(l.stdin != null ? { stdin: b64(l.stdin, `split line ${i + 1}'s stdin`) } : {})
          }))
        } else {
          const count = int(args.count, 'tasks')
          if (count != null) req.count = count
        }
        for (const k of ['replicas', 'timeoutMs', 'memoryBytes', 'leaseTtlMs', 'retainMs'] as const) {
          const v = int(args[k], k)
          if (v != null) req[k] = v
        }
        const body = buildSubmit(t.blobs, req, Date.now())
        const timeoutMs = int(args.submitTimeoutMs, 'submitTimeoutMs') ?? 60_000
        const committed = await t.binding.submit({ kind: 'job.submit', body }, { timeoutMs })
        const job = `${committed.slot}.${committed.index}`
        return { job, slot: committed.slot, tasks: body.count ?? body.tasks?.length ?? 0, module: body.module, latencyMs: committed.latencyMs ?? null }
      }
      case 'job.status': {
        const id = jobId(args)
        known(id)
        return jobSummary(state, id)
      }
      case 'job.list':
        return [...state.jobs.keys()].map(id => jobSummary(state, id))
      case 'job.cancel': {
        const id = jobId(args)
        known(id)
        const committed = await t.binding.submit({ kind: 'job.cancel', body: { at: Date.now(), job: id } })
        const job = state.jobs.get(id)
        return { job: id, slot: committed.slot, status: job?.status }
      }
      case 'job.result': {
        const id = jobId(args)
        known(id)
        const outcomes = await jobResults(state, t.blobs, id, t.peers())
        return outcomes.map(o => ({
          task: o.task,
          status: o.status,
          ...(o.output != null ? { output: o.output, winners: o.winners } : {}),
          ...(o.result != null ? { exitCode: o.result.exitCode, error: o.result.error, stdout: Buffer.from(o.result.stdout).toString('base64'), stderr: Buffer.from(o.result.stderr).toString('base64') } : {}),
          ...(o.error != null ? { fetchError: o.error } : {})
        }))
      }
      case 'job.fetched': {
        // the caller has the results (`job result` wrote them out): record it, if ours to record
        const id = jobId(args)
        known(id)
        const due = fetchAck(state, id, t.self, output => t.blobs.verify(output))
        if (due !== 'due') return { job: id, acknowledged: due === 'already fetched', reason: due }
        const committed = await t.binding.submit({ kind: 'job.fetched', body: { at: Date.now(), job: id } }, { timeoutMs: int(args.submitTimeoutMs, 'submitTimeoutMs') ?? 30_000 })
        return { job: id, acknowledged: state.jobs.get(id)?.fetchedAt != null, slot: committed.slot }
      }
      case 'job.tasks': {
        // every replica slot of every task, and the refusals: what the tests check for "exactly once per replica"
        const id = jobId(args)
        known(id)
        const job = state.jobs.get(id)
        return { tasks: job?.tasks, losers: state.losers.filter(l => l.job === id), refusals: Object.fromEntries(state.refusals), clock: state.clock.now }
      }
      case 'job.worker': {
        const w = t.worker()
        return { self: t.self, capacity: w?.capacity ?? 0, paused: w?.paused ?? false, active: w?.active ?? [], stats: w?.stats ?? null }
      }
      case 'job.hostile': {
        // test-only: switch this peer's worker into a misbehaviour (or back with mode null)
        const w = t.worker()
        if (t.testOps !== true || w == null) throw new InvalidJobError('job.hostile is a test-only op (NOVACRON_TEST=1, a peer with a worker)')
        const mode = WORKER_HOSTILE_MODES.find(m => m === args.mode)
        if (args.mode !== null && mode == null) throw new InvalidJobError(`mode must be one of ${WORKER_HOSTILE_MODES.join(', ')}, or null`)
        w.setHostile(mode)
        return { mode: mode ?? null }
      }
      case 'job.pause': {
        // test-only: stop (paused: true) or resume this peer's claiming; its running tasks go on
        const w = t.worker()
        if (t.testOps !== true || w == null) throw new InvalidJobError('job.pause is a test-only op (NOVACRON_TEST=1, a peer with a worker)')
        if (typeof args.paused !== 'boolean') throw new InvalidJobError('paused must be true or false')
        w.setPaused(args.paused)
        return { paused: w.paused }
      }
      default:
        throw new InvalidJobError(`unknown job op ${JSON.stringify(op)}`)
    }
  }
}
