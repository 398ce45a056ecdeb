/**
 * The namespaced memory store on a Y.Doc: JSON values under `namespace` + `key`, optional TTL.
 *
 * Layout: one flat `doc.getMap('memory')` keyed `<namespace>:<key>` whose values are plain entry
 * objects (last writer wins per key). It is flat on purpose: a Y.Map per namespace would be created
 * concurrently by two peers and one of the two maps (with its entries) would lose.
 *
 * Expiry is a pure rule on the entry, the same on every peer: the writer stores an absolute
 * `expiresAt`; an entry is live while `now < expiresAt`. Reads hide expired entries at once, and
 * `sweep` deletes them from the document only after `SWEEP_GRACE_MS` more, so a peer whose clock runs
 * ahead does not delete what slower peers still show (concurrent deletes of a key are idempotent, and
 * a fresh `store` racing a sweep survives because Yjs deletes only the item the sweeper saw).
 */
import type * as Y from 'yjs'
import { MemoryKeyNotFoundError, OversizeTextError, ValidationError } from './errors.ts'
import { globToRegExp } from './glob.ts'

export const NAMESPACE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/
export const DEFAULT_NAMESPACE = 'default'
export const MAX_KEY = 512
export const MAX_VALUE_BYTES = 65_536
export const SWEEP_GRACE_MS = 60_000

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

export interface MemoryEntry {
  namespace: string
  key: string
  value: Json
  createdAt: number
  updatedAt: number
  /** Absolute expiry time (ms since the epoch), or null for no expiry. */
  expiresAt: number | null
  author: string
}

export interface MemoryInit {
  doc: Y.Doc
  actor: string
  /** @default Date.now */
  now?: () => number
}

export interface SearchQuery {
  /** Glob on keys: `*`, `?`, `[abc]`. @default '*' */
  pattern?: string
  /** Substring that the value's JSON text must contain. */
  valueContains?: string
  /** Only this namespace; all namespaces when absent. */
  namespace?: string
}

export function checkNamespace (ns: unknown): string {
  if (typeof ns !== 'string' || !NAMESPACE_PATTERN.test(ns)) {
    throw new ValidationError(`namespace must be 1–64 of A-Z a-z 0-9 _ . - (got '${String(ns)}')`, 'namespace')
  }
  return ns
}

export function checkKey (key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new ValidationError('key must be non-empty text', 'key')
  if (key.length > MAX_KEY) throw new OversizeTextError(`key is ${key.length} characters; the limit is ${MAX_KEY}`, 'key')
  return key
}

/** Size of the value's JSON text in bytes; throws for values that are not JSON. */
export function checkValue (value: unknown): Json {
  let text: string | undefined
  try { text = JSON.stringify(value) } catch { text = undefined }
  if (text === undefined) throw new ValidationError('value must be JSON', 'value')
  const bytes = new TextEncoder().encode(text).length
  if (bytes > MAX_VALUE_BYTES) throw new OversizeTextError(`value is ${bytes} bytes of JSON; the limit is ${MAX_VALUE_BYTES}`, 'value')
  return JSON.parse(text) as Json
}

/** Parses `500ms`, `30s`, `10m`, `2h`, `7d` (or a bare number of seconds) into milliseconds. */
export function parseDuration (text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim())
  if (m == null) throw new ValidationError(`'${text}' is not a duration (e.g. 30s, 10m, 2h, 7d)`, 'ttl')
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd' ?? 's']
  const ms = Math.round(Number(m[1]) * unit)
  if (ms <= 0 || ms > 366 * 86_400_000) throw new ValidationError(`ttl must be between 1 ms and 366 days (got ${text})`, 'ttl')
  return ms
}

export const entryKey = (ns: string, key: string): string => `${ns}:${key}`

export function isLive (e: MemoryEntry, now: number): boolean {
  return e.expiresAt == null || now < e.expiresAt
}

/** Reads one `memory` map value defensively; null when it does not match the schema. */
export function readEntry (k: string, v: unknown): MemoryEntry | null {
  if (v == null || typeof v !== 'object' || Array.isArray(v)) return null
  const e = v as Record<string, unknown>
  if (typeof e.namespace !== 'string' || !NAMESPACE_PATTERN.test(e.namespace)) return null
  if (typeof e.key !== 'string' || e.key.length === 0 || e.key.length > MAX_KEY) return null
  if (k !== entryKey(e.namespace, e.key)) return null
  const num = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x)
  if (!num(e.createdAt) || !num(e.updatedAt) || !(e.expiresAt === null || num(e.expiresAt))) return null
  if (typeof e.author !== 'string' || !('value' in e)) return null
  return { namespace: e.namespace, key: e.key, value: e.value as Json, createdAt: e.createdAt as number, updatedAt: e.updatedAt as number, expiresAt: e.expiresAt as number | null, author: e.author }
}

