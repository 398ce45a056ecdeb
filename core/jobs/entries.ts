/**
 * The jobs layer's ledger entries, `job.submit | job.claim | job.renew | job.result | job.cancel`,
 * `job.fetched` (the submitter has its results: their holders may evict them, retention.ts) and
 * live migration's `job.handover` (a running task's lease moves to another peer) and
 * `job.checkpoint` (where the task's last checkpoint is kept):
 * their shapes and one validating decoder per kind (what `registerKind(kind, validate)` runs before
 * an entry is proposed, and what `apply` runs again on committed bytes). Data is UTF-8 JSON:
 * small, readable in `ledger log`, and the ledger signs the exact bytes. Every field is checked
 * (types, ranges, counts, total size) and a bad entry is an `InvalidJobEntryError`.
 *
 * Every entry carries `at`, its author's wall clock (ms): the ledger has no block timestamps, so
 * lease expiry runs on the ledger clock that clock.ts derives from these stamps.
 */
import { JobError } from './errors.ts'

export class InvalidJobEntryError extends JobError {
  static override name = 'InvalidJobEntryError'
  override name = 'InvalidJobEntryError'
}

export const JOB_KINDS = ['job.submit', 'job.claim', 'job.renew', 'job.result', 'job.cancel', 'job.handover', 'job.checkpoint', 'job.fetched'] as const
export type JobKind = typeof JOB_KINDS[number]

/** Caps on what one entry may declare. */
export const ENTRY_LIMITS = Object.freeze({
  maxEntryBytes: 48 * 1024,
  maxTasks: 100_000,
  maxListedTasks: 1000,
  maxReplicas: 7,
  maxArgs: 64,
  maxArgBytes: 1024,
  maxLeaseTtlMs: 600_000,
  minLeaseTtlMs: 1000,
  maxCapacity: 64,
  /** the longest a submitter may ask holders to keep its unfetched results (30 days) */
  maxRetainMs: 30 * 86_400_000
})

/** One task of an explicit task list. */
export interface TaskInput {
  args?: string[]
  /** blob id of the task's stdin */
  stdin?: string
}

export interface SubmitEntry {
  at: number
  /** blob id (SHA-256) of the module */
  module: string
  /** explicit tasks (e.g. one per JSONL line of --split), or… */
  tasks?: TaskInput[]
  /** …`count` copies of `common` (task i gets NOVACRON_TASK_INDEX=i) */
  count?: number
  /** args/stdin every task gets unless its own entry overrides them */
  common?: TaskInput
  /** replicas per task; a result needs ⌊K/2⌋+1 matching output hashes */
  replicas: number
  /** the most replicas disagreement may draw per task @default 2K+1, capped at 7 */
  maxReplicas?: number
  timeoutMs: number
  memoryBytes: number
  /** lease TTL; a worker renews at a third of it */
  leaseTtlMs: number
  /**
   * how long after the job ends a result only one peer holds stays pinned there while the submitter
   * has not fetched it (`job.fetched`); 0 pins nothing (retention.ts) @default 7 days
   */
  retainMs?: number
}

export interface Token {
  /** claim generation of this replica slot (1 for its first claim) */
  epoch: number
  /** the ledger slot the claim was committed in */
  slot: number
}

export interface ClaimEntry { at: number, job: string, task: number, replica: number, capacity: number }
export interface RenewEntry { at: number, job: string, task: number, replica: number, token: Token }
export interface ResultEntry {
  at: number
  job: string
  task: number
  replica: number
  token: Token
  /** SHA-256 (blob id) of the encoded task result (result-codec.ts): what replicas vote on */
  output: string
}
export interface CancelEntry { at: number, job: string }
/**
 * The submitter has fetched the agreed result of every decided task of its job, which has ended
 * (done or cancelled): its results are no longer pinned on their holders (retention.ts).
 */
export interface FetchedEntry { at: number, job: string }
/**
 * The holder of a lease (under its current token) hands the running task to `to`: like a claim by
 * `to`, a new fencing token, so the old holder's later renewals and results are refused.
 */
export interface HandoverEntry {
  at: number
  job: string
  task: number
  replica: number
  token: Token
  /** the new holder's peer id */
  to: string
  /** the snapshot digest (core/migration/digest.ts: SHA-256 over its chunks' SHA-256s) the new holder resumes from (it checks it before it runs) */
  snapshot: string
}

