/**
 * The one codec of the ledger: frames of `/novacron/ledger/1.0.0`, blocks, microblocks, entries,
 * the genesis record, block records (gossip and sync) and the sync protocol. lib0 varints and
 * varUint8Arrays; every reader checks bounds before allocating, rejects trailing bytes and
 * non-canonical encodings (one value, one byte string: hashes and signatures are over bytes), and
 * throws only `LedgerDecodeError`. Grammar (PROTOCOL.md, "Ledger"):
 *
 *   frame       := varUint(1) • varUint(epoch) • varUint8Array(engineMessage)     CONSENSUS
 *                | varUint(2) • varUint8Array(microblock)                         MICROBLOCK
 *                | varUint(3) • varString(to) • varUint8Array(frame)              FORWARD (to a replica we have no link to)
 *                | varUint(4) • varString(origin) • varUint8Array(frame)          FORWARDED (as delivered; frame: type 1 or 2)
 *   block       := varUint(epoch) • varUint(m) • varUint8Array(microblock)^m      (≤ 252 KiB; less at n > 15: block-cap.ts)
 *   microblock  := varString(author) • varUint(seq) • varUint(k) • entry^k • sig(64)
 *   entry       := varString(kind) • varUint8Array(data)
 *   genesis     := varString(meshId) • varUint(m) • member^m • varString(protocol) • varUint(maxReplicas) • sig(64)
 *   member      := varString(peerId) • bytes32(signPublic) • bytes32(vrfPublic)
 *   record      := varUint(height) • varUint(epoch) • varUint8Array(block) • varUint(c) • varUint8Array(commit)^c
 *                  • varUint(holder) • bytes32(head)
 *   syncRequest := varUint(from) • varUint(limit)
 *   syncResponse:= varUint8Array(genesis) • varUint(height) • varUint(m) • varUint8Array(record)^m
 *
 * Signatures: a microblock's by its author's libp2p Ed25519 key, the genesis by the genesis
 * peer's (members[0]), each over every byte before the signature.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { LedgerDecodeError } from './errors.ts'
import type { BlockRecord, Entry } from './types.ts'
import { decodeExact } from '../codec/decode-exact.ts'

export const FRAME_CONSENSUS = 1
export const FRAME_MICROBLOCK = 2
/** a frame for a replica we have no direct link to, handed to one we have (one hop) */
export const FRAME_FORWARD = 3
/** a forwarded frame as delivered, naming its origin */
export const FRAME_FORWARDED = 4
/** a liveness probe from a replica (core/ledger/liveness.ts) and its answer, carrying a nonce */
export const FRAME_PROBE = 5
export const FRAME_PROBE_ACK = 6
export const SIG_BYTES = 64
/** a block must stay below the engine's 256 KiB value cap (and an epoch's own cap: block-cap.ts) */
export const MAX_BLOCK_BYTES = 252 * 1024
/** a microblock (one author's batch, `ledger.maxBatchBytes` of entries) stays at the 60 KiB of old */
export const MAX_MICROBLOCK_BYTES = 60 * 1024 - 16
/** a frame carries one engine message: a NEW-VIEW holds n − f VIEW-CHANGEs with values (≤ 64 replicas) */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024
export const MAX_ENTRIES = 4096
export const MAX_KIND_CHARS = 64
export const MAX_ID_CHARS = 128
export const MAX_MEMBERS = 256
export const MAX_CERT_VOTES = 256
export const MAX_SYNC_RECORDS = 64
export const MAX_SYNC_BYTES = 1024 * 1024

export type LedgerFrame =
  | { type: typeof FRAME_CONSENSUS, epoch: number, message: Uint8Array }
  | { type: typeof FRAME_MICROBLOCK, microblock: Uint8Array }
  | { type: typeof FRAME_FORWARD, peer: string, frame: Uint8Array }
  | { type: typeof FRAME_FORWARDED, peer: string, frame: Uint8Array }
  | { type: typeof FRAME_PROBE, nonce: number }
  | { type: typeof FRAME_PROBE_ACK, nonce: number }

