/**
 * Wire codec of live learning (`/novacron/learning/live/1.1.0`, request/response over the mesh;
 * grammar also in PROTOCOL.md). lib0 varints; hashes are raw 32 bytes:
 *
 *   start    := varUint(1) • varString(task) • varUint(round) • bytes32(base) • varUint(deadlineMs) • varUint(flags) • [bytes32(from) • varUint8Array(delta)]
 *               (flags bit0: the quantised delta that rebuilds `base` from the model `from` follows — the
 *                coordinator hands the round's base to its learners with the `start`, so they do not all
 *                fetch it from the last coordinator at once; delta ≤ maxUpdateBytes, as a `delta` body)
 *   update   := varUint(2) • varString(task) • varUint(round) • bytes32(base) • varUint(trainMs) • varUint8Array(body) • bytes64(sig)
 *               (trainMs: the learner's local training time for this update, its advertised compute)
 *               (body: the engine's update encoding, core/learning/codec.ts — quantised, sparsified,
 *                LZ4-framed; sig: the learner's Ed25519 signature, signing.ts)
 *   getModel := varUint(3) • bytes32(hash)
 *   model    := varUint(4) • bytes32(hash) • varUint(flags) • varUint8Array(bytes)
 *               (bytes: the weights as weights.ts writes them; flags bit0 = LZ4 frame of them)
 *   getRound := varUint(5) • varString(task) • varUint(round)
 *   round    := varUint(6) • varUint(round) • bytes32(base) • varUint(n) • (varString(peer) • varUint8Array(body) • bytes64(sig))ⁿ
 *   ok       := varUint(7)
 *   refuse   := varUint(8) • varString(reason)
 *   getDelta := varUint(9) • bytes32(hash)
 *   delta    := varUint(10) • bytes32(hash) • bytes32(base) • varUint8Array(body)
 *               (the quantised step from the model `base` to the model `hash` of a task with a
 *                quantised downlink: the engine's update encoding, delta.ts; body ≤ maxUpdateBytes)
 *   hold     := varUint(11) • varString(task) • varUint(round) • bytes32(hash) • bytes32(base) • varUint(flags) • varUint8Array(model)
 *               • [bytes32(state) • varUint8Array(stateBytes)]
 *               (wire 7: a coordinator hands the model `hash` of `round` it is about to commit to a participant
 *                before it submits the commit, so that the new head does not live only in a process that
 *                may die; answered `ok` once held (and its server state), else `refuse` (holds.ts).
 *                flags bit0 clear: `model` is the quantised delta from the round's base `base` (≤ maxUpdateBytes,
 *                as a `delta` body); bit0 set: the whole weights as weights.ts writes them (≤ maxModelBytes,
 *                an exact downlink), bit1 = an LZ4 frame of them. bit2: the FedAdam server state m ‖ s
 *                (`state` its SHA-256, the bytes ≤ maxModelBytes) follows, bit3 = an LZ4 frame of it.
 *                Wire 6's hold had no round, no flags and no state)
 *
 * Every length is bounded by `Limits` before anything is allocated (task ≤ 64 chars, peer ids ≤ 128,
 * n ≤ 32, bodies ≤ maxUpdateBytes, weights ≤ maxModelBytes), trailing bytes are an error, and every
 * failure is a `LiveDecodeError` — `readMessage` never throws anything else.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { LiveDecodeError } from '../errors.ts'

/** 1.1.0: `start` may carry the base's delta (wire 4: core/net/wire-version.ts) */
export const LIVE_PROTOCOL = '/novacron/learning/live/1.1.0'

export const MSG = { start: 1, update: 2, getModel: 3, model: 4, getRound: 5, round: 6, ok: 7, refuse: 8, getDelta: 9, delta: 10, hold: 11 } as const

export type LiveMessage =
  | { type: 'start', task: string, round: number, base: Uint8Array, deadlineMs: number, delta?: StartDelta }
  | { type: 'update', task: string, round: number, base: Uint8Array, trainMs: number, body: Uint8Array, sig: Uint8Array }
  | { type: 'getModel', hash: Uint8Array }
  | { type: 'model', hash: Uint8Array, lz4: boolean, bytes: Uint8Array }
  | { type: 'getRound', task: string, round: number }
  | { type: 'round', round: number, base: Uint8Array, updates: RoundUpdate[] }
  | { type: 'ok' }
  | { type: 'refuse', reason: string }
  | { type: 'getDelta', hash: Uint8Array }
  | { type: 'delta', hash: Uint8Array, base: Uint8Array, body: Uint8Array }
  | { type: 'hold', task: string, round: number, hash: Uint8Array, base: Uint8Array, model: HeldModel, state?: HeldState }

