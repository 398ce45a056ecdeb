/**
 * The one codec of the consensus protocol (ProBFT and the PBFT baseline share it).
 * lib0 varints/varUint8Arrays; every signed message ends in a 64-byte ed25519 signature over all
 * the bytes before it, so the signed bytes are exactly the sent bytes. Grammar (PROTOCOL.md):
 *
 *   header     := varUint(1) • varUint(leader) • varUint(slot) • varUint(view) • bytes32(digest) • sig(64)
 *   propose    := varUint(2) • varUint8Array(header) • varUint8Array(value)          (value: SHA-256 = digest)
 *   prepare    := varUint(3) • varUint(sender) • varUint8Array(header) • varUint8Array(vrfProof) • sig(64)
 *   commit     := varUint(4) • varUint(sender) • varUint8Array(header) • varUint8Array(vrfProof) • sig(64)
 *   viewChange := varUint(5) • varUint(sender) • varUint(slot) • varUint(newView)
 *                 • varUint(m) • varUint8Array(prepare)^m • varUint8Array(value) • sig(64)
 *   newView    := varUint(6) • varUint(sender) • varUint8Array(header) • varUint8Array(value)
 *                 • varUint(m) • varUint8Array(viewChange)^m • sig(64)
 *   decision   := varUint(7) • varUint(sender) • varUint(slot) • varUint(holder)
 *                 • varUint(m) • varUint8Array(commit)^m • varUint8Array(value) • sig(64)
 *                 (holder: the replica the commits were addressed to; sender vouches for it)
 *   decisionRequest := varUint(8) • varUint(sender) • varUint(slot) • sig(64)
 *
 * vrfProof is empty (PBFT) or 80 bytes (ProBFT). Nested messages are carried as their exact bytes
 * and decoded with the same reader (depth-limited). `readMessage` throws `UnknownMessageTypeError`
 * on an unknown type and `MessageDecodeError` on anything else malformed; it never returns partial data.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { MessageDecodeError, NonCanonicalEncodingError, UnknownMessageTypeError } from './errors.ts'

export const MSG_HEADER = 1
export const MSG_PROPOSE = 2
export const MSG_PREPARE = 3
export const MSG_COMMIT = 4
export const MSG_VIEW_CHANGE = 5
export const MSG_NEW_VIEW = 6
export const MSG_DECISION = 7
export const MSG_DECISION_REQUEST = 8

export const SIG_LENGTH = 64
export const DIGEST_LENGTH = 32
export const VRF_PROOF_LENGTH = 80
/** Bounds that keep a hostile message from costing unbounded memory or recursion. */
export const MAX_VALUE_BYTES = 256 * 1024
export const MAX_NESTED = 1024
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024

export interface Header { type: typeof MSG_HEADER, leader: number, slot: number, view: number, digest: Uint8Array, sig: Uint8Array, bytes: Uint8Array }
export interface Propose { type: typeof MSG_PROPOSE, header: Header, value: Uint8Array, bytes: Uint8Array }
export interface Vote { type: typeof MSG_PREPARE | typeof MSG_COMMIT, sender: number, header: Header, vrfProof: Uint8Array, sig: Uint8Array, bytes: Uint8Array }
export interface ViewChange { type: typeof MSG_VIEW_CHANGE, sender: number, slot: number, newView: number, prepared: Vote[], value: Uint8Array, sig: Uint8Array, bytes: Uint8Array }
export interface NewView { type: typeof MSG_NEW_VIEW, sender: number, header: Header, value: Uint8Array, viewChanges: ViewChange[], sig: Uint8Array, bytes: Uint8Array }
export interface Decision { type: typeof MSG_DECISION, sender: number, slot: number, holder: number, commits: Vote[], value: Uint8Array, sig: Uint8Array, bytes: Uint8Array }
export interface DecisionRequest { type: typeof MSG_DECISION_REQUEST, sender: number, slot: number, sig: Uint8Array, bytes: Uint8Array }
export type Message = Header | Propose | Vote | ViewChange | NewView | Decision | DecisionRequest

/** The bytes a signer signs: everything but the trailing signature. */
export function signedPart (bytes: Uint8Array): Uint8Array {
  return bytes.subarray(0, bytes.length - SIG_LENGTH)
}

// ---- writers: each returns the unsigned body; `seal` appends the signature ----

export function writeHeaderBody (leader: number, slot: number, view: number, digest: Uint8Array): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, MSG_HEADER); encoding.writeVarUint(e, leader); encoding.writeVarUint(e, slot); encoding.writeVarUint(e, view)
    encoding.writeUint8Array(e, digest)
  })
}

