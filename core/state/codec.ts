/**
 * Wire codec of `/novacron/state/2.0.0` and of the state gossip topic `novacron/state/2`.
 *
 *   entry   := varString(author) • varUint(session) • varUint(seq) • varUint8Array(yjsUpdate) • sig(64)
 *   signed  := varString("novacron/state/entry/1") • entry without its sig     (the bytes signed)
 *   vector  := varUint(n) • (varUint(clientId) • varUint(entries held)){n}
 *   frame   := varUint(MSG_STEP1) • vector
 *            | varUint(MSG_ENTRIES) • varUint(n) • varUint8Array(entry){n}
 *            | varUint(MSG_AWARENESS) • varUint8Array(awarenessUpdate)
 *   batch   := varUint(count ≤ MAX_BATCH) • varUint8Array(frame){count}
 *
 * The unit of replication is the author's signed entry (./author.ts), never a re-encoded Yjs state,
 * so a change relayed by a third party still carries its author's signature. This is why the sync
 * step is not y-protocols' step1/step2 (whose step2 merges every author into one unsigned update):
 * a step1 here is a vector of how many entries we hold per client id, answered by the entries the
 * asker lacks. Awareness updates are y-protocols' own, unchanged.
 *
 * A request/response call carries one batch each way; a gossip message carries one frame (entries
 * or awareness). Reading is strict: unknown types, trailing bytes, too many frames or entries, bad
 * varints throw `StateProtocolError` (the provider drops the message and counts it); nothing here
 * verifies signatures or applies anything.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { ENTRY_DOMAIN } from './author.ts'
import { MessageTooLargeError, StateProtocolError } from './errors.ts'

export const STATE_PROTOCOL = '/novacron/state/2.0.0'
export const STATE_TOPIC = 'novacron/state/2'
export const MSG_STEP1 = 0
export const MSG_ENTRIES = 1
export const MSG_AWARENESS = 2
export const MAX_BATCH = 8
/** Entries per frame; clients per vector. */
export const MAX_ENTRIES = 4096
export const MAX_VECTOR = 65_536
export const SIG_LENGTH = 64

/** One author's signed change: a Yjs update whose structs are all under the author's bound client id. */
export interface Entry {
  author: string
  session: number
  /** Position in the author's session, from 0, without gaps. */
  seq: number
  update: Uint8Array
  sig: Uint8Array
  /** The whole entry as sent (what is stored and relayed). */
  bytes: Uint8Array
}

export type StateFrame =
  | { type: typeof MSG_STEP1, vector: Map<number, number> }
  | { type: typeof MSG_ENTRIES, entries: Uint8Array[] }
  | { type: typeof MSG_AWARENESS, update: Uint8Array }

/** What an author signs for an entry (domain-separated, canonical). */
export function entrySigningBytes (author: string, session: number, seq: number, update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarString(e, ENTRY_DOMAIN)
  writeEntryBody(e, author, session, seq, update)
  return encoding.toUint8Array(e)
}

function writeEntryBody (e: encoding.Encoder, author: string, session: number, seq: number, update: Uint8Array): void {
  encoding.writeVarString(e, author)
  encoding.writeVarUint(e, session)
  encoding.writeVarUint(e, seq)
  encoding.writeVarUint8Array(e, update)
}

export function encodeEntry (author: string, session: number, seq: number, update: Uint8Array, sig: Uint8Array): Uint8Array {
  if (sig.length !== SIG_LENGTH) throw new RangeError(`signature must be ${SIG_LENGTH} bytes`)
  const e = encoding.createEncoder()
  writeEntryBody(e, author, session, seq, update)
  encoding.writeUint8Array(e, sig)
  return encoding.toUint8Array(e)
}

export function readEntry (bytes: Uint8Array): Entry {
  return guarded('entry', () => {
    const b = tight(bytes)
    const d = decoding.createDecoder(b)
    const author = decoding.readVarString(d)
    if (author.length === 0 || author.length > 128) throw new StateProtocolError('bad author')
    const session = decoding.readVarUint(d)
    const seq = decoding.readVarUint(d)
    const update = decoding.readVarUint8Array(d)
    if (d.arr.length - d.pos !== SIG_LENGTH) throw new StateProtocolError(`entry must end with a ${SIG_LENGTH}-byte signature`)
    const sig = decoding.readUint8Array(d, SIG_LENGTH)
    return { author, session, seq, update, sig, bytes: b }
  })
}

