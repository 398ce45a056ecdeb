/**
 * Reader of pubsub peer discovery's announcement (`@libp2p/pubsub-peer-discovery`'s protobuf
 * `Peer { bytes publicKey = 1; repeated bytes addrs = 2; }`), strict and bounded, so the mesh can
 * check an announcement's subject before the library acts on it (gossip-guard.ts).
 *
 * The library decodes the same bytes itself (its `Peer` codec is not exported); this reader only
 * has to agree with it on which peer an announcement is about. It is stricter: unknown fields,
 * non-minimal varints, lengths past the end, more than `MAX_ADDRS` addresses or oversize fields
 * are a `MalformedMessageError` (such a message is rejected on the topic, so the library never
 * sees it).
 */
import { publicKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { MalformedMessageError } from './errors.ts'

export const MAX_ADDRS = 64
const MAX_KEY_BYTES = 1024
const MAX_ADDR_BYTES = 1024

export interface PeerAnnouncement {
  /** The peer id derived from the announced public key: whom the announcement is about. */
  subject: string
  addrs: Uint8Array[]
}

/** Decodes an announcement and derives its subject; throws `MalformedMessageError` on anything else. */
export function readPeerAnnouncement (bytes: Uint8Array): PeerAnnouncement {
  let pos = 0
  const varint = (): number => {
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= bytes.length) throw new MalformedMessageError('announcement: truncated varint')
      const b = bytes[pos++]
      if (shift === 28 && b > 0x0f) throw new MalformedMessageError('announcement: varint over 32 bits')
      value += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) {
        if (b === 0 && shift > 0) throw new MalformedMessageError('announcement: non-minimal varint')
        return value
      }
    }
    throw new MalformedMessageError('announcement: varint too long')
  }
  let key: Uint8Array | undefined
  const addrs: Uint8Array[] = []
  while (pos < bytes.length) {
    const tag = varint()
    if ((tag & 7) !== 2 || (tag >>> 3 !== 1 && tag >>> 3 !== 2)) throw new MalformedMessageError(`announcement: unexpected field tag ${tag}`)
    const len = varint()
    if (len > bytes.length - pos) throw new MalformedMessageError('announcement: field runs past the end')
    const field = bytes.subarray(pos, pos + len)
    pos += len
    if (tag >>> 3 === 1) {
      if (key != null) throw new MalformedMessageError('announcement: public key given twice')
      if (len === 0 || len > MAX_KEY_BYTES) throw new MalformedMessageError('announcement: bad public key length')
      key = field
    } else {
      if (addrs.length >= MAX_ADDRS) throw new MalformedMessageError(`announcement: more than ${MAX_ADDRS} addresses`)
      if (len > MAX_ADDR_BYTES) throw new MalformedMessageError('announcement: address too long')
      addrs.push(field)
    }
  }
  if (key == null) throw new MalformedMessageError('announcement: no public key')
  let subject: string
  try {
    subject = peerIdFromPublicKey(publicKeyFromProtobuf(key)).toString()
  } catch (err) {
    throw new MalformedMessageError(`announcement: bad public key (${err instanceof Error ? err.message : String(err)})`)
  }
  return { subject, addrs }
}
