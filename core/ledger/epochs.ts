/**
 * Epoch sizing and the evidence check, pure functions of committed data.
 *
 * Sizing: n < 4 → PBFT quorums with q = ⌈(n + 1)/2⌉ and f = n − q, the replicas that may crash
 * (there is no Byzantine quorum below 4 replicas: f counts crashes here, 1 at n = 3, else 0); n ≥ 4
 * → f = ⌊(n − 1)/3⌋ and `solveProbft` (ProBFT) or `pbftQuorum` (PBFT), per the genesis protocol.
 *
 * Why f = n − q below 4 (wire 5; f was 0 before): the engine's NEW-VIEW needs n − f VIEW-CHANGEs, so
 * with f = 0 an epoch of 3 could not leave any view while one replica was down or mute — a view led
 * by that replica stalled the ledger for good, though q = 2 let the other two decide every slot
 * another led (docs/ledger.md, "Replicas that stop voting"). With f = 1 the NEW-VIEW takes 2 = q
 * VIEW-CHANGEs; crash safety holds, since two sets of 2 of 3 replicas share one, which reports what
 * it prepared. Removal at n = 3 then takes f + 1 = 2 askers: one replica cannot evict another.
 */
import { readMessage, MSG_COMMIT, MSG_HEADER, MSG_PREPARE, type Message } from '../consensus/codec.ts'
import { signedPart } from '../consensus/codec.ts'
import type { ConsensusCrypto, PublicIdentity } from '../consensus/crypto.ts'
import { pbftQuorum, solveProbft, type QuorumMath } from '../consensus/quorum.ts'
import type { ValidationContext } from '../consensus/validate.ts'
import type { EvidenceBody } from './entries.ts'

export interface ReplicaMember extends PublicIdentity { peerId: string, since: number }

export interface EpochInfo {
  epoch: number
  /** first slot of the epoch */
  start: number
  replicas: ReplicaMember[]
  n: number
  f: number
  /** the protocol the instance runs (PBFT below 4 replicas whatever the genesis says) */
  protocol: 'probft' | 'pbft'
  sampleSize: number
  quorum: number
}

export function sizeEpoch (epoch: number, start: number, replicas: ReplicaMember[], protocol: 'probft' | 'pbft', math: QuorumMath): EpochInfo {
  const n = replicas.length
  if (n < 4) {
    const quorum = Math.ceil((n + 1) / 2)
    return { epoch, start, replicas, n, f: n - quorum, protocol: 'pbft', sampleSize: Math.max(0, n - 1), quorum }
  }
  const f = Math.floor((n - 1) / 3)
  if (protocol === 'pbft') return { epoch, start, replicas, n, f, protocol, sampleSize: n - 1, quorum: pbftQuorum(n, f) }
  const p = solveProbft(math, { n, f })
  return { epoch, start, replicas, n, f, protocol, sampleSize: p.sampleSize, quorum: p.quorum }
}

export function validationContext (e: EpochInfo, crypto: ConsensusCrypto): ValidationContext {
  return { n: e.n, f: e.f, protocol: e.protocol, sampleSize: e.sampleSize, quorum: e.quorum, identities: e.replicas, crypto }
}

/**
 * Checks equivocation evidence against the epoch it names: two different messages of the same kind,
 * signed by the same replica, for the same slot and view (two leader headers, or two PREPAREs or two
 * COMMITs carrying different headers). Returns the offender's peer id, or the reason it is refused.
 */
export function checkEvidence (ev: EvidenceBody, e: EpochInfo, crypto: ConsensusCrypto): { offender: string } | { refusal: string } {
  let a: Message, b: Message
  try { a = readMessage(ev.first); b = readMessage(ev.second) } catch { return { refusal: 'evidence messages do not decode' } }
  const signer = (m: Message): number => m.type === MSG_HEADER ? m.leader : (m.type === MSG_PREPARE || m.type === MSG_COMMIT) ? m.sender : -1
  if (a.type !== b.type || signer(a) < 0) return { refusal: 'evidence must be two headers or two votes of one phase' }
  const who = signer(a)
  if (who !== signer(b) || who >= e.n) return { refusal: 'evidence messages have different or unknown signers' }
  const ha = a.type === MSG_HEADER ? a : (a as Extract<Message, { sender: number, header: unknown }> & { header: Extract<Message, { type: 1 }> }).header
  const hb = b.type === MSG_HEADER ? b : (b as Extract<Message, { sender: number, header: unknown }> & { header: Extract<Message, { type: 1 }> }).header
  if (ha.slot !== hb.slot || ha.view !== hb.view) return { refusal: 'evidence messages are for different slots or views' }
  if (ha.slot < e.start) return { refusal: 'evidence is for a slot before the epoch' }
  if (ha.bytes.length === hb.bytes.length && ha.bytes.every((x, i) => x === hb.bytes[i])) return { refusal: 'evidence messages do not conflict' }
  const key = e.replicas[who].signPublic
  const sigOf = (m: Message): Uint8Array => (m as { sig: Uint8Array }).sig
  const bytesOf = (m: Message): Uint8Array => (m as { bytes: Uint8Array }).bytes
  if (!crypto.verifySignature(key, signedPart(bytesOf(a)), sigOf(a)) || !crypto.verifySignature(key, signedPart(bytesOf(b)), sigOf(b))) {
    return { refusal: 'evidence signature does not verify' }
  }
  return { offender: e.replicas[who].peerId }
}
