/**
 * Stateless checks of single messages and certificates, shared by every rule of the replica.
 * Each returns a `RejectReason` (a string code the replica counts) or null when the item is valid.
 * Nothing here throws on peer input.
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import { vrfAlpha, PHASE_COMMIT, PHASE_PREPARE, type ConsensusCrypto, type PublicIdentity } from './crypto.ts'
import { MSG_COMMIT, MSG_PREPARE, bytesEqual, signedPart, type Header, type Vote, type ViewChange, type Decision } from './codec.ts'
import { sampleFromOutput } from '../vrf/sample.ts'

export type RejectReason =
  | 'malformed' | 'badSignature' | 'badVrf' | 'notInSample' | 'wrongLeader' | 'wrongView' | 'stale'
  | 'future' | 'duplicate' | 'equivocation' | 'badCertificate' | 'badValue' | 'unknownSender'

export type Protocol = 'probft' | 'pbft'

export interface ValidationContext {
  n: number
  f: number
  protocol: Protocol
  sampleSize: number
  quorum: number
  identities: PublicIdentity[]
  crypto: ConsensusCrypto
}

export function leaderOf (n: number, slot: number, view: number): number {
  return (slot + view) % n
}

/** Lowercase hex of `b` (a short name for the replica's map keys and the simulation's report). */
export function hex (b: Uint8Array): string {
  return bytesToHex(b)
}

export function checkHeader (ctx: ValidationContext, h: Header): RejectReason | null {
  if (h.leader >= ctx.n) return 'unknownSender'
  if (h.leader !== leaderOf(ctx.n, h.slot, h.view)) return 'wrongLeader'
  if (!ctx.crypto.verifySignature(ctx.identities[h.leader].signPublic, signedPart(h.bytes), h.sig)) return 'badSignature'
  return null
}

/** Recipients of `sender`'s votes in a phase, from the VRF output (ProBFT) or everyone (PBFT). */
export function recipientsFromBeta (ctx: ValidationContext, beta: Uint8Array, sender: number): number[] {
  return sampleFromOutput(beta, ctx.n, ctx.sampleSize, sender)
}

export function allOthers (n: number, self: number): number[] {
  const out: number[] = []
  for (let i = 0; i < n; i++) if (i !== self) out.push(i)
  return out
}

/**
 * A PREPARE/COMMIT addressed to `holder` (the replica that received it, or that holds it in a
 * certificate): signed by its sender, a valid header, and (ProBFT) a valid VRF proof whose sample
 * contains `holder` (a replica's own vote needs no sample).
 */
export function checkVote (ctx: ValidationContext, v: Vote, holder: number): RejectReason | null {
  if (v.sender >= ctx.n || holder >= ctx.n) return 'unknownSender'
  const id = ctx.identities[v.sender]
  if (!ctx.crypto.verifySignature(id.signPublic, signedPart(v.bytes), v.sig)) return 'badSignature'
  const hr = checkHeader(ctx, v.header)
  if (hr != null) return hr
  if (ctx.protocol === 'pbft') return v.vrfProof.length === 0 ? null : 'badVrf'
  if (v.vrfProof.length === 0) return 'badVrf'
  const phase = v.type === MSG_PREPARE ? PHASE_PREPARE : PHASE_COMMIT
  const beta = ctx.crypto.vrfVerify(id.vrfPublic, vrfAlpha(phase, v.header.slot, v.header.view), v.vrfProof)
  if (beta == null) return 'badVrf'
  if (v.sender !== holder && !recipientsFromBeta(ctx, beta, v.sender).includes(holder)) return 'notInSample'
  return null
}

/**
 * A certificate: `quorum` votes of one type from distinct senders for one header, each valid
 * for `holder`. Returns the header or a reason.
 */