/** The signed bytes of a decoded entry. */
export function signingBytesOf (entry: Entry): Uint8Array {
  const prefix = encoding.createEncoder()
  encoding.writeVarString(prefix, ENTRY_DOMAIN)
  const head = encoding.toUint8Array(prefix)
  const body = entry.bytes.subarray(0, entry.bytes.length - SIG_LENGTH)
  const out = new Uint8Array(head.length + body.length)
  out.set(head); out.set(body, head.length)
  return out
}

export function encodeStep1 (vector: ReadonlyMap<number, number>): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MSG_STEP1)
  encoding.writeVarUint(e, vector.size)
  for (const [client, count] of vector) { encoding.writeVarUint(e, client); encoding.writeVarUint(e, count) }
  return encoding.toUint8Array(e)
}

export function encodeEntries (entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length > MAX_ENTRIES) throw new RangeError(`at most ${MAX_ENTRIES} entries per frame`)
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MSG_ENTRIES)
  encoding.writeVarUint(e, entries.length)
  for (const x of entries) encoding.writeVarUint8Array(e, x)
  return encoding.toUint8Array(e)
}

export function encodeAwareness (update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MSG_AWARENESS)
  encoding.writeVarUint8Array(e, update)
  return encoding.toUint8Array(e)
}

export function encodeBatch (frames: Uint8Array[]): Uint8Array {
  if (frames.length > MAX_BATCH) throw new RangeError(`at most ${MAX_BATCH} frames per batch`)
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, frames.length)
  for (const f of frames) encoding.writeVarUint8Array(e, f)
  return encoding.toUint8Array(e)
}

/**
 * lib0 reads a length-prefixed array as a view on the input's underlying buffer, so a frame that is
 * a view into a larger buffer could claim bytes beyond its end; decoding a tight copy makes such a
 * claim a RangeError instead.
 */
function tight (bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()
}

/** Runs a lib0 read and turns any decoding failure into `StateProtocolError`. */
function guarded<T> (what: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof StateProtocolError) throw err
    throw new StateProtocolError(`malformed ${what}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

export function readFrame (bytes: Uint8Array, maxSize = Infinity): StateFrame {
  if (bytes.length > maxSize) throw new MessageTooLargeError(`frame of ${bytes.length} bytes exceeds ${maxSize}`)
  return guarded('frame', () => {
    const d = decoding.createDecoder(tight(bytes))
    const type = decoding.readVarUint(d)
    let frame: StateFrame
    if (type === MSG_STEP1) {
      const n = decoding.readVarUint(d)
      if (n > MAX_VECTOR) throw new StateProtocolError(`vector of ${n} clients exceeds ${MAX_VECTOR}`)
      const vector = new Map<number, number>()
      for (let i = 0; i < n; i++) vector.set(decoding.readVarUint(d), decoding.readVarUint(d))
      frame = { type, vector }
    } else if (type === MSG_ENTRIES) {
      const n = decoding.readVarUint(d)
      if (n > MAX_ENTRIES) throw new StateProtocolError(`${n} entries exceed ${MAX_ENTRIES}`)
      const entries: Uint8Array[] = []
      for (let i = 0; i < n; i++) entries.push(decoding.readVarUint8Array(d))
      frame = { type, entries }
    } else if (type === MSG_AWARENESS) {
      frame = { type, update: decoding.readVarUint8Array(d) }
    } else {
      throw new StateProtocolError(`unknown state message type ${type}`)
    }
    if (decoding.hasContent(d)) throw new StateProtocolError('trailing bytes after the frame')
    return frame
  })
}

export function readBatch (bytes: Uint8Array, maxSize = Infinity): Uint8Array[] {
  if (bytes.length > maxSize) throw new MessageTooLargeError(`batch of ${bytes.length} bytes exceeds ${maxSize}`)
  return guarded('batch', () => {
    const d = decoding.createDecoder(tight(bytes))
    const n = decoding.readVarUint(d)
    if (n > MAX_BATCH) throw new StateProtocolError(`batch of ${n} frames exceeds ${MAX_BATCH}`)
    const frames: Uint8Array[] = []
    for (let i = 0; i < n; i++) frames.push(decoding.readVarUint8Array(d))
    if (decoding.hasContent(d)) throw new StateProtocolError('trailing bytes after the batch')
    return frames
  })
}
