/**
 * Gossipsub's `fastMsgIdFn` for the mesh: a message's sender and sequence number, read from the
 * raw RPC message, so a copy already seen is dropped BEFORE its signature is checked.
 *
 * Without one, gossipsub validates every copy it receives — ed25519 verification included — and
 * only then finds it in its seen-cache; with a mesh degree of ~6 most copies are duplicates. The id
 * holds exactly what the StrictSign message id holds (`from` and `seqno`), so it de-duplicates
 * nothing the real id would not. It is trusted only after a copy with it passed validation
 * (gossipsub caches it after validating), so a forged copy that arrives first is checked, rejected
 * and does not hide the genuine one.
 */
import { bytesToHex } from '@noble/hashes/utils.js'

export function fastMsgId (msg: { from?: Uint8Array, seqno?: Uint8Array }): string {
  return `${msg.from == null ? '' : bytesToHex(msg.from)}/${msg.seqno == null ? '' : bytesToHex(msg.seqno)}`
}
