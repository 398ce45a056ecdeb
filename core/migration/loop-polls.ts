/**
 * Poll points at loop headers and at recursive functions' entries, so that a loop or a recursion
 * that makes no WASI call can still be paused.
 *
 * A checkpointable task stops only inside an import (checkpoint-run.ts: asyncify unwinds from
 * there). A pure compute loop calls none, so before this a migration waited out its reply timeout
 * (`PauseTimeoutError`). Here every loop header of every defined function gets
 *
 *   (global.set $cd (i32.sub (global.get $cd) (i32.const 1)))
 *   (if (i32.le_s (global.get $cd) (i32.const 0))
 *     (then (global.set $cd (i32.const every)) (call $poll)))
 *
 * where `$poll` is the import `novacron.poll` (checkpoint-run.ts answers it as it answers a WASI
 * call: the same `shouldPause`, the same unwind) and `$cd` a countdown global that is not
 * exported, so snapshots do not carry it (a resumed task starts a fresh countdown). The hot path
 * is a global decrement and a compare: a JS call only every `every` iterations.
 *
 * The same poll point goes at the entry of every function that can recurse (on a cycle of the call
 * graph the walk collects: call-cycles.ts), so that a long recursion without loops can be paused
 * too (session 12). Not at every function's entry: binaryen's `log-execution` pass (entries,
 * returns and loops) made asyncify instrument every small leaf function and cost a JS call per
 * call (a recursive fib ran 5–8× slower); with only loops and recursive functions, leaves stay
 * untouched, and a JS call is made every `every` loop iterations or recursive calls.
 *
 * binaryen.js has no generic child walker, so `walk` lists each expression kind's children
 * (`getExpressionInfo`'s fields); a kind not listed (GC, strings, stack switching: not produced for
 * WASI commands by clang, Rust or AssemblyScript) is left unvisited and counted in `opaque` (its function is taken to make indirect calls).
 */
import type binaryenNs from 'binaryen'
import { functionsOnCycles, type CallGraph } from './call-cycles.ts'

type Binaryen = typeof binaryenNs
type Module = InstanceType<Binaryen['Module']>

/** The import a poll point calls (checkpoint-run.ts provides it). */
export const POLL_MODULE = 'novacron'
export const POLL_NAME = 'poll'
const POLL_FN = '__novacron_poll'
const COUNTDOWN = '__novacron_poll_countdown'

export interface LoopPolls {
  /** loop headers given a poll point */
  loops: number
  /** functions on a cycle of the call graph (call-cycles.ts) given a poll point at their entry */
  entries: number
  /** expressions of a kind the walk does not know, not looked into */
  opaque: number
}

export interface PollPointOptions {
  /** a poll point at the entry of every function that can recurse (call-cycles.ts) @default true */
  entries?: boolean
}

/**
 * Adds the poll import, the countdown global and a poll point at every loop header of `mod`, and
 * (unless `entries` is false) at the entry of every function that can recurse.
 */
export function addLoopPolls (b: Binaryen, mod: Module, every: number, opts: PollPointOptions = {}): LoopPolls {
  if (!Number.isInteger(every) || every < 1 || every > 0x7fffffff) throw new RangeError(`poll interval ${every}: not an integer in 1..2^31-1`)
  mod.addFunctionImport(POLL_FN, POLL_MODULE, POLL_NAME, b.none, b.none)
  mod.addGlobal(COUNTDOWN, b.i32, true, mod.i32.const(every))
  const children = childFields(b)
  const raw = b as unknown as { _BinaryenLoopSetBody: (loop: number, body: number) => void, _BinaryenFunctionSetBody: (func: number, body: number) => void }
  const out: LoopPolls = { loops: 0, entries: 0, opaque: 0 }
  const poll = (): number => mod.block(null, [
    mod.global.set(COUNTDOWN, mod.i32.sub(mod.global.get(COUNTDOWN, b.i32), mod.i32.const(1))),
    mod.if(
      mod.i32.le_s(mod.global.get(COUNTDOWN, b.i32), mod.i32.const(0)),
      mod.block(null, [mod.global.set(COUNTDOWN, mod.i32.const(every)), mod.call(POLL_FN, [], b.none)])
    )
  ])
  const graph: CallGraph = { calls: new Map(), indirect: new Set(), addressTaken: elementFunctions(b, mod) }
  for (let f = 0; f < mod.getNumFunctions(); f++) {
    const info = b.getFunctionInfo(mod.getFunctionByIndex(f))
    if ((info.module ?? '') !== '' || info.body === 0) continue
    const calls = new Set<string>()
    graph.calls.set(info.name, calls)
    // an explicit stack: expression trees can be thousands deep
    const stack = [info.body]
    while (stack.length > 0) {
      const expr = stack.pop() as number
      const id = b.getExpressionId(expr)
      const fields = children.get(id)
      if (fields == null) {
        out.opaque++
        graph.indirect.add(info.name) // it may call through a reference (call_ref): assume it does
        continue
      }
      if (id === b.RefFuncId) graph.addressTaken.add((b.getExpressionInfo(expr) as binaryenNs.RefFuncInfo).func)
      if (fields.length === 0) continue // a leaf (getExpressionInfo throws on some, e.g. unreachable)
      const e = b.getExpressionInfo(expr) as unknown as Record<string, unknown> & { id: number }
      for (const field of fields) {
        const v = e[field]
        if (Array.isArray(v)) { for (const c of v) if (typeof c === 'number' && c !== 0) stack.push(c) } else if (typeof v === 'number' && v !== 0) stack.push(v)
      }
      if (id === b.CallId) calls.add(e.target as string)
      else if (id === b.CallIndirectId) graph.indirect.add(info.name)
      else if (id === b.LoopId) {
        const body = e.body as number
        // the new block's type is its last child's: the loop's own type is unchanged
        raw._BinaryenLoopSetBody(expr, mod.block(null, [poll(), body], b.getExpressionType(body)))
        out.loops++
      }
    }
  }
  if (opts.entries === false) return out
  for (const name of functionsOnCycles(graph)) {
    const fn = mod.getFunction(name)
    const body = b.getFunctionInfo(fn).body
    raw._BinaryenFunctionSetBody(fn, mod.block(null, [poll(), body], b.getExpressionType(body)))
    out.entries++
  }
  return out
}