export interface Microblock { author: string, seq: number, entries: Entry[], sig: Uint8Array, bytes: Uint8Array }
export interface Block { epoch: number, microblocks: Microblock[] }
export interface GenesisMember { peerId: string, signPublic: Uint8Array, vrfPublic: Uint8Array }
export interface Genesis { meshId: string, members: GenesisMember[], protocol: 'probft' | 'pbft', maxReplicas: number, sig: Uint8Array, bytes: Uint8Array }
export interface SyncRequest { from: number, limit: number }
export interface SyncResponse { genesis: Uint8Array, height: number, records: Uint8Array[] }

// ---------------------------------------------------------------- helpers

function fail (what: string): never { throw new LedgerDecodeError(`malformed ledger data: ${what}`) }

const LEDGER_ERRORS = { own: LedgerDecodeError, make: (detail: string) => new LedgerDecodeError(`malformed ledger data: ${detail}`) }
/** Runs a reader over `bytes`: lib0's plain errors become `LedgerDecodeError`; trailing bytes are refused. */
const decode = <T>(bytes: Uint8Array, what: string, read: (d: decoding.Decoder) => T): T => decodeExact(bytes, what, read, LEDGER_ERRORS)

function readUint (d: decoding.Decoder, what: string, max = 0xffffffff): number {
  const v = decoding.readVarUint(d)
  if (!Number.isSafeInteger(v) || v > max) fail(`${what} out of range`)
  return v
}

function readBytes (d: decoding.Decoder, max: number, what: string): Uint8Array {
  const len = decoding.peekVarUint(d)
  if (len > max) fail(`${what} longer than ${max} bytes`)
  return decoding.readVarUint8Array(d)
}

function readString (d: decoding.Decoder, maxChars: number, what: string): string {
  const len = decoding.peekVarUint(d)
  if (len > maxChars * 4) fail(`${what} too long`)
  const s = decoding.readVarString(d)
  if (s.length > maxChars) fail(`${what} too long`)
  return s
}

function readFixed (d: decoding.Decoder, n: number): Uint8Array { return decoding.readUint8Array(d, n).slice() }

function canonical (bytes: Uint8Array, again: Uint8Array, what: string): void {
  if (!bytesEqual(bytes, again)) fail(`${what} is not canonically encoded`)
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function seal (body: Uint8Array, sig: Uint8Array): Uint8Array {
  if (sig.length !== SIG_BYTES) throw new RangeError(`signature must be ${SIG_BYTES} bytes`)
  const out = new Uint8Array(body.length + sig.length)
  out.set(body, 0); out.set(sig, body.length)
  return out
}

/** The bytes a signer signs: everything but the trailing 64-byte signature. */
export function signedPart (bytes: Uint8Array): Uint8Array { return bytes.subarray(0, bytes.length - SIG_BYTES) }

// ---------------------------------------------------------------- frames

export function writeFrame (f: LedgerFrame): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, f.type)
    if (f.type === FRAME_CONSENSUS) { encoding.writeVarUint(e, f.epoch); encoding.writeVarUint8Array(e, f.message) }
    else if (f.type === FRAME_MICROBLOCK) encoding.writeVarUint8Array(e, f.microblock)
    else if (f.type === FRAME_PROBE || f.type === FRAME_PROBE_ACK) encoding.writeVarUint(e, f.nonce)
    else { encoding.writeVarString(e, f.peer); encoding.writeVarUint8Array(e, f.frame) }
  })
}

export function readFrame (bytes: Uint8Array): LedgerFrame {
  if (bytes.length > MAX_FRAME_BYTES) fail('frame too large')
  const f = decode(bytes, 'frame', (d): LedgerFrame => {
    const type = readUint(d, 'frame type')
    if (type === FRAME_CONSENSUS) return { type, epoch: readUint(d, 'epoch'), message: readBytes(d, MAX_FRAME_BYTES, 'engine message') }
    if (type === FRAME_MICROBLOCK) return { type, microblock: readBytes(d, MAX_MICROBLOCK_BYTES, 'microblock') }
    if (type === FRAME_PROBE) return { type, nonce: readUint(d, 'nonce') }
    if (type === FRAME_PROBE_ACK) return { type, nonce: readUint(d, 'nonce') }
    if (type === FRAME_FORWARD || type === FRAME_FORWARDED) {
      const peer = readString(d, MAX_ID_CHARS, 'peer')
      const frame = readBytes(d, MAX_FRAME_BYTES, 'forwarded frame')
      // one hop: the inner frame is a consensus, microblock or probe frame, never another forward
      if (frame.length === 0 || (frame[0] !== FRAME_CONSENSUS && frame[0] !== FRAME_MICROBLOCK && frame[0] !== FRAME_PROBE && frame[0] !== FRAME_PROBE_ACK)) fail('a forwarded frame must be a consensus, microblock or probe frame')
      return type === FRAME_FORWARD ? { type, peer, frame } : { type, peer, frame }
    }
    return fail(`unknown frame type ${type}`)
  })
  canonical(bytes, writeFrame(f), 'frame')
  return f
}

