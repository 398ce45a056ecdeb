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
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

function hex (bytes: Uint8Array | undefined): string {
  if (bytes == null) return ''
  let s = ''
  for (const b of bytes) s += HEX[b]
  return s
}

export function fastMsgId (msg: { from?: Uint8Array, seqno?: Uint8Array }): string {
  return `${hex(msg.from)}/${hex(msg.seqno)}`
}
