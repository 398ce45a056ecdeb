/**
 * The wire format of a `TaskSnapshot` (snapshot.ts), versioned, every size bounded before it is
 * used, and every malformed input a `MigrationDecodeError` (test/migration/snapshot-codec.test.ts
 * fuzzes it). In y-protocols' notation (PROTOCOL.md):
 *
 *   snapshot := "NCSN" • varUint(2) • varUint8Array(memory) • varUint(nGlobals) • global*
 *               • varUint8Array(unwind) • varString(pausedIn)
 *               • varInt(pausedResult) • varUint(stdinPos) • varUint8Array(stdout)
 *               • varUint8Array(stderr) • u64le(clockNs) • varUint(calls) • varUint(pauses)
 *   global   := u8(0=i32) • varInt | u8(1=i64) • i64le | u8(2=f32) • f32le | u8(3=f64) • f64le
 *
 * Memory is carried whole here; live migration sends it as chunks (precopy.ts) and this with an
 * empty memory plus the recipe.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { decodeExact } from '../codec/decode-exact.ts'
import { MigrationDecodeError } from './errors.ts'
import { POLL_MODULE, POLL_NAME } from './loop-polls.ts'
import type { GlobalKind, GlobalValue, TaskSnapshot } from './snapshot.ts'

/**
 * 2 (session 11): taken from a module instrumented with poll points at loop headers
 * (loop-polls.ts) and possibly paused at one (`pausedIn` "novacron.poll"); asyncify's saved stack
 * only fits the module instrumented the same way, so a version 1 snapshot cannot be resumed here.
 * 3 (session 12): the module also has poll points at the entry of every function that can recurse
 * (call-cycles.ts), so asyncify instruments those functions too: a version 2 stack does not fit
 */
export const SNAPSHOT_VERSION = 3
const MAGIC = [0x4e, 0x43, 0x53, 0x4e] // "NCSN"
const KINDS: GlobalKind[] = ['i32', 'i64', 'f32', 'f64']
const PAGE = 65536
const POLL_CALL_NAME = `${POLL_MODULE}.${POLL_NAME}`

export interface SnapshotLimits {
  /** largest memory accepted @default 4 GiB (the jobs layer's cap) */
  maxMemoryBytes?: number
  /** largest stdout or stderr accepted @default 64 MiB */
  maxOutputBytes?: number
  /** most mutable globals accepted @default 4096 */
  maxGlobals?: number
  /**
   * memory travels separately (live migration's `final` carries the snapshot with an empty memory
   * and a chunk recipe): the saved stack is then bounded by `maxUnwindBytes` alone @default false
   */
  detachedMemory?: boolean
  /** largest saved stack accepted @default 1 MiB */
  maxUnwindBytes?: number
  /**
   * the decoded `memory` is a view into `bytes`, not a copy (a 256 MiB copy is time a migration's
   * downtime pays): only for a caller that neither writes it nor keeps `bytes` changing @default false
   */
  viewMemory?: boolean
}

export function encodeSnapshot (s: TaskSnapshot): Uint8Array {
  return encodeSnapshotWith(s, s.memory.length, dst => { dst.set(s.memory) })
}

/**
 * Encodes `s` with a memory of `memoryLength` bytes that `fill` writes straight into the result
 * (`dst` is that memory's place in it): one allocation of the exact size and one copy of memory,
 * where encoding through a growing buffer copied a 256 MiB memory twice (the migration target
 * rebuilds a snapshot from its chunks this way). `s.memory` is not read.
 */
export function encodeSnapshotWith (s: TaskSnapshot, memoryLength: number, fill: (dst: Uint8Array) => void): Uint8Array {
  const { head: a, tail: b } = snapshotParts(s, memoryLength)
  const out = new Uint8Array(a.length + memoryLength + b.length)
  out.set(a, 0)
  fill(out.subarray(a.length, a.length + memoryLength))
  out.set(b, a.length + memoryLength)
  return out
}