// ---------------------------------------------------------------- entries, microblocks, blocks

function writeEntry (e: encoding.Encoder, entry: Entry): void {
  encoding.writeVarString(e, entry.kind); encoding.writeVarUint8Array(e, entry.data)
}

/** The signed part of a microblock (sign it, then `sealMicroblock`). */
export function writeMicroblockBody (author: string, seq: number, entries: Entry[]): Uint8Array {
  if (entries.length > MAX_ENTRIES) throw new RangeError(`at most ${MAX_ENTRIES} entries per microblock`)
  return encoding.encode(e => {
    encoding.writeVarString(e, author); encoding.writeVarUint(e, seq)
    encoding.writeVarUint(e, entries.length); for (const en of entries) writeEntry(e, en)
  })
}

export function sealMicroblock (body: Uint8Array, sig: Uint8Array): Uint8Array { return seal(body, sig) }

export function readMicroblock (bytes: Uint8Array): Microblock {
  if (bytes.length > MAX_MICROBLOCK_BYTES) fail('microblock too large')
  const mb = decode(bytes, 'microblock', d => {
    const author = readString(d, MAX_ID_CHARS, 'author')
    const seq = readUint(d, 'seq', Number.MAX_SAFE_INTEGER)
    const count = readUint(d, 'entry count')
    if (count > MAX_ENTRIES) fail('too many entries')
    const entries: Entry[] = []
    for (let i = 0; i < count; i++) {
      const kind = readString(d, MAX_KIND_CHARS, 'kind')
      if (kind.length === 0) fail('empty entry kind')
      entries.push({ kind, data: readBytes(d, MAX_MICROBLOCK_BYTES, 'entry data') })
    }
    return { author, seq, entries, sig: readFixed(d, SIG_BYTES), bytes }
  })
  canonical(bytes, seal(writeMicroblockBody(mb.author, mb.seq, mb.entries), mb.sig), 'microblock')
  return mb
}

export function writeBlock (epoch: number, microblocks: Uint8Array[]): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, epoch)
    encoding.writeVarUint(e, microblocks.length); for (const m of microblocks) encoding.writeVarUint8Array(e, m)
  })
}

export function readBlock (bytes: Uint8Array): Block {
  if (bytes.length > MAX_BLOCK_BYTES) fail('block too large')
  const b = decode(bytes, 'block', d => {
    const epoch = readUint(d, 'epoch')
    const count = readUint(d, 'microblock count')
    if (count > 1024) fail('too many microblocks')
    const microblocks: Microblock[] = []
    for (let i = 0; i < count; i++) microblocks.push(readMicroblock(readBytes(d, MAX_MICROBLOCK_BYTES, 'microblock')))
    return { epoch, microblocks }
  })
  canonical(bytes, writeBlock(b.epoch, b.microblocks.map(m => m.bytes)), 'block')
  return b
}

// ---------------------------------------------------------------- genesis

export function writeGenesisBody (meshId: string, members: GenesisMember[], protocol: 'probft' | 'pbft', maxReplicas: number): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarString(e, meshId)
    encoding.writeVarUint(e, members.length)
    for (const m of members) {
      if (m.signPublic.length !== 32 || m.vrfPublic.length !== 32) throw new RangeError('member keys must be 32 bytes')
      encoding.writeVarString(e, m.peerId); encoding.writeUint8Array(e, m.signPublic); encoding.writeUint8Array(e, m.vrfPublic)
    }
    encoding.writeVarString(e, protocol); encoding.writeVarUint(e, maxReplicas)
  })
}

