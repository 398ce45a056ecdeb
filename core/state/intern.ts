/**
 * Shares the strings Yjs decodes again for every issue and memory entry (issue 21: live heap per write).
 *
 * Every map field Yjs decodes carries its key as a fresh string: the `Item`'s `parentSub` and the
 * same string as the key of its parent's `_map`. An issue written one key per field had 16 keys
 * ('title', 'status', …) and a few values that repeat across issues ('open', 'task', the author's
 * peer id), so a replica held ~20 copies of the same short words per issue (16–72 bytes each,
 * ~0.5 KB per issue of ~6.7; an edit's key is one more). A memory entry's record repeats its
 * namespace and author, an issue's base entry (./schema.ts) its type, status and author (an
 * object's own keys are shared by V8 already). Made locally these are literals
 * or one shared actor string; decoded (a peer's entry, or the document loaded from disk) each is
 * its own copy, kept for the life of the document.
 *
 * `Interner.item` points an item's key, and the repeated values named below, at one shared copy;
 * `Interner.rekey` rebuilds the parent's `_map` with the shared keys (a `Map` keeps the key it was
 * first given). Equal strings stand in for equal strings, so nothing a reader sees changes; only
 * the key order of a rebuilt map can, and nothing depends on it (peers already differ there: a
 * local map is in creation order, a decoded one in clock order).
 *
 * Bounded: keys are shared only from the fixed vocabulary below (field names; memory keys and
 * issue ids are unique and left alone), values through a table of at most `MAX_SHARED` strings of
 * at most `MAX_SHARED_LENGTH` characters. A peer that fills the table with junk costs nothing but
 * the sharing of later values.
 */
import * as Y from 'yjs'
import { BASE_FIELDS, BASE_KEY, ISSUE_TYPES, STATUSES } from './schema.ts'

/**
 * The fixed keys of an issue's map: the base entry `Board.create` writes, each scalar field's own
 * key, which an edit sets (./schema.ts, `BASE_KEY`), and the nested types of the earlier layout
 * (labels, links and comments are now keys with a prefix, ./issue-sets.ts: not shared, as they
 * vary); test/state/heap-per-write.test.ts checks the list.
 */
export const ISSUE_FIELDS = [...BASE_FIELDS, BASE_KEY, 'labels', 'comments', 'links'] as const

/** Issue fields whose values repeat across issues. */
const VALUE_FIELDS: ReadonlySet<string> = new Set(['type', 'status', 'createdBy', 'assignee'])
/**
 * Fields of a record (an object value) whose values repeat: an issue's base entry's (as
 * `VALUE_FIELDS`), a memory entry's namespace and author (./memory.ts), a comment's author.
 */
const RECORD_FIELDS = [...VALUE_FIELDS, 'namespace', 'author']

/** @default 4096 strings in the value table (at ~100 bytes each: ~0.4 MB at most) */
const MAX_SHARED = 4096
/** @default 128 characters: longer values are not shared (peer ids are ~52) */
const MAX_SHARED_LENGTH = 128

export class Interner {
  private readonly keys = new Map<string, string>()
  private readonly values = new Map<string, string>()

  constructor () {
    for (const k of [...ISSUE_FIELDS, ...ISSUE_TYPES, ...STATUSES]) this.values.set(k, k)
    for (const k of ISSUE_FIELDS) this.keys.set(k, k)
  }

  /** How many strings the value table holds. */
  get size (): number { return this.values.size }

  private value (v: string): string {
    if (v.length > MAX_SHARED_LENGTH) return v
    const shared = this.values.get(v)
    if (shared !== undefined) return shared
    if (this.values.size < MAX_SHARED) this.values.set(v, v)
    return v
  }

  /**
   * Shares `item`'s key and repeated values; returns its parent when the key was one of the
   * vocabulary's (the parent's `_map` then needs `rekey`), else null.
   */
  item (item: Y.Item): Y.AbstractType<unknown> | null {
    const content = item.content
    const sub = item.parentSub
    if (content instanceof Y.ContentAny && content.arr.length === 1) {
      const v = content.arr[0]
      if (typeof v === 'string' && sub !== null && VALUE_FIELDS.has(sub)) content.arr[0] = this.value(v)
      else if (v !== null && typeof v === 'object' && !Array.isArray(v) && !Object.isFrozen(v)) {
        const record = v as Record<string, unknown>
        for (const f of RECORD_FIELDS) {
          const s = record[f]
          if (typeof s === 'string') record[f] = this.value(s)
        }
      }
    }
    if (sub === null) return null
    const key = this.keys.get(sub)
    if (key === undefined) return null
    item.parentSub = key
    return item.parent instanceof Y.AbstractType ? item.parent : null
  }

  /** Rebuilds `type`'s key map with the shared keys (same items, same order). */
  rekey (type: Y.AbstractType<unknown>): void {
    const next = new Map<string, Y.Item>()
    for (const [k, item] of type._map) next.set(this.keys.get(k) ?? k, item)
    type._map = next
  }
}

/** One table per process: the strings are the same whichever document decoded them. */
export const interner = new Interner()
