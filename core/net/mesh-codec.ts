/**
 * Codec of the mesh's gossipsub messages: topology announcements and broadcast text.
 *
 * One message-type constant per message, a `writeX`/`readX` pair each, and one `readMeshMessage`
 * switch that throws `MalformedMessageError` on an unknown type or a bad field (y-protocols'
 * `sync.js` shape). lib0 varints keep it compact and canonical. The sender is NOT in the body: it
 * is gossipsub's signed `from` (StrictSign), so a peer cannot announce on another's behalf.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { MalformedMessageError } from './errors.ts'
import type { ConnectionTransport } from './transport.ts'
import type { MeshRole } from './config.ts'

export const MSG_TOPOLOGY = 1
export const MSG_LEAVE = 2
export const MSG_BROADCAST = 3

/** Caps that bound what one message can make a receiver allocate. */
export const MAX_NEIGHBOURS = 512
export const MAX_TEXT_LENGTH = 4096
const MAX_ID_LENGTH = 128

const ROLES: readonly MeshRole[] = ['bootstrap', 'peer', 'browser']
const TRANSPORTS: readonly ConnectionTransport[] = ['webrtc', 'relayed', 'websocket']

export interface Neighbour {
  peerId: string
  transport: ConnectionTransport
  /** Last ping round trip in ms, when known. */
  rttMs?: number
}

export interface TopologyMessage {
  type: typeof MSG_TOPOLOGY
  role: MeshRole
  /** Strictly increasing per peer, wall-clock based (survives restarts); older ones are ignored. */
  seq: number
  neighbours: Neighbour[]
}
export interface LeaveMessage { type: typeof MSG_LEAVE }
export interface BroadcastMessage { type: typeof MSG_BROADCAST, text: string }
export type MeshMessage = TopologyMessage | LeaveMessage | BroadcastMessage

export function writeTopology (encoder: encoding.Encoder, msg: Omit<TopologyMessage, 'type'>): void {
  encoding.writeVarUint(encoder, MSG_TOPOLOGY)
  encoding.writeVarUint(encoder, ROLES.indexOf(msg.role))
  encoding.writeVarUint(encoder, msg.seq)
  const list = msg.neighbours.slice(0, MAX_NEIGHBOURS)
  encoding.writeVarUint(encoder, list.length)
  for (const n of list) {
    encoding.writeVarString(encoder, n.peerId)
    encoding.writeVarUint(encoder, TRANSPORTS.indexOf(n.transport))
    encoding.writeVarUint(encoder, n.rttMs == null ? 0 : Math.min(Math.round(n.rttMs), 0x7fffffff) + 1)
  }
}

export function writeLeave (encoder: encoding.Encoder): void {
  encoding.writeVarUint(encoder, MSG_LEAVE)
}

export function writeBroadcast (encoder: encoding.Encoder, text: string): void {
  if (text.length > MAX_TEXT_LENGTH) throw new RangeError(`broadcast text longer than ${MAX_TEXT_LENGTH} characters`)
  encoding.writeVarUint(encoder, MSG_BROADCAST)
  encoding.writeVarString(encoder, text)
}

export function encodeMessage (msg: MeshMessage): Uint8Array {
  const encoder = encoding.createEncoder()
  if (msg.type === MSG_TOPOLOGY) writeTopology(encoder, msg)
  else if (msg.type === MSG_LEAVE) writeLeave(encoder)
  else writeBroadcast(encoder, msg.text)
  return encoding.toUint8Array(encoder)
}

function readTopology (decoder: decoding.Decoder): TopologyMessage {
  const role = ROLES[decoding.readVarUint(decoder)]
  if (role == null) throw new MalformedMessageError('topology: unknown role')
  const seq = decoding.readVarUint(decoder)
  const count = decoding.readVarUint(decoder)
  if (count > MAX_NEIGHBOURS) throw new MalformedMessageError(`topology: ${count} neighbours exceeds ${MAX_NEIGHBOURS}`)
  const neighbours: Neighbour[] = []
  for (let i = 0; i < count; i++) {
    const peerId = decoding.readVarString(decoder)
    if (peerId.length === 0 || peerId.length > MAX_ID_LENGTH) throw new MalformedMessageError('topology: bad peer id')
    const transport = TRANSPORTS[decoding.readVarUint(decoder)]
    if (transport == null) throw new MalformedMessageError('topology: unknown transport')
    const rtt = decoding.readVarUint(decoder)
    neighbours.push(rtt === 0 ? { peerId, transport } : { peerId, transport, rttMs: rtt - 1 })
  }
  return { type: MSG_TOPOLOGY, role, seq, neighbours }
}

/** Decodes one mesh message; throws `MalformedMessageError` on anything that is not one. */
export function readMeshMessage (bytes: Uint8Array): MeshMessage {
  try {
    const decoder = decoding.createDecoder(bytes)
    const type = decoding.readVarUint(decoder)
    let msg: MeshMessage
    switch (type) {
      case MSG_TOPOLOGY: msg = readTopology(decoder); break
      case MSG_LEAVE: msg = { type: MSG_LEAVE }; break
      case MSG_BROADCAST: {
        const text = decoding.readVarString(decoder)
        if (text.length > MAX_TEXT_LENGTH) throw new MalformedMessageError('broadcast: text too long')
        msg = { type: MSG_BROADCAST, text }
        break
      }
      default: throw new MalformedMessageError(`unknown mesh message type ${type}`)
    }
    if (decoding.hasContent(decoder)) throw new MalformedMessageError('trailing bytes after mesh message')
    return msg
  } catch (err) {
    if (err instanceof MalformedMessageError) throw err
    // lib0 throws plain Errors on truncated input or bad varints
    throw new MalformedMessageError(`malformed mesh message: ${err instanceof Error ? err.message : String(err)}`)
  }
}