export function checkCertificate (ctx: ValidationContext, votes: Vote[], type: typeof MSG_PREPARE | typeof MSG_COMMIT, holder: number): Header | RejectReason {
  if (votes.length < ctx.quorum) return 'badCertificate'
  const first = votes[0].header
  const senders = new Set<number>()
  for (const v of votes) {
    if (v.type !== type || !bytesEqual(v.header.bytes, first.bytes)) return 'badCertificate'
    if (senders.has(v.sender)) return 'badCertificate'
    senders.add(v.sender)
    const r = checkVote(ctx, v, holder)
    if (r != null) return 'badCertificate'
  }
  return first
}

export function checkValue (ctx: ValidationContext, header: Header, value: Uint8Array): boolean {
  return bytesEqual(ctx.crypto.digest(value), header.digest)
}

export function checkViewChange (ctx: ValidationContext, vc: ViewChange): RejectReason | null {
  if (vc.sender >= ctx.n) return 'unknownSender'
  if (!ctx.crypto.verifySignature(ctx.identities[vc.sender].signPublic, signedPart(vc.bytes), vc.sig)) return 'badSignature'
  if (vc.newView === 0) return 'wrongView'
  if (vc.prepared.length === 0) return vc.value.length === 0 ? null : 'badCertificate'
  // q PREPAREs (the sender prepared) or q COMMITs (the sender decided), all addressed to the sender
  const h = checkCertificate(ctx, vc.prepared, vc.prepared[0].type, vc.sender)
  if (typeof h === 'string') return h
  if (h.slot !== vc.slot || h.view >= vc.newView) return 'badCertificate'
  if (!checkValue(ctx, h, vc.value)) return 'badValue'
  return null
}

export function checkDecision (ctx: ValidationContext, d: Decision): Header | RejectReason {
  if (d.sender >= ctx.n || d.holder >= ctx.n) return 'unknownSender'
  if (!ctx.crypto.verifySignature(ctx.identities[d.sender].signPublic, signedPart(d.bytes), d.sig)) return 'badSignature'
  const h = checkCertificate(ctx, d.commits, MSG_COMMIT, d.holder)
  if (typeof h === 'string') return h
  if (h.slot !== d.slot) return 'badCertificate'
  if (!checkValue(ctx, h, d.value)) return 'badValue'
  return h
}

/**
 * The NEW-VIEW selection rule: among the view changes' certificates, the one of the highest view;
 * in that view a decision (q COMMITs) beats a prepared certificate (q PREPAREs); remaining ties
 * (only possible under leader equivocation) go to the digest held by more certificates, then the
 * smaller digest. Null when no view change carries a certificate.
 *
 * Why decisions first: with probabilistic quorums an equivocating leader can leave a few correct
 * replicas decided on x while more of them hold PREPARE certificates for y from the same view
 * (e.g. when a partition hid y from the deciders). A certificate of q COMMITs shows q replicas
 * prepared x; re-proposing x keeps the deciders' value, where counting certificates would not.
 */
export function selectFromViewChanges (vcs: ViewChange[]): { header: Header, value: Uint8Array } | null {
  let best: { header: Header, value: Uint8Array, rank: number, votes: number } | null = null
  const support = new Map<string, number>()
  const keyOf = (h: Header): string => `${h.view}:${hex(h.digest)}`
  for (const vc of vcs) {
    if (vc.prepared.length === 0) continue
    const k = keyOf(vc.prepared[0].header)
    support.set(k, (support.get(k) ?? 0) + 1)
  }
  for (const vc of vcs) {
    if (vc.prepared.length === 0) continue
    const h = vc.prepared[0].header
    const rank = vc.prepared[0].type === MSG_COMMIT ? 1 : 0
    const votes = support.get(keyOf(h)) ?? 0
    const better = best == null || h.view > best.header.view ||
      (h.view === best.header.view && (rank > best.rank || (rank === best.rank &&
        (votes > best.votes || (votes === best.votes && hex(h.digest) < hex(best.header.digest))))))
    if (better) best = { header: h, value: vc.value, rank, votes }
  }
  return best == null ? null : { header: best.header, value: best.value }
}
