/**
 * Wire codec of `/novacron/state/1.0.0` and of the state gossip topic.
 *
 *   frame     := varUint(MSG_SYNC) • syncMessage | varUint(MSG_AWARENESS) • varUint8Array(awarenessUpdate)
 *   syncMessage := y-protocols/sync, unchanged: varUint(step1 | step2 | update) • varUint8Array(payload)
 *   batch     := varUint(count ≤ MAX_BATCH) • varUint8Array(frame){count}
 *
 * A request/response call carries one batch each way; a gossip message carries one frame (only a
 * sync `update` or an awareness update). Frames are written with y-protocols' own writers. Reading
 * is strict: unknown types, trailing bytes, too many frames or bad varints throw `StateProtocolError`
 * (the provider drops the message and counts it); nothing here applies anything to a document.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import type * as Y from 'yjs'
import { MessageTooLargeError, StateProtocolError } from './errors.ts'

export const STATE_PROTOCOL = '/novacron/state/1.0.0'
export const STATE_TOPIC = 'novacron/state/1'
export const MSG_SYNC = 0
export const MSG_AWARENESS = 1
export const SYNC_STEP1 = syncProtocol.messageYjsSyncStep1
export const SYNC_STEP2 = syncProtocol.messageYjsSyncStep2
export const SYNC_UPDATE = syncProtocol.messageYjsUpdate
export const MAX_BATCH = 8

export type StateFrame =
  | { type: typeof MSG_SYNC, step: typeof SYNC_STEP1, stateVector: Uint8Array }
  | { type: typeof MSG_SYNC, step: typeof SYNC_STEP2 | typeof SYNC_UPDATE, update: Uint8Array }
  | { type: typeof MSG_AWARENESS, update: Uint8Array }

export function encodeStep1 (doc: Y.Doc): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MSG_SYNC)
  syncProtocol.writeSyncStep1(e, doc)
  return encoding.toUint8Array(e)
}

/** Step 2: what `doc` has that a peer with `stateVector` lacks. */
export function encodeStep2 (doc: Y.Doc, stateVector?: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MSG_SYNC)
  syncProtocol.writeSyncStep2(e, doc, stateVector)
  return encoding.toUint8Array(e)
}

export function encodeUpdate (update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MSG_SYNC)
  syncProtocol.writeUpdate(e, update)
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
    if (type === MSG_SYNC) {
      const step = decoding.readVarUint(d)
      const payload = decoding.readVarUint8Array(d)
      if (step === SYNC_STEP1) frame = { type, step, stateVector: payload }
      else if (step === SYNC_STEP2 || step === SYNC_UPDATE) frame = { type, step, update: payload }
      else throw new StateProtocolError(`unknown sync step ${step}`)
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
