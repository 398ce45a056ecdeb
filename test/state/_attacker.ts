/**
 * What a hostile peer in test/state needs to speak the state protocol by hand (never through the
 * provider): a Yjs doc writing under the client id bound to its own key, and entries it signs with
 * its own libp2p key, framed for a request or a gossip message.
 */
import * as Y from 'yjs'
import type { MeshNode } from '../../core/net/index.ts'
import { boundClientId } from '../../core/state/author.ts'
import { encodeEntries, encodeEntry, entrySigningBytes } from '../../core/state/codec.ts'

/** A doc whose local writes are under the client id bound to (peerId, session). */
export function attackerDoc (peerId: string, session: number): Y.Doc {
  const doc = new Y.Doc()
  doc.clientID = boundClientId(peerId, session)
  return doc
}

/** One entry signed by `node`'s own key, as bytes. */
export async function entryBy (node: MeshNode, session: number, seq: number, update: Uint8Array): Promise<Uint8Array> {
  const author = node.peerId.toString()
  const key = node.config.privateKey
  if (key == null) throw new Error('node has no key')
  return encodeEntry(author, session, seq, update, await key.sign(entrySigningBytes(author, session, seq, update)))
}

/** An entries frame holding one entry signed by `node` (a gossip message, or one frame of a batch). */
export async function signedAs (node: MeshNode, session: number, seq: number, update: Uint8Array): Promise<Uint8Array> {
  return encodeEntries([await entryBy(node, session, seq, update)])
}
