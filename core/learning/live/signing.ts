/**
 * Every live update is signed by its learner's libp2p key, over
 *
 *   signed := varString("novacron/learning/update/v1") • varString(task) • varUint(round)
 *             • bytes32(base) • bytes32(SHA-256(body))
 *
 * so a signature binds the body to one task, round and base: it cannot be replayed into another
 * round, and a verifier that fetches a committed round's bodies from its coordinator (`getRound`)
 * checks that each came from the participant the entry lists, without trusting the coordinator.
 * The coordinator checks it after the cheap checks (selected, not answered yet, before the
 * deadline) and before decoding; a bad one is counted `signature`.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import * as encoding from 'lib0/encoding'
import { verifyPeerSignature, type LearningIdentity } from './identity.ts'

export const SIGNATURE_LENGTH = 64
const TAG = 'novacron/learning/update/v1'

export function updateSigningBytes (task: string, round: number, base: Uint8Array, body: Uint8Array): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarString(e, TAG); encoding.writeVarString(e, task); encoding.writeVarUint(e, round)
    encoding.writeUint8Array(e, base); encoding.writeUint8Array(e, sha256(body))
  })
}

export async function signUpdate (identity: LearningIdentity, task: string, round: number, base: Uint8Array, body: Uint8Array): Promise<Uint8Array> {
  return await identity.sign(updateSigningBytes(task, round, base, body))
}

export async function checkUpdateSignature (peer: string, task: string, round: number, base: Uint8Array, body: Uint8Array, sig: Uint8Array): Promise<boolean> {
  if (sig.length !== SIGNATURE_LENGTH) return false
  return await verifyPeerSignature(peer, updateSigningBytes(task, round, base, body), sig)
}

/** The peers whose bodies in a committed round's `round` answer do not carry their valid signature. */
export async function badRoundSignatures (task: string, round: number, base: Uint8Array, updates: ReadonlyArray<{ peer: string, body: Uint8Array, sig: Uint8Array }>): Promise<string[]> {
  const bad: string[] = []
  for (const u of updates) if (!(await checkUpdateSignature(u.peer, task, round, base, u.body, u.sig))) bad.push(u.peer)
  return bad
}