/** The quantised step from the model `from` to a `start`'s base (delta.ts), carried with the `start`. */
export interface StartDelta { from: Uint8Array, body: Uint8Array }

/** What a `hold` carries of the model: its quantised delta from the round's base, or the whole weights (an exact downlink). */
export type HeldModel = { kind: 'delta', body: Uint8Array } | { kind: 'whole', lz4: boolean, bytes: Uint8Array }

/** A FedAdam server state (m ‖ s, weights.ts's format, optionally LZ4-framed) handed over with the model, named by its SHA-256. */
export interface HeldState { hash: Uint8Array, lz4: boolean, bytes: Uint8Array }

/** One admitted update of a committed round, with its learner's signature (signing.ts). */
export interface RoundUpdate { peer: string, body: Uint8Array, sig: Uint8Array }

export interface Limits {
  maxUpdateBytes: number
  maxModelBytes: number
}

export const MAX_TASK_CHARS = 64
export const MAX_PEER_CHARS = 128
export const MAX_ROUND_UPDATES = 32
const MAX_REASON_CHARS = 256
const MAX_ROUND = 2 ** 31

export function writeMessage (m: LiveMessage): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, MSG[m.type])
    switch (m.type) {
      case 'start':
        encoding.writeVarString(e, m.task); encoding.writeVarUint(e, m.round); hash32(e, m.base); encoding.writeVarUint(e, m.deadlineMs)
        encoding.writeVarUint(e, m.delta != null ? 1 : 0)
        if (m.delta != null) { hash32(e, m.delta.from); encoding.writeVarUint8Array(e, m.delta.body) }
        break
      case 'update':
        encoding.writeVarString(e, m.task); encoding.writeVarUint(e, m.round); hash32(e, m.base); encoding.writeVarUint(e, m.trainMs); encoding.writeVarUint8Array(e, m.body); sig64(e, m.sig); break
      case 'getModel': hash32(e, m.hash); break
      case 'model': hash32(e, m.hash); encoding.writeVarUint(e, m.lz4 ? 1 : 0); encoding.writeVarUint8Array(e, m.bytes); break
      case 'getRound': encoding.writeVarString(e, m.task); encoding.writeVarUint(e, m.round); break
      case 'round':
        encoding.writeVarUint(e, m.round); hash32(e, m.base); encoding.writeVarUint(e, m.updates.length)
        for (const u of m.updates) { encoding.writeVarString(e, u.peer); encoding.writeVarUint8Array(e, u.body); sig64(e, u.sig) }
        break
      case 'ok': break
      case 'refuse': encoding.writeVarString(e, m.reason.slice(0, MAX_REASON_CHARS)); break
      case 'getDelta': hash32(e, m.hash); break
      case 'delta': hash32(e, m.hash); hash32(e, m.base); encoding.writeVarUint8Array(e, m.body); break
      case 'hold': {
        encoding.writeVarString(e, m.task); encoding.writeVarUint(e, m.round); hash32(e, m.hash); hash32(e, m.base)
        const model = m.model
        encoding.writeVarUint(e, (model.kind === 'whole' ? (model.lz4 ? 3 : 1) : 0) | (m.state != null ? (m.state.lz4 ? 12 : 4) : 0))
        encoding.writeVarUint8Array(e, model.kind === 'whole' ? model.bytes : model.body)
        if (m.state != null) { hash32(e, m.state.hash); encoding.writeVarUint8Array(e, m.state.bytes) }
        break
      }
    }
  })
}

function hash32 (e: encoding.Encoder, h: Uint8Array): void {
  if (h.length !== 32) throw new RangeError('hash must be 32 bytes')
  encoding.writeUint8Array(e, h)
}

function sig64 (e: encoding.Encoder, s: Uint8Array): void {
  if (s.length !== 64) throw new RangeError('signature must be 64 bytes')
  encoding.writeUint8Array(e, s)
}

function fail (what: string): never { throw new LiveDecodeError(`learning message: ${what}`) }

function readHash (d: decoding.Decoder): Uint8Array {
  if (d.arr.length - d.pos < 32) fail('truncated hash')
  return decoding.readUint8Array(d, 32)
}

function readSig (d: decoding.Decoder): Uint8Array {
  if (d.arr.length - d.pos < 64) fail('truncated signature')
  return decoding.readUint8Array(d, 64)
}

function readString (d: decoding.Decoder, max: number, what: string): string {
  const len = decoding.peekVarUint(d)
  if (len > max * 4) fail(`${what} too long`)
  const s = decoding.readVarString(d)
  if (s.length > max) fail(`${what} too long`)
  return s
}