export class MemoryStore {
  readonly map: Y.Map<unknown>
  private readonly actor: string
  private readonly now: () => number

  constructor (readonly init: MemoryInit) {
    this.map = init.doc.getMap('memory')
    this.actor = init.actor
    this.now = init.now ?? Date.now
  }

  store (namespace: string, key: string, value: unknown, opts: { ttlMs?: number } = {}): MemoryEntry {
    const ns = checkNamespace(namespace)
    const k = checkKey(key)
    const v = checkValue(value)
    if (opts.ttlMs !== undefined && (!Number.isFinite(opts.ttlMs) || opts.ttlMs <= 0)) throw new ValidationError('ttl must be positive', 'ttl')
    const now = this.now()
    const prev = this.find(ns, k, now)
    const entry: MemoryEntry = {
      namespace: ns, key: k, value: v, createdAt: prev?.createdAt ?? now, updatedAt: now,
      expiresAt: opts.ttlMs === undefined ? null : now + opts.ttlMs, author: this.actor
    }
    this.map.set(entryKey(ns, k), entry)
    return entry
  }

  get (namespace: string, key: string): MemoryEntry {
    const e = this.find(checkNamespace(namespace), checkKey(key), this.now())
    if (e == null) throw new MemoryKeyNotFoundError(namespace, key)
    return e
  }

  delete (namespace: string, key: string): void {
    const ns = checkNamespace(namespace)
    const k = checkKey(key)
    if (this.find(ns, k, this.now()) == null) throw new MemoryKeyNotFoundError(ns, k)
    this.map.delete(entryKey(ns, k))
  }

  /** Live entries, sorted by namespace then key. */
  list (namespace?: string): MemoryEntry[] {
    if (namespace !== undefined) checkNamespace(namespace)
    const now = this.now()
    const out: MemoryEntry[] = []
    for (const [k, v] of this.map.entries()) {
      const e = readEntry(k, v)
      if (e != null && isLive(e, now) && (namespace === undefined || e.namespace === namespace)) out.push(e)
    }
    return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.key.localeCompare(b.key))
  }

  search (q: SearchQuery): MemoryEntry[] {
    const re = globToRegExp(q.pattern ?? '*')
    return this.list(q.namespace).filter(e => re.test(e.key) && (q.valueContains == null || JSON.stringify(e.value).includes(q.valueContains)))
  }

  /** Entries in the map that do not match the schema (written by a faulty or hostile peer). */
  invalidKeys (): string[] {
    return [...this.map.entries()].filter(([k, v]) => readEntry(k, v) == null).map(([k]) => k.slice(0, 80))
  }

  namespaces (): string[] {
    return [...new Set(this.list().map(e => e.namespace))]
  }

  /** Deletes entries expired for longer than the grace period; returns how many. */
  sweep (graceMs = SWEEP_GRACE_MS): number {
    const now = this.now()
    const dead: string[] = []
    for (const [k, v] of this.map.entries()) {
      const e = readEntry(k, v)
      if (e != null && e.expiresAt != null && now >= e.expiresAt + graceMs) dead.push(k)
    }
    if (dead.length > 0) this.init.doc.transact(() => { for (const k of dead) this.map.delete(k) })
    return dead.length
  }

  /** Writes already-validated entries in one transaction (restore path). */
  putAll (entries: MemoryEntry[], opts: { replace?: boolean } = {}): void {
    this.init.doc.transact(() => {
      if (opts.replace === true) for (const k of [...this.map.keys()]) this.map.delete(k)
      for (const e of entries) this.map.set(entryKey(e.namespace, e.key), e)
    })
  }

  private find (ns: string, key: string, now: number): MemoryEntry | null {
    const k = entryKey(ns, key)
    const e = readEntry(k, this.map.get(k))
    return e != null && isLive(e, now) ? e : null
  }
}

export function createMemoryStore (init: MemoryInit): MemoryStore {
  return new MemoryStore(init)
}
