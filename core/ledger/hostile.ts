/**
 * Test-only hostile behaviour of a replica (`LedgerInit.hostile`, exposed on the CLI only under
 * NOVACRON_TEST=1): wraps the shell's outgoing engine messages. The honest validation of every
 * other replica is what the Byzantine tests exercise.
 *
 *   equivocate         as leader, the proposal goes to half the replicas and a second, validly
 *                      signed proposal of another block (an empty one) to the other half
 *   conflicting-votes  every PREPARE/COMMIT is followed by a second vote for another digest under a
 *                      header it signs itself (wrongLeader at the receivers)
 *   forged-vrf         votes also go to every replica outside the VRF sample (notInSample), and
 *                      once with a corrupted proof (badVrf / badSignature)
 *   garbage / flood    random frames every second / every frame four times (ledger-node.ts)
 *   mute               sends no engine message at all: as leader it proposes nothing, it never
 *                      votes nor answers a DECISION-REQUEST; it still answers liveness probes and
 *                      sync pulls, so it is not removed as silent — honest replicas must leave its
 *                      views by view change (mute-leaders.ts)
 */
import { MSG_COMMIT, MSG_PREPARE, MSG_PROPOSE, readMessage, seal, writeHeaderBody, writePropose, writeVoteBody } from '../consensus/codec.ts'
import type { ConsensusCrypto, ReplicaKeys } from '../consensus/crypto.ts'
import { writeBlock } from './codec.ts'

export type HostileMode = 'equivocate' | 'conflicting-votes' | 'forged-vrf' | 'garbage' | 'flood' | 'mute'

export interface HostileContext {
  mode: HostileMode
  epoch: number
  index: number
  keys: ReplicaKeys
  crypto: ConsensusCrypto
  /** every other replica of the epoch */
  others: string[]
  send: (peerIds: string[], message: Uint8Array) => void
}

/** Sends `message` to `peerIds` the hostile way (the honest way for modes that do not touch engine messages). */
export function hostileSend (h: HostileContext, peerIds: string[], message: Uint8Array): void {
  if (h.mode === 'mute') return
  const sign = (body: Uint8Array): Uint8Array => seal(body, h.crypto.sign(h.keys.signSecret, body))
  let m
  try { m = readMessage(message) } catch { h.send(peerIds, message); return }
  if (h.mode === 'equivocate' && m.type === MSG_PROPOSE && m.header.leader === h.index) {
    const alt = writeBlock(h.epoch, [])
    const header = sign(writeHeaderBody(h.index, m.header.slot, m.header.view, h.crypto.digest(alt)))
    const half = Math.ceil(peerIds.length / 2)
    h.send(peerIds.slice(0, half), message)
    h.send(peerIds.slice(half), writePropose(header, alt))
    return
  }
  h.send(peerIds, message)
  if ((m.type === MSG_PREPARE || m.type === MSG_COMMIT) && m.sender === h.index) {
    if (h.mode === 'conflicting-votes') {
      const other = new Uint8Array(32).fill(7)
      const header = sign(writeHeaderBody(h.index, m.header.slot, m.header.view, other))
      h.send(peerIds, sign(writeVoteBody(m.type, h.index, header, m.vrfProof)))
    } else if (h.mode === 'forged-vrf') {
      h.send(h.others.filter(p => !peerIds.includes(p)), message)
      if (m.vrfProof.length > 0) {
        const proof = m.vrfProof.slice()
        proof[5] ^= 1
        h.send(peerIds, sign(writeVoteBody(m.type, h.index, m.header.bytes, proof)))
      }
    }
  }
}