export function writePropose (header: Uint8Array, value: Uint8Array): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, MSG_PROPOSE); encoding.writeVarUint8Array(e, header); encoding.writeVarUint8Array(e, value)
  })
}

export function writeVoteBody (type: typeof MSG_PREPARE | typeof MSG_COMMIT, sender: number, header: Uint8Array, vrfProof: Uint8Array): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, type); encoding.writeVarUint(e, sender); encoding.writeVarUint8Array(e, header); encoding.writeVarUint8Array(e, vrfProof)
  })
}

export function writeViewChangeBody (sender: number, slot: number, newView: number, prepared: Uint8Array[], value: Uint8Array): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, MSG_VIEW_CHANGE); encoding.writeVarUint(e, sender); encoding.writeVarUint(e, slot); encoding.writeVarUint(e, newView)
    encoding.writeVarUint(e, prepared.length); for (const p of prepared) encoding.writeVarUint8Array(e, p)
    encoding.writeVarUint8Array(e, value)
  })
}

export function writeNewViewBody (sender: number, header: Uint8Array, value: Uint8Array, viewChanges: Uint8Array[]): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, MSG_NEW_VIEW); encoding.writeVarUint(e, sender); encoding.writeVarUint8Array(e, header); encoding.writeVarUint8Array(e, value)
    encoding.writeVarUint(e, viewChanges.length); for (const v of viewChanges) encoding.writeVarUint8Array(e, v)
  })
}

export function writeDecisionBody (sender: number, slot: number, holder: number, commits: Uint8Array[], value: Uint8Array): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, MSG_DECISION); encoding.writeVarUint(e, sender); encoding.writeVarUint(e, slot); encoding.writeVarUint(e, holder)
    encoding.writeVarUint(e, commits.length); for (const c of commits) encoding.writeVarUint8Array(e, c)
    encoding.writeVarUint8Array(e, value)
  })
}

export function writeDecisionRequestBody (sender: number, slot: number): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, MSG_DECISION_REQUEST); encoding.writeVarUint(e, sender); encoding.writeVarUint(e, slot)
  })
}

/** body • sig */
export function seal (body: Uint8Array, sig: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + sig.length)
  out.set(body, 0); out.set(sig, body.length)
  return out
}

// ---- readers ----

function fail (what: string): never {
  throw new MessageDecodeError(`malformed consensus message: ${what}`)
}

function readUint (d: decoding.Decoder, what: string): number {
  const v = decoding.readVarUint(d)
  if (!Number.isSafeInteger(v) || v > 0xffffffff) fail(`${what} out of range`)
  return v
}

function readBytes (d: decoding.Decoder, max: number, what: string): Uint8Array {
  const len = decoding.peekVarUint(d)
  if (len > max) fail(`${what} longer than ${max} bytes`)
  return decoding.readVarUint8Array(d)
}

function readSig (d: decoding.Decoder): Uint8Array {
  return decoding.readUint8Array(d, SIG_LENGTH)
}

function readList<T> (d: decoding.Decoder, depth: number, what: string, check: (m: Message) => T | null): T[] {
  const count = readUint(d, `${what} count`)
  if (count > MAX_NESTED) fail(`too many ${what}`)
  const out: T[] = []
  for (let i = 0; i < count; i++) {
    const m = check(readAt(readBytes(d, MAX_MESSAGE_BYTES, what), depth + 1))
    if (m == null) fail(`${what} holds a message of the wrong type`)
    out.push(m)
  }
  return out
}

function asHeader (m: Message): Header | null { return m.type === MSG_HEADER ? m : null }
function asVote (type: number) { return (m: Message): Vote | null => (m.type === type ? m as Vote : null) }
/** a view change's certificate: q PREPAREs (prepared) or, from a replica that decided, q COMMITs */
function asCertVote (m: Message): Vote | null { return m.type === MSG_PREPARE || m.type === MSG_COMMIT ? m : null }
function asViewChange (m: Message): ViewChange | null { return m.type === MSG_VIEW_CHANGE ? m : null }

function readHeaderField (d: decoding.Decoder, depth: number): Header {
  const h = asHeader(readAt(readBytes(d, 256, 'header'), depth + 1))
  if (h == null) fail('header field is not a header')
  return h
}

