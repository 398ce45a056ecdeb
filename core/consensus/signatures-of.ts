/**
 * The Ed25519 signatures a consensus message carries, as (public key, signed bytes, signature)
 * triples: the sender's, the leader's header, and those of the votes and view changes nested in
 * certificates. A platform whose native Ed25519 is asynchronous (WebCrypto in a tab) checks these
 * before the synchronous engine sees the message and enters the verdicts in the verification
 * cache (`memoizeVerification(...).preverify`); the engine then checks every signature as always,
 * most of them from the cache. Bounded: at most `MAX_TRIPLES` per message; undecodable bytes or
 * unknown senders give none (the engine rejects those itself).
 */
import { MSG_COMMIT, MSG_DECISION, MSG_DECISION_REQUEST, MSG_NEW_VIEW, MSG_PREPARE, MSG_PROPOSE, MSG_VIEW_CHANGE, readMessage, signedPart, type Header, type Message, type ViewChange, type Vote } from './codec.ts'
import type { PublicIdentity } from './crypto.ts'

export interface SignedTriple { publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array }

const MAX_TRIPLES = 512

export function signaturesOf (bytes: Uint8Array, identities: PublicIdentity[]): SignedTriple[] {
  let m: Message
  try { m = readMessage(bytes) } catch { return [] }
  const out: SignedTriple[] = []
  const add = (sender: number, signed: { bytes: Uint8Array, sig: Uint8Array }): void => {
    const id = identities[sender]
    if (id != null && out.length < MAX_TRIPLES) out.push({ publicKey: id.signPublic, message: signedPart(signed.bytes), sig: signed.sig })
  }
  const header = (h: Header): void => { add(h.leader, h) }
  const vote = (v: Vote): void => { add(v.sender, v); header(v.header) }
  const viewChange = (vc: ViewChange): void => { add(vc.sender, vc); vc.prepared.forEach(vote) }
  switch (m.type) {
    case MSG_PROPOSE: header(m.header); break
    case MSG_PREPARE: case MSG_COMMIT: vote(m); break
    case MSG_VIEW_CHANGE: viewChange(m); break
    case MSG_NEW_VIEW: add(m.sender, m); header(m.header); m.viewChanges.forEach(viewChange); break
    case MSG_DECISION: add(m.sender, m); m.commits.forEach(vote); break
    case MSG_DECISION_REQUEST: add(m.sender, m); break
    default: break
  }
  return out
}