/**
 * The bytes of an encoded snapshot before its memory (at most 10) and after it: a caller holding
 * the memory in a buffer with room around it writes these there and has the snapshot without
 * copying the memory (chunk-image.ts).
 */
export function snapshotParts (s: TaskSnapshot, memoryLength: number): { head: Uint8Array, tail: Uint8Array } {
  const head = encoding.createEncoder()
  for (const b of MAGIC) encoding.writeUint8(head, b)
  encoding.writeVarUint(head, SNAPSHOT_VERSION)
  encoding.writeVarUint(head, memoryLength)
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, s.globals.length)
  for (const g of s.globals) writeGlobal(e, g)
  encoding.writeVarUint8Array(e, s.unwind)
  encoding.writeVarString(e, s.pausedIn)
  encoding.writeVarInt(e, s.pausedResult)
  encoding.writeVarUint(e, s.stdinPos)
  encoding.writeVarUint8Array(e, s.stdout)
  encoding.writeVarUint8Array(e, s.stderr)
  encoding.writeBigUint64(e, s.clockNs)
  encoding.writeVarUint(e, s.calls)
  encoding.writeVarUint(e, s.pauses)
  return { head: encoding.toUint8Array(head), tail: encoding.toUint8Array(e) }
}

function writeGlobal (e: encoding.Encoder, g: GlobalValue): void {
  const k = KINDS.indexOf(g.kind)
  if (k < 0) throw new TypeError(`unknown global kind ${String(g.kind)}`)
  encoding.writeUint8(e, k)
  if (g.kind === 'i32') encoding.writeVarInt(e, g.value as number)
  else if (g.kind === 'i64') encoding.writeBigInt64(e, g.value as bigint)
  else if (g.kind === 'f32') encoding.writeFloat32(e, g.value as number)
  else encoding.writeFloat64(e, g.value as number)
}

const fail = (detail: string): never => { throw new MigrationDecodeError(`snapshot: ${detail}`) }

/** Reads a length, checks it against `max` and the bytes left, then the bytes (no copy). */
function readBytes (d: decoding.Decoder, what: string, max: number): Uint8Array {
  const len = decoding.readVarUint(d)
  if (len > max) fail(`${what} of ${len} bytes is over the limit of ${max}`)
  if (len > d.arr.length - d.pos) fail(`${what} of ${len} bytes runs past the end`)
  return decoding.readUint8Array(d, len)
}

function readUint (d: decoding.Decoder, what: string, max: number): number {
  const n = decoding.readVarUint(d)
  if (!Number.isSafeInteger(n) || n > max) fail(`${what} ${n} is out of range (at most ${max})`)
  return n
}