/**
 * The holder (current token) took a checkpoint of the running task: its encoded snapshot is the
 * blob `snapshot` (SHA-256), kept by `keeper`. The next claimer of the slot resumes from it.
 */
export interface CheckpointEntry {
  at: number
  job: string
  task: number
  replica: number
  token: Token
  snapshot: string
  keeper: string
}

export type JobEntry =
  | { kind: 'job.submit', body: SubmitEntry }
  | { kind: 'job.claim', body: ClaimEntry }
  | { kind: 'job.renew', body: RenewEntry }
  | { kind: 'job.result', body: ResultEntry }
  | { kind: 'job.cancel', body: CancelEntry }
  | { kind: 'job.handover', body: HandoverEntry }
  | { kind: 'job.checkpoint', body: CheckpointEntry }
  | { kind: 'job.fetched', body: FetchedEntry }

const ID = /^[0-9a-f]{64}$/
/** job ids are the slot and index of their submit entry: `<slot>.<index>` */
const JOB_ID = /^\d{1,15}\.\d{1,6}$/
/** a libp2p peer id as text (base58btc) */
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{20,100}$/

type Obj = Record<string, unknown>
const bad = (msg: string): never => { throw new InvalidJobEntryError(msg) }
function int (o: Obj, k: string, min: number, max: number, optional = false): number | undefined {
  const v = o[k]
  if (v === undefined && optional) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(`${k} must be an integer from ${min} to ${max}`)
  return v as number
}
function blob (o: Obj, k: string, optional = false): string | undefined {
  const v = o[k]
  if (v === undefined && optional) return undefined
  if (typeof v !== 'string' || !ID.test(v)) bad(`${k} must be a blob id (64 lowercase hex)`)
  return v as string
}
function jobId (o: Obj): string {
  if (typeof o.job !== 'string' || !JOB_ID.test(o.job)) bad('job must be a job id (<slot>.<index>)')
  return o.job as string
}
function only (o: Obj, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`unknown field ${JSON.stringify(k)}`)
}
function token (v: unknown): Token {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('token must be { epoch, slot }')
  const t = v as Obj
  only(t, ['epoch', 'slot'])
  return { epoch: int(t, 'epoch', 1, 2 ** 31) as number, slot: int(t, 'slot', 0, Number.MAX_SAFE_INTEGER) as number }
}
function taskInput (v: unknown, where: string): TaskInput {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`${where} must be an object`)
  const t = v as Obj
  only(t, ['args', 'stdin'])
  const out: TaskInput = {}
  if (t.args !== undefined) {
    if (!Array.isArray(t.args) || t.args.length > ENTRY_LIMITS.maxArgs || t.args.some(a => typeof a !== 'string' || a.length > ENTRY_LIMITS.maxArgBytes || a.includes('\0'))) {
      bad(`${where}.args must be at most ${ENTRY_LIMITS.maxArgs} strings of at most ${ENTRY_LIMITS.maxArgBytes} characters without NUL`)
    }
    out.args = t.args as string[]
  }
  const stdin = blob(t, 'stdin', true)
  if (stdin !== undefined) out.stdin = stdin
  return out
}

function decodeSubmit (o: Obj): SubmitEntry {
  only(o, ['at', 'module', 'tasks', 'count', 'common', 'replicas', 'maxReplicas', 'timeoutMs', 'memoryBytes', 'leaseTtlMs', 'retainMs'])
  const replicas = int(o, 'replicas', 1, ENTRY_LIMITS.maxReplicas) as number
  const body: SubmitEntry = {
    at: int(o, 'at', 0, Number.MAX_SAFE_INTEGER) as number,
    module: blob(o, 'module') as string,
    replicas,
    timeoutMs: int(o, 'timeoutMs', 1, 24 * 3600_000) as number,
    memoryBytes: int(o, 'memoryBytes', 65536, 4 * 1024 ** 3) as number,
    leaseTtlMs: int(o, 'leaseTtlMs', ENTRY_LIMITS.minLeaseTtlMs, ENTRY_LIMITS.maxLeaseTtlMs) as number
  }
  const maxReplicas = int(o, 'maxReplicas', replicas, ENTRY_LIMITS.maxReplicas, true)
  if (maxReplicas !== undefined) body.maxReplicas = maxReplicas
  const retainMs = int(o, 'retainMs', 0, ENTRY_LIMITS.maxRetainMs, true)
  if (retainMs !== undefined) body.retainMs = retainMs
  if (o.common !== undefined) body.common = taskInput(o.common, 'common')
  if ((o.tasks === undefined) === (o.count === undefined)) bad('give exactly one of tasks (a list) or count')
  if (o.tasks !== undefined) {
    if (!Array.isArray(o.tasks) || o.tasks.length < 1 || o.tasks.length > ENTRY_LIMITS.maxListedTasks) bad(`tasks must list 1 to ${ENTRY_LIMITS.maxListedTasks} tasks`)
    body.tasks = (o.tasks as unknown[]).map((t, i) => taskInput(t, `tasks[${i}]`))
  } else {
    body.count = int(o, 'count', 1, ENTRY_LIMITS.maxTasks) as number
  }
  return body
}

