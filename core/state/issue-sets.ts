/**
 * An issue's labels, links and comments as keys of the issue's own map (issue 21: memory per write).
 *
 * They were three nested Yjs types created with every issue (`labels: Y.Map<label, true>`,
 * `links: Y.Map<"<type> <target>", true>`, `comments: Y.Array<Comment>`): ~1.9 KB of heap per issue
 * on every replica, most issues leaving them empty (a type is an item plus a `YMap`/`YArray`, two
 * event handlers, a `Map` and its hash table). They cannot be created lazily (two peers creating
 * `labels` at once: last writer wins, one peer's labels lost), but they need not exist: each label,
 * link or comment is a key of the map, `label:<name>` → true, `link:<type> <target>` → true,
 * `comment:<id>` → the comment, and keys merge exactly as the nested maps did (concurrent adds of
 * one label merge, of two labels both stay, a removal deletes one key). Comments read in time
 * order (`at`; one author's comments of one millisecond in the order written).
 *
 * Issues written before (with the nested types) read the same: every reader takes the union of the
 * nested type, when there is one, and the keys; a removal deletes from both; additions go to keys.
 */
import * as Y from 'yjs'

export type SetKind = 'labels' | 'links' | 'comments'

/** The prefix of each kind's keys in the map. */
export const SET_PREFIX: Readonly<Record<SetKind, string>> = { labels: 'label:', links: 'link:', comments: 'comment:' }

/** Whether the nested type of `kind`, if any, has the right shape (a wrong one makes the issue invalid). */
export function nestedShapeOk (m: Y.Map<unknown>, kind: SetKind): boolean {
  if (!m.has(kind)) return true
  const t = m.get(kind)
  return kind === 'comments' ? t instanceof Y.Array : t instanceof Y.Map
}

function nestedMap (m: Y.Map<unknown>, kind: 'labels' | 'links'): Y.Map<unknown> | null {
  const t = m.get(kind)
  return t instanceof Y.Map ? t as Y.Map<unknown> : null
}

/** The members of `kind` (labels, link keys): the nested map's entries and the prefixed keys, as name → value. */
export function setEntries (m: Y.Map<unknown>, kind: 'labels' | 'links'): Map<string, unknown> {
  const out = new Map<string, unknown>(nestedMap(m, kind)?.entries() ?? [])
  const prefix = SET_PREFIX[kind]
  for (const [k, v] of m.entries()) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v)
  return out
}

/** Adds `name` to `kind` (a key of the map). */
export function setAdd (m: Y.Map<unknown>, kind: 'labels' | 'links', name: string): void {
  m.set(SET_PREFIX[kind] + name, true)
}

/** Removes `name` from `kind` in both layouts. */
export function setRemove (m: Y.Map<unknown>, kind: 'labels' | 'links', name: string): void {
  const key = SET_PREFIX[kind] + name
  if (m.has(key)) m.delete(key)
  const nested = nestedMap(m, kind)
  if (nested?.has(name) === true) nested.delete(name)
}

/** Every comment value, unchecked: the nested array's, then the keyed ones. */
export function commentValues (m: Y.Map<unknown>): unknown[] {
  const t = m.get('comments')
  const out = t instanceof Y.Array ? (t as Y.Array<unknown>).toArray() : []
  for (const [k, v] of m.entries()) if (k.startsWith(SET_PREFIX.comments)) out.push(v)
  return out
}

/** Adds a comment under its id. */
export function commentAdd (m: Y.Map<unknown>, comment: { id: string }): void {
  m.set(SET_PREFIX.comments + comment.id, comment)
}
