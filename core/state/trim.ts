/**
 * Gives back what Yjs over-allocates for every value it decodes (issue 21: live heap per write).
 *
 * A map field or array element is a Yjs `ContentAny` holding its values in `arr`. Made locally,
 * `arr` is a one-element literal (24 bytes of elements); decoded from an update (a peer's entry, or
 * the whole document loaded from disk) Yjs 13.6 builds it with `cs = []; cs.push(…)`, and V8 gives
 * an array grown by `push` from empty room for 17 elements: 152 bytes of elements for one value.
 * That slack is never given back, and every remote or reloaded value carries it: ~128 bytes per
 * field, ~1.7 KB per issue (13 such fields) on every replica (measured with heap snapshots,
 * docs/state.md "Memory per write"). Replacing `arr` by a tight copy right after the transaction
 * that decoded it frees the slack; the values themselves are shared, not copied.
 *
 * Safe because nothing keeps `arr` itself across a transaction: Yjs reads it through
 * `getContent()`, and splitting or merging an item (`splice`, `mergeWith`) makes new arrays anyway.
 * Upstream fix (yjs `readContentAny`/`readContentJSON`): `const cs = new Array(len)` and assign by
 * index. Until then this runs after every remote transaction (`trimRemoteContent`) and once over a
 * document loaded from storage (`trimDecodedContent`).
 *
 * The same pass shares the decoded keys and repeated values (./intern.ts).
 */
import * as Y from 'yjs'
import { interner } from './intern.ts'

/** Elements of a one-value array; anything larger than this many is left alone (rare, and cheap relative to its values). */
const MAX_TRIMMED = 16

function trimItem (s: Y.AbstractStruct, rekey: Set<Y.AbstractType<unknown>>): number {
  if (!(s instanceof Y.Item)) return 0
  const parent = interner.item(s)
  if (parent !== null) rekey.add(parent)
  if (!(s.content instanceof Y.ContentAny)) return 0
  const arr = s.content.arr
  if (arr.length > MAX_TRIMMED) return 0
  s.content.arr = arr.slice()
  return 1
}

/** Trims the values of `client`'s items from `clock` on; returns how many. Parents whose keys were shared go into `rekey`. */
function trimFrom (doc: Y.Doc, client: number, clock: number, rekey: Set<Y.AbstractType<unknown>>): number {
  const structs = doc.store.clients.get(client)
  if (structs == null || structs.length === 0) return 0
  const last = structs[structs.length - 1]
  if (clock >= last.id.clock + last.length) return 0
  let n = 0
  for (let i = clock <= 0 ? 0 : Y.findIndexSS(structs, clock); i < structs.length; i++) n += trimItem(structs[i], rekey)
  return n
}

/** Trims every decoded value in the document (after loading it from storage). Returns how many. */
export function trimDecodedContent (doc: Y.Doc): number {
  let n = 0
  const rekey = new Set<Y.AbstractType<unknown>>()
  for (const client of doc.store.clients.keys()) n += trimFrom(doc, client, 0, rekey)
  for (const t of rekey) interner.rekey(t)
  return n
}

/**
 * From now on, trims the values each remote transaction (`applyUpdate`: `transaction.local` is
 * false) added to `doc`. Returns the function that stops it.
 */
export function trimRemoteContent (doc: Y.Doc): () => void {
  const onAfter = (tr: Y.Transaction): void => {
    if (tr.local) return
    const rekey = new Set<Y.AbstractType<unknown>>()
    for (const [client, clock] of tr.afterState) {
      const before = tr.beforeState.get(client) ?? 0
      if (clock > before) trimFrom(doc, client, before, rekey)
    }
    for (const t of rekey) interner.rekey(t)
  }
  doc.on('afterTransaction', onAfter)
  return () => { doc.off('afterTransaction', onAfter) }
}
