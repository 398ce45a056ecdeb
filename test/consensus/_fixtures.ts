/**
 * Test fixtures: a small cluster of real replicas (real ed25519 keys and ECVRF proofs) and helpers
 * that build signed messages the way a peer would, so rule tests feed exact wire bytes.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { MSG_PREPARE, readMessage, seal, writeHeaderBody, writePropose, writeVoteBody, type Header } from '../../core/consensus/codec.ts'
import { createConsensusCrypto, deriveReplicaKeys, PHASE_COMMIT, PHASE_PREPARE, vrfAlpha, type ReplicaKeys } from '../../core/consensus/crypto.ts'
import { Replica, type Action } from '../../core/consensus/replica.ts'
import { recipientsFromBeta, type Protocol } from '../../core/consensus/validate.ts'

export interface Cluster {
  n: number
  f: number
  keys: ReplicaKeys[]
  make: (id: number) => Replica
  header: (leader: number, slot: number, view: number, value: Uint8Array) => Uint8Array
  propose: (leader: number, slot: number, view: number, value: Uint8Array) => Uint8Array
  vote: (type: 3 | 4, sender: number, header: Uint8Array, proof?: Uint8Array) => Uint8Array
  proof: (sender: number, type: 3 | 4, slot: number, view: number) => Uint8Array
  sample: (sender: number, type: 3 | 4, slot: number, view: number) => number[]
  value: (tag: string) => Uint8Array
}

export function cluster (opts: { n: number, f: number, protocol: Protocol, sampleSize: number, quorum: number, seed?: number }): Cluster {
  const { n, f, protocol, sampleSize, quorum } = opts
  const crypto = createConsensusCrypto()
  const keys = Array.from({ length: n }, (_, i) => deriveReplicaKeys(sha256(new TextEncoder().encode(`fixture ${opts.seed ?? 0} ${i}`))))
  const identities = keys.map(k => ({ signPublic: k.signPublic, vrfPublic: k.vrfPublic }))
  const ctx = { n, f, protocol, sampleSize, quorum, identities, crypto }
  const sign = (id: number, body: Uint8Array): Uint8Array => seal(body, crypto.sign(keys[id].signSecret, body))
  const proof = (sender: number, type: 3 | 4, slot: number, view: number): Uint8Array =>
    protocol === 'pbft' ? new Uint8Array(0) : crypto.vrfProve(keys[sender].vrfSecret, vrfAlpha(type === MSG_PREPARE ? PHASE_PREPARE : PHASE_COMMIT, slot, view))
  const header = (leader: number, slot: number, view: number, value: Uint8Array): Uint8Array => sign(leader, writeHeaderBody(leader, slot, view, crypto.digest(value)))
  return {
    n,
    f,
    keys,
    make: id => new Replica({ id, n, f, protocol, sampleSize, quorum, viewTimeout: 24, nudgeTimeout: 8 },
      { keys: keys[id], identities, crypto, proposalFor: (slot, view) => sha256(new TextEncoder().encode(`p ${id} ${slot} ${view}`)) }),
    header,
    propose: (leader, slot, view, value) => writePropose(header(leader, slot, view, value), value),
    vote: (type, sender, h, p) => {
      const hd = readMessage(h) as Header
      return sign(sender, writeVoteBody(type, sender, h, p ?? proof(sender, type, hd.slot, hd.view)))
    },
    proof,
    sample: (sender, type, slot, view) => protocol === 'pbft'
      ? Array.from({ length: n }, (_, i) => i).filter(i => i !== sender)
      : recipientsFromBeta(ctx, crypto.vrfHash(proof(sender, type, slot, view)) as Uint8Array, sender),
    value: tag => sha256(new TextEncoder().encode(tag))
  }
}

export function sends (actions: Action[], kind?: number): Array<Extract<Action, { type: 'send' }>> {
  return actions.filter((a): a is Extract<Action, { type: 'send' }> => a.type === 'send' && (kind == null || a.kind === kind))
}

export function decisions (actions: Action[]): Array<Extract<Action, { type: 'decide' }>> {
  return actions.filter((a): a is Extract<Action, { type: 'decide' }> => a.type === 'decide')
}
