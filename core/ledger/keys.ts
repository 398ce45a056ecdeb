/**
 * A peer's ledger keys: the consensus keys (ed25519 signing + ECVRF, the engine's two keys) derived
 * deterministically from its libp2p private key, so a restart with the same identity has the same
 * consensus keys; microblock signing with the libp2p key itself (verifiable from the peer id
 * alone); the join proof of possession; the genesis record.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { deriveReplicaKeys, type ConsensusCrypto, type ReplicaKeys } from '../consensus/crypto.ts'
import { readGenesis, sealGenesis, sealMicroblock, signedPart, writeGenesisBody, writeMicroblockBody, type Genesis, type Microblock } from './codec.ts'
import { joinMessage, writeJoin, type JoinBody } from './entries.ts'
import type { Entry } from './types.ts'

const TAG = new TextEncoder().encode('novacron/ledger/keys/v1')

export function deriveLedgerKeys (privateKey: PrivateKey): ReplicaKeys {
  const raw = privateKey.raw
  const seed = new Uint8Array(TAG.length + raw.length)
  seed.set(TAG, 0); seed.set(raw, TAG.length)
  return deriveReplicaKeys(sha256(seed))
}

/** The body of this peer's `join` entry: its consensus public keys with proofs of possession. */
export function joinBody (peerId: string, keys: ReplicaKeys, crypto: ConsensusCrypto): Uint8Array {
  const msg = joinMessage(peerId)
  const body: JoinBody = { signPublic: keys.signPublic, vrfPublic: keys.vrfPublic, sig: crypto.sign(keys.signSecret, msg), proof: crypto.vrfProve(keys.vrfSecret, msg) }
  return writeJoin(body)
}

export async function signMicroblock (privateKey: PrivateKey, author: string, seq: number, entries: Entry[]): Promise<Uint8Array> {
  const body = writeMicroblockBody(author, seq, entries)
  return sealMicroblock(body, await privateKey.sign(body))
}

/** Verifies a microblock's signature from its author's peer id alone (native Ed25519 in Node). */
export async function verifyMicroblock (mb: Microblock): Promise<boolean> {
  try {
    const key = peerIdFromString(mb.author).publicKey
    if (key == null) return false
    return await key.verify(signedPart(mb.bytes), mb.sig)
  } catch {
    return false // not a peer id, or a key type without a public key: simply invalid
  }
}

export async function createGenesis (privateKey: PrivateKey, peerId: string, keys: ReplicaKeys, opts: { meshId: string, protocol: 'probft' | 'pbft', maxReplicas: number }): Promise<Uint8Array> {
  const body = writeGenesisBody(opts.meshId, [{ peerId, signPublic: keys.signPublic, vrfPublic: keys.vrfPublic }], opts.protocol, opts.maxReplicas)
  return sealGenesis(body, await privateKey.sign(body))
}

/** Decodes a genesis and checks it is signed by `genesisPeerId`'s key and lists it first; null if not. */
export async function checkGenesis (bytes: Uint8Array, genesisPeerId: string): Promise<Genesis | null> {
  let g: Genesis
  try { g = readGenesis(bytes) } catch { return null }
  if (g.members[0].peerId !== genesisPeerId) return null
  try {
    const key = peerIdFromString(genesisPeerId).publicKey
    if (key == null) return null
    return (await key.verify(signedPart(g.bytes), g.sig)) ? g : null
  } catch {
    return null
  }
}
