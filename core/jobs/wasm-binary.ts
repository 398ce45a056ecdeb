/**
 * The little of the WebAssembly binary format the sandbox needs before it compiles a module:
 * walk the section headers (bounds-checked), read the memory section's limits, and rewrite them so
 * the module's memory maximum is at most the task's memory cap.
 *
 * Why rewrite: wasm linear memory lives outside the JS heap, so a worker's `resourceLimits` do not
 * bound it, and the JS API cannot cap a memory the module defines itself. With the declared
 * maximum lowered to the cap, `memory.grow` past the cap fails inside the engine (returns -1), as
 * the spec lets it, and a module that declares an initial size over the cap is refused up front.
 * Everything else is left byte-for-byte; the engine's own validation runs on the result.
 */
import { InvalidModuleError, JobMemoryError } from './errors.ts'

export const WASM_PAGE = 65536
const MEMORY_SECTION = 5

export interface MemoryLimits {
  /** initial size, in 64 KiB pages */
  min: number
  /** declared maximum, in pages, when there is one */
  max?: number
}

interface Section { id: number, start: number, end: number, headerStart: number }

function readU32 (bytes: Uint8Array, pos: number): [number, number] {
  let result = 0
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= bytes.length) throw new InvalidModuleError('truncated LEB128 number')
    const b = bytes[pos++]
    result += (b & 0x7f) * 2 ** shift
    if ((b & 0x80) === 0) {
      if (result > 0xffffffff) throw new InvalidModuleError('LEB128 number larger than 32 bits')
      return [result, pos]
    }
  }
  throw new InvalidModuleError('LEB128 number longer than 5 bytes')
}

/** Unsigned LEB128, as the WebAssembly binary format writes sizes and indices. */
export function writeU32 (n: number): number[] {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n = Math.floor(n / 128)
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
  return out
}

function sections (bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new InvalidModuleError('not a WebAssembly module (bad magic number)')
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new InvalidModuleError('unsupported WebAssembly binary version (only 1 is supported; components are not)')
  }
  const out: Section[] = []
  let pos = 8
  while (pos < bytes.length) {
    const headerStart = pos
    const id = bytes[pos++]
    const [size, after] = readU32(bytes, pos)
    if (after + size > bytes.length) throw new InvalidModuleError(`section ${id} runs past the end of the module`)
    out.push({ id, start: after, end: after + size, headerStart })
    pos = after + size
  }
  return out
}

/** The memory section's limits, or undefined when the module defines no memory. */
export function readMemoryLimits (bytes: Uint8Array): MemoryLimits | undefined {
  const mem = sections(bytes).filter(s => s.id === MEMORY_SECTION)
  if (mem.length === 0) return undefined
  if (mem.length > 1) throw new InvalidModuleError('more than one memory section')
  return parseMemorySection(bytes, mem[0])
}

function parseMemorySection (bytes: Uint8Array, s: Section): MemoryLimits | undefined {
  let [count, pos] = readU32(bytes, s.start)
  if (count === 0) return undefined
  if (count > 1) throw new InvalidModuleError('more than one memory (multi-memory is not supported)')
  if (pos >= s.end) throw new InvalidModuleError('truncated memory section')
  const flags = bytes[pos++]
  if ((flags & 0x02) !== 0) throw new InvalidModuleError('shared memory is not supported (no threads in the sandbox)')
  if (flags > 1) throw new InvalidModuleError(`unsupported memory limits flags 0x${flags.toString(16)} (memory64 is not supported)`)
  let min: number
  ;[min, pos] = readU32(bytes, pos)
  let max: number | undefined
  if (flags === 1) [max, pos] = readU32(bytes, pos)
  if (pos !== s.end) throw new InvalidModuleError('memory section size does not match its contents')
  void count
  return max === undefined ? { min } : { min, max }
}

/**
 * The module with its memory's maximum lowered to `capPages` (added when it declared none).
 * Throws `JobMemoryError` when the initial size is already over the cap. A module that defines no
 * memory is returned unchanged (it may import one, which the import check refuses).
 */
export function capModuleMemory (bytes: Uint8Array, capPages: number): { bytes: Uint8Array, limits?: MemoryLimits } {
  const mem = sections(bytes).filter(s => s.id === MEMORY_SECTION)
  if (mem.length > 1) throw new InvalidModuleError('more than one memory section')
  if (mem.length === 0) return { bytes }
  const limits = parseMemorySection(bytes, mem[0])
  if (limits === undefined) return { bytes }
  if (limits.min > capPages) {
    throw new JobMemoryError(`module needs ${limits.min} pages (${limits.min * WASM_PAGE} bytes) of initial memory; the cap is ${capPages * WASM_PAGE} bytes`)
  }
  const max = Math.min(limits.max ?? capPages, capPages)
  if (limits.max === max) return { bytes, limits }
  const body = [...writeU32(1), 0x01, ...writeU32(limits.min), ...writeU32(max)]
  const section = [MEMORY_SECTION, ...writeU32(body.length), ...body]
  const s = mem[0]
  const out = new Uint8Array(bytes.length - (s.end - s.headerStart) + section.length)
  out.set(bytes.subarray(0, s.headerStart), 0)
  out.set(section, s.headerStart)
  out.set(bytes.subarray(s.end), s.headerStart + section.length)
  return { bytes: out, limits }
}