function readBytes (d: decoding.Decoder, max: number, what: string): Uint8Array {
  const len = decoding.peekVarUint(d)
  if (len > max) fail(`${what} of ${len} bytes is over the limit of ${max}`)
  const before = d.pos
  decoding.readVarUint(d)
  if (d.arr.length - d.pos < len) { d.pos = before; fail(`truncated ${what}`) }
  return decoding.readUint8Array(d, len)
}

function readRound (d: decoding.Decoder): number {
  const r = decoding.readVarUint(d)
  if (r > MAX_ROUND) fail('round out of range')
  return r
}

function readHold (d: decoding.Decoder, limits: Limits): LiveMessage {
  const head = { type: 'hold' as const, task: readString(d, MAX_TASK_CHARS, 'task'), round: readRound(d), hash: readHash(d), base: readHash(d) }
  const flags = decoding.readVarUint(d)
  // bit1 (LZ4 weights) only with bit0 (whole weights), bit3 (LZ4 state) only with bit2 (a state)
  if (flags > 15 || ((flags & 2) !== 0 && (flags & 1) === 0) || ((flags & 8) !== 0 && (flags & 4) === 0)) fail(`unknown hold flags ${flags}`)
  const model: HeldModel = (flags & 1) !== 0
    ? { kind: 'whole', lz4: (flags & 2) !== 0, bytes: readBytes(d, limits.maxModelBytes, 'hold weights') }
    : { kind: 'delta', body: readBytes(d, limits.maxUpdateBytes, 'hold delta') }
  if ((flags & 4) === 0) return { ...head, model }
  return { ...head, model, state: { hash: readHash(d), lz4: (flags & 8) !== 0, bytes: readBytes(d, limits.maxModelBytes, 'hold state') } }
}

/** Decodes one message; anything malformed is a `LiveDecodeError`. */
export function readMessage (bytes: Uint8Array, limits: Limits): LiveMessage {
  const d = decoding.createDecoder(bytes)
  let m: LiveMessage
  try {
    const type = decoding.readVarUint(d)
    switch (type) {
      case MSG.start: {
        const start = { type: 'start' as const, task: readString(d, MAX_TASK_CHARS, 'task'), round: readRound(d), base: readHash(d), deadlineMs: decoding.readVarUint(d) }
        const flags = decoding.readVarUint(d)
        if (flags > 1) fail(`unknown start flags ${flags}`)
        m = flags === 1 ? { ...start, delta: { from: readHash(d), body: readBytes(d, limits.maxUpdateBytes, 'start delta') } } : start
        break
      }
      case MSG.update: m = { type: 'update', task: readString(d, MAX_TASK_CHARS, 'task'), round: readRound(d), base: readHash(d), trainMs: readRound(d), body: readBytes(d, limits.maxUpdateBytes, 'update'), sig: readSig(d) }; break
      case MSG.getModel: m = { type: 'getModel', hash: readHash(d) }; break
      case MSG.model: {
        const hash = readHash(d)
        const flags = decoding.readVarUint(d)
        if (flags > 1) fail(`unknown flags ${flags}`)
        m = { type: 'model', hash, lz4: flags === 1, bytes: readBytes(d, limits.maxModelBytes, 'model') }
        break
      }
      case MSG.getRound: m = { type: 'getRound', task: readString(d, MAX_TASK_CHARS, 'task'), round: readRound(d) }; break
      case MSG.round: {
        const round = readRound(d)
        const base = readHash(d)
        const n = decoding.readVarUint(d)
        if (n > MAX_ROUND_UPDATES) fail(`${n} updates is over the limit of ${MAX_ROUND_UPDATES}`)
        const updates: RoundUpdate[] = []
        for (let i = 0; i < n; i++) updates.push({ peer: readString(d, MAX_PEER_CHARS, 'peer id'), body: readBytes(d, limits.maxUpdateBytes, 'update'), sig: readSig(d) })
        m = { type: 'round', round, base, updates }
        break
      }
      case MSG.ok: m = { type: 'ok' }; break
      case MSG.refuse: m = { type: 'refuse', reason: readString(d, MAX_REASON_CHARS, 'reason') }; break
      case MSG.getDelta: m = { type: 'getDelta', hash: readHash(d) }; break
      case MSG.delta: m = { type: 'delta', hash: readHash(d), base: readHash(d), body: readBytes(d, limits.maxUpdateBytes, 'delta') }; break
      case MSG.hold: m = readHold(d, limits); break
      default: fail(`unknown message type ${type}`)
    }
  } catch (err) {
    if (err instanceof LiveDecodeError) throw err
    fail(`truncated or malformed (${err instanceof Error ? err.message : String(err)})`)
  }
  if (decoding.hasContent(d)) fail('trailing bytes')
  return m
}