export function sealGenesis (body: Uint8Array, sig: Uint8Array): Uint8Array { return seal(body, sig) }

export function readGenesis (bytes: Uint8Array): Genesis {
  const g = decode(bytes, 'genesis', d => {
    const meshId = readString(d, MAX_ID_CHARS, 'meshId')
    const count = readUint(d, 'member count')
    if (count < 1 || count > MAX_MEMBERS) fail('member count out of range')
    const members: GenesisMember[] = []
    for (let i = 0; i < count; i++) members.push({ peerId: readString(d, MAX_ID_CHARS, 'peerId'), signPublic: readFixed(d, 32), vrfPublic: readFixed(d, 32) })
    const protocol = readString(d, 16, 'protocol')
    if (protocol !== 'probft' && protocol !== 'pbft') fail(`unknown protocol ${protocol}`)
    const maxReplicas = readUint(d, 'maxReplicas', 1024)
    if (maxReplicas < 1) fail('maxReplicas must be at least 1')
    return { meshId, members, protocol, maxReplicas, sig: readFixed(d, SIG_BYTES), bytes } satisfies Genesis
  })
  canonical(bytes, seal(writeGenesisBody(g.meshId, g.members, g.protocol, g.maxReplicas), g.sig), 'genesis')
  return g
}

// ---------------------------------------------------------------- records and sync

export function writeRecord (r: BlockRecord): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, r.height); encoding.writeVarUint(e, r.epoch); encoding.writeVarUint8Array(e, r.block)
    encoding.writeVarUint(e, r.certificate.length); for (const c of r.certificate) encoding.writeVarUint8Array(e, c)
    encoding.writeVarUint(e, r.holder)
    if (r.head.length !== 32) throw new RangeError('head must be 32 bytes')
    encoding.writeUint8Array(e, r.head)
  })
}

export function readRecord (bytes: Uint8Array): BlockRecord {
  const r = decode(bytes, 'record', d => {
    const height = readUint(d, 'height', Number.MAX_SAFE_INTEGER)
    const epoch = readUint(d, 'epoch')
    const block = readBytes(d, MAX_BLOCK_BYTES, 'block')
    const count = readUint(d, 'certificate size')
    if (count > MAX_CERT_VOTES) fail('certificate too large')
    const certificate: Uint8Array[] = []
    for (let i = 0; i < count; i++) certificate.push(readBytes(d, 4096, 'commit'))
    return { height, epoch, block, certificate, holder: readUint(d, 'holder'), head: readFixed(d, 32) }
  })
  canonical(bytes, writeRecord(r), 'record')
  return r
}

export function writeSyncRequest (r: SyncRequest): Uint8Array {
  return encoding.encode(e => { encoding.writeVarUint(e, r.from); encoding.writeVarUint(e, r.limit) })
}

export function readSyncRequest (bytes: Uint8Array): SyncRequest {
  const r = decode(bytes, 'sync request', d => ({ from: readUint(d, 'from', Number.MAX_SAFE_INTEGER), limit: readUint(d, 'limit') }))
  canonical(bytes, writeSyncRequest(r), 'sync request')
  return r
}

export function writeSyncResponse (r: SyncResponse): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint8Array(e, r.genesis)
    // height + 1 so that "no block yet" (-1) encodes as 0
    encoding.writeVarUint(e, r.height + 1)
    encoding.writeVarUint(e, r.records.length); for (const x of r.records) encoding.writeVarUint8Array(e, x)
  })
}

export function readSyncResponse (bytes: Uint8Array): SyncResponse {
  if (bytes.length > MAX_SYNC_BYTES + 64 * 1024) fail('sync response too large')
  const r = decode(bytes, 'sync response', d => {
    const genesis = readBytes(d, 64 * 1024, 'genesis')
    const height = readUint(d, 'height', Number.MAX_SAFE_INTEGER) - 1
    const count = readUint(d, 'record count')
    if (count > MAX_SYNC_RECORDS) fail('too many records')
    const records: Uint8Array[] = []
    for (let i = 0; i < count; i++) records.push(readBytes(d, MAX_SYNC_BYTES, 'record'))
    return { genesis, height, records }
  })
  canonical(bytes, writeSyncResponse(r), 'sync response')
  return r
}
