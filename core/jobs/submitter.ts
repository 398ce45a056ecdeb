/**
 * What a submitting peer does, the same in Node (the `job.*` control ops behind `novacron job`) and
 * in a tab (the Jobs panel): turn a module, an input and a task list into blobs plus one
 * `job.submit` entry (`buildSubmit`), summarise a job from `JobsState` (`jobSummary`), and gather
 * its results by fetching each task's agreed output blob from the workers that reported it
 * (`jobResults`), and say when the submitter may record that it has them (`fetchAck`: the
 * `job.fetched` entry that lets their holders evict them, retention.ts). Every size is checked
 * before anything is stored or submitted.
 */
import { ENTRY_LIMITS, type SubmitEntry, type TaskInput } from './entries.ts'
import { InvalidJobError } from './errors.ts'
import { decodeTaskResult, type TaskResult } from './result-codec.ts'
import type { JobsState, JobState } from './state.ts'
import { pinnedResults, resultsPinnedUntil, DEFAULT_RESULT_RETAIN_MS } from './retention.ts'

/** Largest module or stdin a submission may carry (below the blob layer's 64 MiB cap). */
export const MAX_SUBMIT_BYTES = 32 * 1024 * 1024

export interface SubmitRequest {
  module: Uint8Array
  /** stdin every task gets (unless its split line has its own) */
  stdin?: Uint8Array
  /** args every task gets (unless its split line has its own) */
  args?: string[]
  /** `count` tasks (each gets NOVACRON_TASK_INDEX) … */
  count?: number
  /** … or one task per entry (from --split FILE.jsonl) */
  split?: Array<{ args?: string[], stdin?: Uint8Array }>
  replicas?: number
  timeoutMs?: number
  memoryBytes?: number
  leaseTtlMs?: number
  /** how long unfetched single-copy results stay pinned after the job ends (0: not at all) @default 7 days */
  retainMs?: number
}

export interface SubmitBlobs { put: (bytes: Uint8Array) => { id: string } }

/** Stores the module and inputs as blobs and returns the `job.submit` body (`InvalidJobError` on a bad field). */
export function buildSubmit (blobs: SubmitBlobs, req: SubmitRequest, at: number): SubmitEntry {
  const size = (b: Uint8Array, what: string): Uint8Array => {
    if (!(b instanceof Uint8Array)) throw new InvalidJobError(`${what} must be bytes`)
    if (b.length > MAX_SUBMIT_BYTES) throw new InvalidJobError(`${what} is ${b.length} bytes; the cap is ${MAX_SUBMIT_BYTES}`)
    return b
  }
  size(req.module, 'the module')
  if ((req.count == null) === (req.split == null)) throw new InvalidJobError('give either a task count or a split list')
  if (req.count != null && (!Number.isInteger(req.count) || req.count < 1 || req.count > ENTRY_LIMITS.maxTasks)) throw new InvalidJobError(`tasks must be from 1 to ${ENTRY_LIMITS.maxTasks}`)
  if (req.split != null && (req.split.length < 1 || req.split.length > ENTRY_LIMITS.maxListedTasks)) throw new InvalidJobError(`a split list holds 1 to ${ENTRY_LIMITS.maxListedTasks} tasks`)
  const replicas = req.replicas ?? 1
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > ENTRY_LIMITS.maxReplicas) throw new InvalidJobError(`replicas must be from 1 to ${ENTRY_LIMITS.maxReplicas}`)
  const leaseTtlMs = req.leaseTtlMs ?? 15_000
  if (!Number.isInteger(leaseTtlMs) || leaseTtlMs < ENTRY_LIMITS.minLeaseTtlMs || leaseTtlMs > ENTRY_LIMITS.maxLeaseTtlMs) {
    throw new InvalidJobError(`the lease TTL must be from ${ENTRY_LIMITS.minLeaseTtlMs} to ${ENTRY_LIMITS.maxLeaseTtlMs} ms`)
  }
  if (req.retainMs != null && (!Number.isInteger(req.retainMs) || req.retainMs < 0 || req.retainMs > ENTRY_LIMITS.maxRetainMs)) {
    throw new InvalidJobError(`the result retention must be from 0 to ${ENTRY_LIMITS.maxRetainMs} ms (30 days)`)
  }
  const body: SubmitEntry = {
    at,
    module: blobs.put(req.module).id,
    replicas,
    timeoutMs: req.timeoutMs ?? 30_000,
    memoryBytes: req.memoryBytes ?? 256 * 1024 * 1024,
    leaseTtlMs
  }
  if (req.retainMs != null) body.retainMs = req.retainMs
  const common: TaskInput = {}
  if (req.args != null && req.args.length > 0) common.args = req.args
  if (req.stdin != null) common.stdin = blobs.put(size(req.stdin, 'the input')).id
  if (common.args != null || common.stdin != null) body.common = common
  if (req.count != null) body.count = req.count
  else {
    body.tasks = (req.split ?? []).map((t, i) => {
      const out: TaskInput = {}
      if (t.args != null) out.args = t.args
      if (t.stdin != null) out.stdin = blobs.put(size(t.stdin, `split line ${i + 1}'s stdin`)).id
      return out
    })
  }
  return body
}

