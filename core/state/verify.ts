/**
 * Checks one signed entry before anything of it touches a document, cheapest check first:
 * the author is accepted (the ledger's membership hook), every struct of the Yjs update is under the
 * client id bound to (author, session), and the author's key signed it. Deletions may target anyone's
 * items (that is how a Yjs map overwrite works); they are attributable through the signature.
 */
import * as Y from 'yjs'
import { AuthorKeys, boundClientId } from './author.ts'
import { signingBytesOf, type Entry } from './codec.ts'
import { ForgedEntryError, StateProtocolError } from './errors.ts'

/** Throws `ForgedEntryError` or `StateProtocolError`; returns the entry's client id. */
export async function verifyEntry (entry: Entry, keys: AuthorKeys, acceptAuthor: (peerId: string) => boolean): Promise<number> {
  if (!acceptAuthor(entry.author)) throw new ForgedEntryError(`author ${entry.author} is not accepted here`, 'author')
  const client = boundClientId(entry.author, entry.session)
  let meta: { from: Map<number, number>, to: Map<number, number> }
  try {
    meta = Y.parseUpdateMeta(entry.update)
  } catch (err) {
    throw new StateProtocolError(`malformed update: ${err instanceof Error ? err.message : String(err)}`)
  }
  for (const c of meta.from.keys()) {
    if (c !== client) throw new ForgedEntryError(`update writes under client ${c}, but ${entry.author} session ${entry.session} is bound to ${client}`, 'client')
  }
  const verify = keys.verifier(entry.author)
  if (verify == null) throw new ForgedEntryError(`author ${entry.author} has no Ed25519 key in its peer id`, 'author')
  let ok = false
  try {
    ok = await verify(signingBytesOf(entry), entry.sig)
  } catch {
    ok = false
  }
  if (!ok) throw new ForgedEntryError(`bad signature on entry ${entry.seq} by ${entry.author}`, 'signature')
  return client
}
