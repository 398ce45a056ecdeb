/**
 * A long recursion without loops can be paused (core/migration/call-cycles.ts, loop-polls.ts): the
 * runner's instrumenting puts a poll point at the entry of every function on a cycle of the call
 * graph, besides every loop header.
 *
 * - the call graph's cycles: self-calls, mutual recursion, indirect calls (to every address-taken
 *   function), nothing else;
 * - recurse (examples/jobs/recurse.c: one line, a binary recursion of 2^n calls in a function with
 *   no loop and no WASI call, one line) paused mid-recursion at a poll point — only its first line
 *   written — resumes in a fresh instance from its encoded snapshot with exactly the native
 *   output; instrumented without entry polls, the same recursion reaches no poll point at all;
 * - a hand-made module that recurses without end, with no loop and no import, stops at a poll
 *   point, resumes from its snapshot in a fresh instance and stops again, its global counting on.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import binaryen from 'binaryen'
import { resolveLimits } from '../../core/jobs/task-types.ts'
import { functionsOnCycles, type CallGraph } from '../../core/migration/call-cycles.ts'
import { POLL_CALL, runCheckpointable } from '../../core/migration/checkpoint-run.ts'
import { instrumentForCheckpoint } from '../../core/migration/instrument.ts'
import { decodeSnapshot, encodeSnapshot } from '../../core/migration/snapshot-codec.ts'
import { exampleWasm, examplePath } from '../jobs/_examples.ts'

const graph = (calls: Record<string, string[]>, indirect: string[] = [], addressTaken: string[] = []): CallGraph =>
  ({ calls: new Map(Object.entries(calls).map(([k, v]) => [k, new Set(v)])), indirect: new Set(indirect), addressTaken: new Set(addressTaken) })
const sorted = (s: Set<string>): string[] => [...s].sort()

test('the functions on a cycle of the call graph, and only those', () => {
  assert.deepEqual(sorted(functionsOnCycles(graph({ main: ['a', 'leaf'], a: ['a', 'leaf'], leaf: [] }))), ['a'])
  assert.deepEqual(sorted(functionsOnCycles(graph({ main: ['even'], even: ['odd', 'leaf'], odd: ['even'], leaf: [] }))), ['even', 'odd'])
  // a DAG with shared callees has no cycle; an import (not in `calls`) is no node
  assert.deepEqual(sorted(functionsOnCycles(graph({ main: ['a', 'b', 'fd_write'], a: ['c'], b: ['c'], c: [] }))), [])
  // an indirect call may reach every address-taken function: a cycle through the table
  assert.deepEqual(sorted(functionsOnCycles(graph({ main: ['d'], d: [], cb: ['d'] }, ['d'], ['cb']))), ['cb', 'd'])
  assert.deepEqual(sorted(functionsOnCycles(graph({ main: ['d'], d: [], cb: [] }, ['d'], ['cb']))), [])
  // a long chain ending in a cycle back to its start: no recursion in the walk itself
  const chain: Record<string, string[]> = {}
  for (let i = 0; i < 50_000; i++) chain[`f${i}`] = [`f${(i + 1) % 50_000}`]
  assert.equal(functionsOnCycles(graph(chain)).size, 50_000)
})

const DEPTH = '26'
const limits = resolveLimits({ memoryBytes: 16 * 1024 * 1024, timeoutMs: 300_000 })
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

test('recurse paused mid-recursion at a poll point resumes in a fresh instance with exactly the native output', async () => {
  const native = execFileSync(examplePath('recurse', 'native'), [DEPTH]).toString('utf8')
  assert.match(native, /^recurse 26\ndone 26 walk [0-9a-f]{16}\n$/)
  const wasm = exampleWasm('recurse')
  const mod = await instrumentForCheckpoint(wasm)
  assert.ok((mod.polls?.entries ?? 0) >= 1, `walk's entry has a poll point (${JSON.stringify(mod.polls)})`)
  // the 100th poll: 10⁶ entries into 2^27 calls, after the first line (libc's loops poll a few times before)
  let polls = 0
  const first = await runCheckpointable(mod, { args: [DEPTH] }, limits, { shouldPause: at => at.name === POLL_CALL && ++polls === 100 })
  assert.equal(first.kind, 'paused')
  if (first.kind !== 'paused') return
  assert.equal(first.snapshot.pausedIn, POLL_CALL)
  assert.equal(text(first.snapshot.stdout), `recurse ${DEPTH}\n`, 'inside the recursion: its first line written, not its last')
  const again = await runCheckpointable(mod, { args: [DEPTH] }, limits, { from: decodeSnapshot(encodeSnapshot(first.snapshot)), shouldPause: () => false })
  assert.equal(again.kind, 'done')
  if (again.kind !== 'done') return
  assert.equal(text(again.output.stdout), native)

  // without entry polls (session 11's instrumenting) the recursion polls nowhere: it could not be paused
  const loopsOnly = await instrumentForCheckpoint(wasm, { entryPolls: false })
  assert.equal(loopsOnly.polls?.entries, 0)
  // polls between the first line's fd_write and the last's: the recursion runs there
  let lines = 0
  let between = 0
  const plain = await runCheckpointable(loopsOnly, { args: [DEPTH] }, limits, {
    shouldPause: at => { if (at.name === 'fd_write') lines++; else if (at.name === POLL_CALL && lines === 1) between++; return false }
  })
  assert.equal(plain.kind, 'done')
  assert.equal(lines, 2)
  assert.ok(between < 10, `${between} polls while 2^27 calls ran (printf's own loops at most; with entry polls ~13,000)`)
})

/** `$r` calls itself twice per level, 2^40 calls from `_start`: no loop, no import, unbounded in practice */
const RECURSION_WAT = `(module
  (memory (export "memory") 2)
  (global $calls (mut i64) (i64.const 0))
  (func $r (param $n i32)
    (global.set $calls (i64.add (global.get $calls) (i64.const 1)))
    (if (local.get $n) (then
      (call $r (i32.sub (local.get $n) (i32.const 1)))
      (call $r (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "_start") (call $r (i32.const 40))))`

test('a module recursing without end, with no loop and no import, stops at a poll point and again after a resume', async () => {
  const m = binaryen.parseText(RECURSION_WAT)
  const bytes = m.emitBinary()
  m.dispose()
  const mod = await instrumentForCheckpoint(bytes)
  assert.deepEqual({ loops: mod.polls?.loops, entries: mod.polls?.entries }, { loops: 0, entries: 1 })
  const small = resolveLimits({ memoryBytes: 1 << 20 })
  const first = await runCheckpointable(mod, {}, small, { shouldPause: at => at.name === POLL_CALL })
  assert.equal(first.kind, 'paused')
  if (first.kind !== 'paused') return
  assert.equal(first.snapshot.pausedIn, POLL_CALL)
  const calls = first.snapshot.globals[0]?.value
  assert.equal(typeof calls, 'bigint')
  assert.ok((calls as bigint) >= 9_999n, `the recursion ran ${String(calls)} calls to its first poll point`)
  let n = 0
  const again = await runCheckpointable(mod, {}, small, { from: decodeSnapshot(encodeSnapshot(first.snapshot)), shouldPause: () => ++n === 3 })
  assert.equal(again.kind, 'paused', 'it runs on from the snapshot and stops at its third poll')
  if (again.kind !== 'paused') return
  assert.ok((again.snapshot.globals[0]?.value as bigint) >= (calls as bigint) + 20_000n, 'its global counted on from the snapshot')
})