export function decodeSnapshot (bytes: Uint8Array, limits: SnapshotLimits = {}): TaskSnapshot {
  const maxMemory = limits.maxMemoryBytes ?? 4 * 1024 * 1024 * 1024
  const maxOutput = limits.maxOutputBytes ?? 64 * 1024 * 1024
  const maxGlobals = limits.maxGlobals ?? 4096
  const maxUnwind = limits.maxUnwindBytes ?? 1024 * 1024
  return decodeExact(bytes, 'snapshot', d => {
    for (const b of MAGIC) if (decoding.readUint8(d) !== b) fail('bad magic (not a snapshot)')
    const version = decoding.readVarUint(d)
    if (version !== SNAPSHOT_VERSION) fail(`version ${version} is not supported (this peer reads ${SNAPSHOT_VERSION})`)
    const memory = readBytes(d, 'memory', maxMemory)
    if (memory.length % PAGE !== 0) fail(`memory of ${memory.length} bytes is not whole 64 KiB pages`)
    const n = readUint(d, 'global count', maxGlobals)
    const globals: GlobalValue[] = []
    for (let i = 0; i < n; i++) globals.push(readGlobal(d))
    const unwind = readBytes(d, 'saved stack', limits.detachedMemory === true ? maxUnwind : Math.min(maxUnwind, memory.length)).slice()
    if (unwind.length === 0) fail('the saved stack is empty')
    const nameBytes = readBytes(d, 'paused-in name', 64)
    const pausedIn = new TextDecoder('utf-8', { fatal: true }).decode(nameBytes)
    if (!/^[a-z_0-9]+$/.test(pausedIn) && pausedIn !== POLL_CALL_NAME) fail(`paused-in name ${JSON.stringify(pausedIn)} is not a WASI function name or the poll`)
    const pausedResult = decoding.readVarInt(d)
    if (!Number.isSafeInteger(pausedResult) || Math.abs(pausedResult) > 0xffffffff) fail('paused result out of range')
    const stdinPos = readUint(d, 'stdin position', Number.MAX_SAFE_INTEGER)
    const stdout = readBytes(d, 'stdout', maxOutput).slice()
    const stderr = readBytes(d, 'stderr', maxOutput).slice()
    const clockNs = decoding.readBigUint64(d)
    const calls = readUint(d, 'call count', Number.MAX_SAFE_INTEGER)
    const pauses = readUint(d, 'pause count', Number.MAX_SAFE_INTEGER)
    return { memory: limits.viewMemory === true ? memory : memory.slice(), globals, unwind, pausedIn, pausedResult, stdinPos, stdout, stderr, clockNs, calls, pauses }
  }, { own: MigrationDecodeError, make: detail => new MigrationDecodeError(detail) })
}

/**
 * The task's run time so far (`clockNs`) without decoding (or copying) the rest: a peer resuming
 * a task from another peer's snapshot charges it against the task's wall-clock limit
 * (core/jobs/runner.ts's `usedMs`). Same checks as `decodeSnapshot` on what it passes over.
 */
export function readSnapshotClockNs (bytes: Uint8Array): bigint {
  const skip = (d: decoding.Decoder, what: string): void => {
    const len = decoding.readVarUint(d)
    if (len > d.arr.length - d.pos) fail(`${what} of ${len} bytes runs past the end`)
    d.pos += len
  }
  return decodeExact(bytes, 'snapshot', d => {
    for (const b of MAGIC) if (decoding.readUint8(d) !== b) fail('bad magic (not a snapshot)')
    const version = decoding.readVarUint(d)
    if (version !== SNAPSHOT_VERSION) fail(`version ${version} is not supported (this peer reads ${SNAPSHOT_VERSION})`)
    skip(d, 'memory')
    const n = readUint(d, 'global count', 4096)
    for (let i = 0; i < n; i++) readGlobal(d)
    skip(d, 'saved stack')
    skip(d, 'paused-in name')
    decoding.readVarInt(d)
    readUint(d, 'stdin position', Number.MAX_SAFE_INTEGER)
    skip(d, 'stdout')
    skip(d, 'stderr')
    const clockNs = decoding.readBigUint64(d)
    readUint(d, 'call count', Number.MAX_SAFE_INTEGER)
    readUint(d, 'pause count', Number.MAX_SAFE_INTEGER)
    return clockNs
  }, { own: MigrationDecodeError, make: detail => new MigrationDecodeError(detail) })
}

function readGlobal (d: decoding.Decoder): GlobalValue {
  const k = decoding.readUint8(d)
  const kind = KINDS[k] ?? fail(`unknown global kind ${k}`)
  if (kind === 'i32') {
    const v = decoding.readVarInt(d)
    if (v < -0x80000000 || v > 0x7fffffff) fail(`i32 global ${v} out of range`)
    return { kind, value: v }
  }
  if (kind === 'i64') return { kind, value: decoding.readBigInt64(d) }
  if (kind === 'f32') return { kind, value: decoding.readFloat32(d) }
  return { kind, value: decoding.readFloat64(d) }
}