/** One line of a --split file: `{"args": ["…"], "stdin": "text"}` (both optional). */
export function parseSplitLine (line: string, n: number): { args?: string[], stdin?: Uint8Array } {
  let v: unknown
  try { v = JSON.parse(line) } catch { throw new InvalidJobError(`split line ${n} is not JSON`) }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidJobError(`split line ${n} must be an object {"args": [...], "stdin": "..."}`)
  const o = v as Record<string, unknown>
  for (const k of Object.keys(o)) if (k !== 'args' && k !== 'stdin') throw new InvalidJobError(`split line ${n}: unknown field ${JSON.stringify(k)}`)
  const out: { args?: string[], stdin?: Uint8Array } = {}
  if (o.args !== undefined) {
    if (!Array.isArray(o.args) || o.args.some(a => typeof a !== 'string')) throw new InvalidJobError(`split line ${n}: args must be a list of strings`)
    out.args = o.args as string[]
  }
  if (o.stdin !== undefined) {
    if (typeof o.stdin !== 'string') throw new InvalidJobError(`split line ${n}: stdin must be a string`)
    out.stdin = new TextEncoder().encode(o.stdin)
  }
  return out
}

export interface JobSummary {
  id: string
  author: string
  status: JobState['status']
  tasks: number
  replicas: number
  done: number
  failed: number
  /** live leases: which peer runs which task now */
  running: Array<{ task: number, replica: number, worker: string }>
  /** results recorded per peer (every reported replica) */
  reportedBy: Record<string, number>
  losers: Array<{ task: number, worker: string }>
  /** what happens to the results once the job ended (retention.ts) */
  results: {
    /** how long after the end unfetched single-copy results stay pinned */
    retainMs: number
    /** ledger clock when the submitter recorded fetching them (`job.fetched`) */
    fetchedAt?: number
    /** when the pin of unfetched results ends (the job ended, not fetched, retainMs > 0) */
    pinnedUntil?: number
    /** tasks whose result is pinned now: held by one peer, not fetched, within the retention period */
    pinned: number
  }
}

export function jobSummary (state: JobsState, id: string, now = Date.now()): JobSummary | undefined {
  const job = state.jobs.get(id)
  if (job == null) return undefined
  const running: JobSummary['running'] = []
  const reportedBy: Record<string, number> = {}
  let done = 0
  let failed = 0
  for (const t of job.tasks) {
    if (t.status === 'done') done++
    if (t.status === 'failed') failed++
    for (const [r, s] of t.slots.entries()) {
      if (t.status === 'open' && state.live(s.lease)) running.push({ task: t.index, replica: r, worker: s.lease.worker })
      if (s.result != null) reportedBy[s.result.worker] = (reportedBy[s.result.worker] ?? 0) + 1
    }
  }
  return {
    id, author: job.author, status: job.status, tasks: job.tasks.length, replicas: job.spec.replicas, done, failed, running, reportedBy,
    losers: state.losers.filter(l => l.job === id).map(l => ({ task: l.task, worker: l.worker })),
    results: resultsSummary(job, Math.max(state.clock.now, now))
  }
}

function resultsSummary (job: JobState, now: number): JobSummary['results'] {
  const out: JobSummary['results'] = { retainMs: job.spec.retainMs ?? DEFAULT_RESULT_RETAIN_MS, pinned: pinnedResults(job, now).length }
  if (job.fetchedAt != null) out.fetchedAt = job.fetchedAt
  const until = resultsPinnedUntil(job)
  if (until != null) out.pinnedUntil = until
  return out
}

/**
 * Whether peer `self` should now commit `job.fetched` for job `id`: `'due'` when it submitted the
 * job, the job ended, nothing was recorded yet and it holds the agreed result of every decided
 * task (`held`: its blob service's `verify`, present and intact, since the ack lets providers drop them), else why not.
 */
export function fetchAck (state: JobsState, id: string, self: string, held: (output: string) => boolean): 'due' | 'unknown job' | 'not the submitter' | 'job active' | 'already fetched' | 'results missing' {
  const job = state.jobs.get(id)
  if (job == null) return 'unknown job'
  if (job.author !== self) return 'not the submitter'
  if (job.status === 'active') return 'job active'
  if (job.fetchedAt != null) return 'already fetched'
  return job.tasks.every(t => t.output == null || held(t.output)) ? 'due' : 'results missing'
}

export interface TaskOutcome {
  task: number
  status: 'open' | 'done' | 'failed'
  /** the agreed output hash */
  output?: string
  /** peers whose result matched */
  winners?: string[]
  result?: TaskResult
  /** why the result could not be fetched */
  error?: string
}

/** Each task's agreed result, fetched from the workers that reported it (then any peer). */
export async function jobResults (state: JobsState, blobs: { fetch: (id: string, providers: string[]) => Promise<{ bytes: Uint8Array }> }, id: string, peers: string[], tasks?: number[]): Promise<TaskOutcome[]> {
  const job = state.jobs.get(id)
  if (job == null) return []
  const out: TaskOutcome[] = []
  for (const t of job.tasks) {
    if (tasks != null && !tasks.includes(t.index)) continue
    const o: TaskOutcome = { task: t.index, status: t.status }
    if (t.status === 'done' && t.output != null) {
      o.output = t.output
      o.winners = t.winners ?? []
      try {
        o.result = decodeTaskResult((await blobs.fetch(t.output, [...new Set([...o.winners, ...peers])])).bytes)
      } catch (err) {
        o.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      }
    }
    out.push(o)
  }
  return out
}