/** Decodes and checks one job entry's data: `InvalidJobEntryError` on anything malformed. */
export function decodeJobEntry (kind: string, data: Uint8Array): JobEntry {
  if (!(JOB_KINDS as readonly string[]).includes(kind)) bad(`unknown job entry kind ${JSON.stringify(kind)}`)
  if (!(data instanceof Uint8Array) || data.length > ENTRY_LIMITS.maxEntryBytes) bad(`entry data must be at most ${ENTRY_LIMITS.maxEntryBytes} bytes`)
  let o: unknown
  try {
    o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data))
  } catch {
    return bad('entry data is not UTF-8 JSON')
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) bad('entry data must be a JSON object')
  const b = o as Obj
  const at = (): number => int(b, 'at', 0, Number.MAX_SAFE_INTEGER) as number
  const slotRef = (): { job: string, task: number, replica: number } => ({
    job: jobId(b), task: int(b, 'task', 0, ENTRY_LIMITS.maxTasks - 1) as number, replica: int(b, 'replica', 0, ENTRY_LIMITS.maxReplicas - 1) as number
  })
  switch (kind as JobKind) {
    case 'job.submit': return { kind: 'job.submit', body: decodeSubmit(b) }
    case 'job.claim':
      only(b, ['at', 'job', 'task', 'replica', 'capacity'])
      return { kind: 'job.claim', body: { at: at(), ...slotRef(), capacity: int(b, 'capacity', 1, ENTRY_LIMITS.maxCapacity) as number } }
    case 'job.renew':
      only(b, ['at', 'job', 'task', 'replica', 'token'])
      return { kind: 'job.renew', body: { at: at(), ...slotRef(), token: token(b.token) } }
    case 'job.result':
      only(b, ['at', 'job', 'task', 'replica', 'token', 'output'])
      return { kind: 'job.result', body: { at: at(), ...slotRef(), token: token(b.token), output: blob(b, 'output') as string } }
    case 'job.handover': {
      only(b, ['at', 'job', 'task', 'replica', 'token', 'to', 'snapshot'])
      if (typeof b.to !== 'string' || !PEER_ID.test(b.to)) bad('to must be a peer id')
      return { kind: 'job.handover', body: { at: at(), ...slotRef(), token: token(b.token), to: b.to as string, snapshot: blob(b, 'snapshot') as string } }
    }
    case 'job.checkpoint': {
      only(b, ['at', 'job', 'task', 'replica', 'token', 'snapshot', 'keeper'])
      if (typeof b.keeper !== 'string' || !PEER_ID.test(b.keeper)) bad('keeper must be a peer id')
      return { kind: 'job.checkpoint', body: { at: at(), ...slotRef(), token: token(b.token), snapshot: blob(b, 'snapshot') as string, keeper: b.keeper as string } }
    }
    case 'job.fetched':
      only(b, ['at', 'job'])
      return { kind: 'job.fetched', body: { at: at(), job: jobId(b) } }
    default:
      only(b, ['at', 'job'])
      return { kind: 'job.cancel', body: { at: at(), job: jobId(b) } }
  }
}

/** The bytes of a job entry (what a peer submits to the ledger). */
export function encodeJobEntry (entry: JobEntry): { kind: string, data: Uint8Array } {
  const data = new TextEncoder().encode(JSON.stringify(entry.body))
  decodeJobEntry(entry.kind, data) // never submit what every peer would refuse
  return { kind: entry.kind, data }
}
