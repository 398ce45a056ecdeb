/**
 * The `ledger.*` and `config.*` operations of a running peer's control endpoint
 * (node-runtime/state/control.ts `addOps`), as plain JSON in and out. The CLI
 * (`novacron ledger …`, `novacron config …`) sends them; the peer runs them on its live ledger.
 *
 * Entry data crosses JSON as text when it is UTF-8 (notes and config are JSON) and as base64
 * otherwise (`dataEncoding` says which), so binary entry kinds print without loss.
 */
import type { CommittedEntry, LedgerApi, LedgerStatus } from '../../core/ledger/types.ts'
import { LedgerCliError } from './errors.ts'

export const LEDGER_OPS = ['ledger.status', 'ledger.log', 'ledger.submit', 'ledger.submitMany', 'ledger.verify', 'config.get', 'config.set'] as const

/** Most entries one `ledger.submitMany` carries (`novacron ledger submit --file`). */
export const MAX_SUBMIT_MANY = 10_000

/** What `ledger.submitMany` answers: the entries' slots and how long the whole batch took. */
export interface SubmitManyResult {
  entries: number
  firstSlot: number
  lastSlot: number
  /** distinct slots (decisions) the entries committed in */
  slots: number
  /** from the request's arrival at the peer to the last commit */
  ms: number
  entriesPerSecond: number
  latencyP50Ms: number
  latencyP99Ms: number
}

/** What the ops need of a running ledger: its API and the config settings table. */
export interface LedgerOpTarget {
  ledger: LedgerApi
  /** throws the validator's typed error when `value` is not valid for `key` */
  checkConfig: (key: string, value: unknown) => void
  /** the `config` entry that sets `key` to `value` */
  configEntry: (key: string, value: unknown) => { kind: string, data: Uint8Array }
  /** known config keys with their defaults (for `config get` without a key) */
  configKeys: () => string[]
}

export interface EntryJson extends Omit<CommittedEntry, 'data'> {
  data: string
  dataEncoding: 'utf8' | 'base64'
}

const decoder = new TextDecoder('utf-8', { fatal: true })

export function entryJson (e: CommittedEntry): EntryJson {
  let data: string
  let dataEncoding: EntryJson['dataEncoding'] = 'utf8'
  try {
    data = decoder.decode(e.data)
  } catch {
    data = Buffer.from(e.data).toString('base64')
    dataEncoding = 'base64'
  }
  return { ...e, data, dataEncoding }
}

const MAX_LOG = 1000

function int (args: Record<string, unknown>, key: string, def: number, min: number, max: number): number {
  const v = args[key] ?? def
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new LedgerCliError(`${key} must be an integer in ${min}..${max}`)
  return v
}

function text (args: Record<string, unknown>, key: string): string {
  const v = args[key]
  if (typeof v !== 'string') throw new LedgerCliError(`${key} must be text`)
  return v
}

export async function runLedgerOp (t: LedgerOpTarget, op: string, args: Record<string, unknown>): Promise<unknown> {
  switch (op as typeof LEDGER_OPS[number]) {
    case 'ledger.status': return t.ledger.status() satisfies LedgerStatus
    case 'ledger.log': {
      const entries = await t.ledger.log(int(args, 'from', 0, 0, Number.MAX_SAFE_INTEGER), int(args, 'limit', 100, 1, MAX_LOG), int(args, 'index', 0, 0, Number.MAX_SAFE_INTEGER))
      return entries.map(entryJson)
    }
    case 'ledger.submit': {
      const kind = text(args, 'kind')
      const data = new TextEncoder().encode(text(args, 'data'))
      const timeoutMs = args.timeoutMs === undefined ? undefined : int(args, 'timeoutMs', 0, 100, 600_000)
      return entryJson(await t.ledger.submit({ kind, data }, timeoutMs === undefined ? undefined : { timeoutMs }))
    }
    case 'ledger.submitMany': return await submitMany(t, args)
    case 'ledger.verify': return await t.ledger.verify()
    case 'config.get': {
      if (args.key === undefined) return Object.fromEntries(t.configKeys().map(k => [k, t.ledger.config(k)]))
      const key = text(args, 'key')
      t.checkConfig(key, t.ledger.config(key)) // an unknown key is the validator's typed error
      return { [key]: t.ledger.config(key) }
    }
    case 'config.set': {
      const key = text(args, 'key')
      // refused before anything is submitted: the same validator every peer applies
      t.checkConfig(key, args.value)
      const committed = await t.ledger.submit(t.configEntry(key, args.value))
      if (!committed.applied) throw new LedgerCliError(`config entry committed at slot ${committed.slot} but refused: ${committed.refusal ?? 'no reason'}`)
      return entryJson(committed)
    }
    default: throw new LedgerCliError(`unknown operation '${op}'`)
  }
}

/**
 * Many entries of one kind submitted at once and awaited together: they ride this peer's
 * microblocks (batches of `ledger.maxBatchBytes`), so a bulk load costs a few decisions and one
 * request instead of one request per entry. Every item is checked before any is submitted.
 */
async function submitMany (t: LedgerOpTarget, args: Record<string, unknown>): Promise<SubmitManyResult> {
  const kind = text(args, 'kind')
  const items = args.items
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_SUBMIT_MANY) throw new LedgerCliError(`items must be a list of 1..${MAX_SUBMIT_MANY} texts`)
  items.forEach((item, i) => { if (typeof item !== 'string') throw new LedgerCliError(`item ${i} must be text`) })
  const timeoutMs = args.timeoutMs === undefined ? undefined : int(args, 'timeoutMs', 0, 100, 600_000)
  const encoder = new TextEncoder()
  const started = performance.now()
  const committed = await Promise.all((items as string[]).map(async item =>
    await t.ledger.submit({ kind, data: encoder.encode(item) }, timeoutMs === undefined ? {} : { timeoutMs })))
  const ms = performance.now() - started
  const slots = committed.map(e => e.slot)
  const latencies = committed.map(e => e.latencyMs ?? 0).sort((a, b) => a - b)
  const pct = (q: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))])
  return {
    entries: committed.length,
    firstSlot: Math.min(...slots),
    lastSlot: Math.max(...slots),
    slots: new Set(slots).size,
    ms: Math.round(ms),
    entriesPerSecond: Math.round(committed.length / Math.max(ms, 1) * 1000),
    latencyP50Ms: pct(0.5),
    latencyP99Ms: pct(0.99)
  }
}