/** The functions named in the module's element segments (what `call_indirect` can reach). */
function elementFunctions (b: Binaryen, mod: Module): Set<string> {
  const out = new Set<string>()
  for (let i = 0; i < mod.getNumElementSegments(); i++) {
    for (const name of b.getElementSegmentInfo(mod.getElementSegmentByIndex(i)).data) out.add(name)
  }
  return out
}

/** Each known expression kind's child fields in `getExpressionInfo` (leaves: none). */
function childFields (b: Binaryen): Map<number, readonly string[]> {
  const m = new Map<number, readonly string[]>()
  const leaf: readonly string[] = []
  for (const id of [b.NopId, b.LocalGetId, b.GlobalGetId, b.ConstId, b.UnreachableId, b.PopId, b.MemorySizeId,
    b.AtomicFenceId, b.DataDropId, b.RefNullId, b.RefFuncId, b.TableSizeId, b.RethrowId, b.ElemDropId]) m.set(id, leaf)
  const kinds: Array<[number, readonly string[]]> = [
    [b.BlockId, ['children']],
    [b.IfId, ['condition', 'ifTrue', 'ifFalse']],
    [b.LoopId, ['body']],
    [b.BreakId, ['condition', 'value']],
    [b.SwitchId, ['condition', 'value']],
    [b.CallId, ['operands']],
    [b.CallIndirectId, ['target', 'operands']],
    [b.LocalSetId, ['value']],
    [b.GlobalSetId, ['value']],
    [b.LoadId, ['ptr']],
    [b.StoreId, ['ptr', 'value']],
    [b.AtomicRMWId, ['ptr', 'value']],
    [b.AtomicCmpxchgId, ['ptr', 'expected', 'replacement']],
    [b.AtomicWaitId, ['ptr', 'expected', 'timeout']],
    [b.AtomicNotifyId, ['ptr', 'notifyCount']],
    [b.SIMDExtractId, ['vec']],
    [b.SIMDReplaceId, ['vec', 'value']],
    [b.SIMDShuffleId, ['left', 'right']],
    [b.SIMDTernaryId, ['a', 'b', 'c']],
    [b.SIMDShiftId, ['vec', 'shift']],
    [b.SIMDLoadId, ['ptr']],
    [b.SIMDLoadStoreLaneId, ['ptr', 'vec']],
    [b.MemoryInitId, ['dest', 'offset', 'size']],
    [b.MemoryCopyId, ['dest', 'source', 'size']],
    [b.MemoryFillId, ['dest', 'value', 'size']],
    [b.UnaryId, ['value']],
    [b.BinaryId, ['left', 'right']],
    [b.SelectId, ['ifTrue', 'ifFalse', 'condition']],
    [b.DropId, ['value']],
    [b.ReturnId, ['value']],
    [b.MemoryGrowId, ['delta']],
    [b.RefIsNullId, ['value']],
    [b.RefEqId, ['left', 'right']],
    [b.RefAsId, ['value']],
    [b.TableGetId, ['index']],
    [b.TableSetId, ['index', 'value']],
    [b.TableGrowId, ['value', 'delta']],
    [b.TryId, ['body', 'catchBodies']],
    [b.ThrowId, ['operands']],
    [b.TupleMakeId, ['operands']],
    [b.TupleExtractId, ['tuple']]
  ]
  for (const [id, fields] of kinds) m.set(id, fields)
  return m
}