function readAt (bytes: Uint8Array, depth: number): Message {
  if (depth > 3) fail('nested too deeply')
  if (bytes.length > MAX_MESSAGE_BYTES) fail('message too large')
  const d = decoding.createDecoder(bytes)
  let msg: Message
  try {
    const type = decoding.readVarUint(d)
    switch (type) {
      case MSG_HEADER: {
        const leader = readUint(d, 'leader'); const slot = readUint(d, 'slot'); const view = readUint(d, 'view')
        const digest = decoding.readUint8Array(d, DIGEST_LENGTH)
        msg = { type, leader, slot, view, digest, sig: readSig(d), bytes }
        break
      }
      case MSG_PROPOSE: {
        const header = readHeaderField(d, depth)
        msg = { type, header, value: readBytes(d, MAX_VALUE_BYTES, 'value'), bytes }
        break
      }
      case MSG_PREPARE:
      case MSG_COMMIT: {
        const sender = readUint(d, 'sender'); const header = readHeaderField(d, depth)
        const vrfProof = readBytes(d, VRF_PROOF_LENGTH, 'vrfProof')
        if (vrfProof.length !== 0 && vrfProof.length !== VRF_PROOF_LENGTH) fail('vrfProof must be empty or 80 bytes')
        msg = { type, sender, header, vrfProof, sig: readSig(d), bytes }
        break
      }
      case MSG_VIEW_CHANGE: {
        const sender = readUint(d, 'sender'); const slot = readUint(d, 'slot'); const newView = readUint(d, 'newView')
        const prepared = readList(d, depth, 'prepares', asCertVote)
        msg = { type, sender, slot, newView, prepared, value: readBytes(d, MAX_VALUE_BYTES, 'value'), sig: readSig(d), bytes }
        break
      }
      case MSG_NEW_VIEW: {
        const sender = readUint(d, 'sender'); const header = readHeaderField(d, depth); const value = readBytes(d, MAX_VALUE_BYTES, 'value')
        const viewChanges = readList(d, depth, 'viewChanges', asViewChange)
        msg = { type, sender, header, value, viewChanges, sig: readSig(d), bytes }
        break
      }
      case MSG_DECISION: {
        const sender = readUint(d, 'sender'); const slot = readUint(d, 'slot'); const holder = readUint(d, 'holder')
        const commits = readList(d, depth, 'commits', asVote(MSG_COMMIT))
        msg = { type, sender, slot, holder, commits, value: readBytes(d, MAX_VALUE_BYTES, 'value'), sig: readSig(d), bytes }
        break
      }
      case MSG_DECISION_REQUEST: {
        const sender = readUint(d, 'sender'); const slot = readUint(d, 'slot')
        msg = { type, sender, slot, sig: readSig(d), bytes }
        break
      }
      default:
        throw new UnknownMessageTypeError(type)
    }
  } catch (err) {
    if (err instanceof MessageDecodeError) throw err
    // lib0 throws plain Errors on truncation / varint overflow: turn them into our typed error.
    fail(err instanceof Error ? err.message : String(err))
  }
  if (decoding.hasContent(d)) fail('trailing bytes')
  if (!isCanonical(msg)) throw new NonCanonicalEncodingError('consensus message is not canonically encoded')
  return msg
}

/** Re-encodes and compares: one message, one byte string (no over-long varints). */
function isCanonical (m: Message): boolean {
  let body: Uint8Array
  switch (m.type) {
    case MSG_HEADER: body = writeHeaderBody(m.leader, m.slot, m.view, m.digest); break
    case MSG_PROPOSE: return equal(writePropose(m.header.bytes, m.value), m.bytes)
    case MSG_PREPARE: case MSG_COMMIT: body = writeVoteBody(m.type, m.sender, m.header.bytes, m.vrfProof); break
    case MSG_VIEW_CHANGE: body = writeViewChangeBody(m.sender, m.slot, m.newView, m.prepared.map(p => p.bytes), m.value); break
    case MSG_NEW_VIEW: body = writeNewViewBody(m.sender, m.header.bytes, m.value, m.viewChanges.map(v => v.bytes)); break
    case MSG_DECISION: body = writeDecisionBody(m.sender, m.slot, m.holder, m.commits.map(c => c.bytes), m.value); break
    case MSG_DECISION_REQUEST: body = writeDecisionRequestBody(m.sender, m.slot); break
  }
  return equal(seal(body, m.sig), m.bytes)
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Decodes one consensus message; throws a `MessageDecodeError` (or subclass) on anything malformed. */
export function readMessage (bytes: Uint8Array): Message {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('readMessage expects a Uint8Array')
  return readAt(bytes, 0)
}

export { equal as bytesEqual }
