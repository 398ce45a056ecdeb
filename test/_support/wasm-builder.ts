/**
 * A tiny WebAssembly module assembler for tests: one `_start` function written as raw opcodes, an
 * optional memory and data segment, and any function imports. Enough to hand-make the modules the
 * sandbox tests need (hello world over WASI fd_write, infinite loops, memory bombs, traps, unknown
 * imports) without a wat toolchain.
 */
import { writeU32 } from '../../core/jobs/wasm-binary.ts'

export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, drop: 0x1a, call: 0x10,
  i32Const: 0x41, i32Eq: 0x46, memoryGrow: 0x40, i32DivU: 0x6e, localGet: 0x20, void: 0x40, i32: 0x7f
} as const

/** Unsigned LEB128: the product's writer (core/jobs/wasm-binary.ts). */
export const leb = writeU32

/** Signed LEB128 (i32.const immediates). */
export function sleb (n: number): number[] {
  const out: number[] = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out }
    out.push(b | 0x80)
  }
}

const str = (s: string): number[] => { const b = [...new TextEncoder().encode(s)]; return [...leb(b.length), ...b] }
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body]
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()]

export interface FuncImport { module: string, name: string, params: number, results: number }
export interface ModuleSpec {
  imports?: FuncImport[]
  /** memory limits in pages; omitted: no memory */
  memory?: { min: number, max?: number }
  /** bytes placed at `offset` in memory */
  data?: { offset: number, bytes: Uint8Array }
  /** the body of `_start` (no locals), without the final `end` */
  body: number[]
  /** @default true */
  exportMemory?: boolean
}

/** Builds the module's bytes; imported functions are i32 → i32 shaped by their counts. */
export function buildModule (spec: ModuleSpec): Uint8Array {
  const imports = spec.imports ?? []
  const types: number[][] = [[0x60, 0, 0]] // type 0: () -> ()
  const importEntries = imports.map(imp => {
    types.push([0x60, ...leb(imp.params), ...Array(imp.params).fill(0x7f), ...leb(imp.results), ...Array(imp.results).fill(0x7f)])
    return [...str(imp.module), ...str(imp.name), 0x00, ...leb(types.length - 1)]
  })
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
  out.push(...section(1, vec(types)))
  if (importEntries.length > 0) out.push(...section(2, vec(importEntries)))
  out.push(...section(3, vec([[0]])))
  if (spec.memory != null) {
    const m = spec.memory
    out.push(...section(5, vec([m.max == null ? [0x00, ...leb(m.min)] : [0x01, ...leb(m.min), ...leb(m.max)]])))
  }
  const exports = [[...str('_start'), 0x00, ...leb(imports.length)]]
  if (spec.memory != null && spec.exportMemory !== false) exports.push([...str('memory'), 0x02, 0])
  out.push(...section(7, vec(exports)))
  const body = [0x00, ...spec.body, OP.end]
  out.push(...section(10, vec([[...leb(body.length), ...body]])))
  if (spec.data != null) {
    out.push(...section(11, vec([[0x00, OP.i32Const, ...sleb(spec.data.offset), OP.end, ...leb(spec.data.bytes.length), ...spec.data.bytes]])))
  }
  return new Uint8Array(out)
}

const WASI = 'wasi_snapshot_preview1'
export const FD_WRITE: FuncImport = { module: WASI, name: 'fd_write', params: 4, results: 1 }
export const PROC_EXIT: FuncImport = { module: WASI, name: 'proc_exit', params: 1, results: 0 }

/** Writes `text` to stdout with fd_write, then exits with `exitCode` (imports: fd_write=0, proc_exit=1). */
export function helloModule (text: string, exitCode = 0): Uint8Array {
  const bytes = new TextEncoder().encode(text)
  // iovec at 0: { buf: 16, len }, nwritten at 8, text at 16
  const iov = new Uint8Array(16 + bytes.length)
  new DataView(iov.buffer).setUint32(0, 16, true)
  new DataView(iov.buffer).setUint32(4, bytes.length, true)
  iov.set(bytes, 16)
  return buildModule({
    imports: [FD_WRITE, PROC_EXIT],
    memory: { min: 1 },
    data: { offset: 0, bytes: iov },
    body: [
      OP.i32Const, ...sleb(1), OP.i32Const, ...sleb(0), OP.i32Const, ...sleb(1), OP.i32Const, ...sleb(8), OP.call, 0, OP.drop,
      OP.i32Const, ...sleb(exitCode), OP.call, 1
    ]
  })
}

/** `loop br 0 end`: never returns. */
export function loopModule (): Uint8Array {
  return buildModule({ memory: { min: 1 }, body: [OP.loop, OP.void, OP.br, 0, OP.end] })
}

/** Grows memory one page at a time until grow fails, then traps (unreachable). */
export function memoryBombModule (max?: number): Uint8Array {
  return buildModule({
    memory: max == null ? { min: 1 } : { min: 1, max },
    body: [
      OP.block, OP.void, OP.loop, OP.void,
      OP.i32Const, ...sleb(1), OP.memoryGrow, 0, OP.i32Const, ...sleb(-1), OP.i32Eq, OP.brIf, 1,
      OP.br, 0, OP.end, OP.end, OP.unreachable
    ]
  })
}

/** Divides by zero. */
export function trapModule (): Uint8Array {
  return buildModule({ memory: { min: 1 }, body: [OP.i32Const, ...sleb(1), OP.i32Const, ...sleb(0), OP.i32DivU, OP.drop] })
}
