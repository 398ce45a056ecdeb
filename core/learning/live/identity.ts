/**
 * A learner's keys for live learning, both from its libp2p identity so that a restart with the same
 * identity keeps them: an ECVRF key for the coordinator draw (draw.ts; its public half is in the
 * learner's `model.join`), derived under its own tag so it is never the ledger's consensus VRF key,
 * and signing with the libp2p key itself, so an update's signature checks from the sender's peer
 * id alone (`verifyPeerSignature`).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { keygen } from '../../vrf/index.ts'

export interface LearningIdentity {
  /** ECVRF-EDWARDS25519-SHA512-TAI secret key of the coordinator draw */
  vrfSecret: Uint8Array
  vrfPublic: Uint8Array
  /** signs with the peer's libp2p key */
  sign: (bytes: Uint8Array) => Promise<Uint8Array>
}

const VRF_TAG = new TextEncoder().encode('novacron/learning/vrf/v1')

export function learningIdentity (privateKey: PrivateKey): LearningIdentity {
  const raw = privateKey.raw
  const seed = new Uint8Array(VRF_TAG.length + raw.length)
  seed.set(VRF_TAG, 0); seed.set(raw, VRF_TAG.length)
  const { secretKey, publicKey } = keygen(sha256(seed))
  return { vrfSecret: secretKey, vrfPublic: publicKey, sign: async bytes => await privateKey.sign(bytes) }
}

/** Whether `sig` is `peer`'s signature of `bytes` (false, never a throw, for a malformed id or key). */
export async function verifyPeerSignature (peer: string, bytes: Uint8Array, sig: Uint8Array): Promise<boolean> {
  try {
    const key = peerIdFromString(peer).publicKey
    if (key == null) return false
    return await key.verify(bytes, sig)
  } catch {
    return false // not a peer id, or a key type without an embedded public key: simply not valid
  }
}
