/**
 * The snapshot codec (core/migration/snapshot-codec.ts), fuzzed with fast-check under fixed seeds:
 * any snapshot round-trips exactly; any bytes, and any truncation or byte flip of a valid
 * encoding, decode or fail with a MigrationDecodeError — never another error; lengths over the
 * limits are refused before anything is allocated for them.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import * as encoding from 'lib0/encoding'
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_VERSION } from '../../core/migration/snapshot-codec.ts'
import type { GlobalValue, TaskSnapshot } from '../../core/migration/snapshot.ts'

const PAGE = 65536
const globalArb: fc.Arbitrary<GlobalValue> = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }).map(v => ({ kind: 'i32' as const, value: v })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(v => ({ kind: 'i64' as const, value: v })),
  fc.float({ noNaN: true }).map(v => ({ kind: 'f32' as const, value: v })),
  fc.double({ noNaN: true }).map(v => ({ kind: 'f64' as const, value: v }))
)
const snapshotArb: fc.Arbitrary<TaskSnapshot> = fc.record({
  memory: fc.integer({ min: 1, max: 3 }).chain(p => fc.uint8Array({ minLength: 0, maxLength: 64 }).map(head => { const m = new Uint8Array(p * PAGE); m.set(head); return m })),
  globals: fc.array(globalArb, { maxLength: 8 }),
  unwind: fc.uint8Array({ minLength: 1, maxLength: 200 }),
  pausedIn: fc.constantFrom('fd_write', 'fd_read', 'clock_time_get', 'args_get'),
  pausedResult: fc.integer({ min: 0, max: 76 }),
  stdinPos: fc.nat(),
  stdout: fc.uint8Array({ maxLength: 300 }),
  stderr: fc.uint8Array({ maxLength: 50 }),
  clockNs: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  calls: fc.nat(),
  pauses: fc.nat()
})

function decodesOrTyped (bytes: Uint8Array): void {
  try {
    decodeSnapshot(bytes, { maxMemoryBytes: 4 * PAGE })
  } catch (err) {
    assert.equal((err as Error).name, 'MigrationDecodeError', `got ${(err as Error).name}: ${(err as Error).message}`)
  }
}

test('any snapshot round-trips exactly', () => {
  fc.assert(fc.property(snapshotArb, s => {
    assert.deepEqual(decodeSnapshot(encodeSnapshot(s)), { ...s }) // fc.record builds null-prototype objects
  }), { seed: 20, numRuns: 200 })
})

test('random bytes and mutated encodings decode or fail with MigrationDecodeError only', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), decodesOrTyped), { seed: 21, numRuns: 2000 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), tail => { decodesOrTyped(new Uint8Array([0x4e, 0x43, 0x53, 0x4e, 1, ...tail])) }), { seed: 22, numRuns: 2000 })
  fc.assert(fc.property(snapshotArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(), (s, at, x, cut) => {
    const bytes = encodeSnapshot(s)
    decodesOrTyped(bytes.subarray(0, cut % bytes.length))
    const flipped = bytes.slice()
    flipped[at % bytes.length] ^= x
    decodesOrTyped(flipped)
  }), { seed: 23, numRuns: 300 })
})

test('each malformed field has its typed error', () => {
  const good: TaskSnapshot = { memory: new Uint8Array(PAGE), globals: [{ kind: 'i32', value: 5 }], unwind: new Uint8Array([1, 2, 3, 4]), pausedIn: 'fd_write', pausedResult: 0, stdinPos: 0, stdout: new Uint8Array(0), stderr: new Uint8Array(0), clockNs: 1n, calls: 3, pauses: 1 }
  assert.deepEqual(decodeSnapshot(encodeSnapshot(good)), good)
  const bad = (bytes: Uint8Array, msg: RegExp): void => { assert.throws(() => decodeSnapshot(bytes), (e: Error) => e.name === 'MigrationDecodeError' && msg.test(e.message)) }
  const header = (version: number, memLen: number): Uint8Array => {
    const e = encoding.createEncoder()
    encoding.writeUint8Array(e, new Uint8Array([0x4e, 0x43, 0x53, 0x4e]))
    encoding.writeVarUint(e, version)
    encoding.writeVarUint(e, memLen)
    return encoding.toUint8Array(e)
  }
  bad(new Uint8Array([1, 2, 3, 4, 1]), /magic/)
  bad(header(1, 0), /version 1/) // before loop poll points: its saved stack fits no module instrumented now
  bad(header(2, 0), /version 2/) // before recursion poll points (session 12): the same
  bad(header(4, 0), /version 4/)
  bad(header(SNAPSHOT_VERSION, 2 ** 40), /over the limit/) // a 1 TiB length: refused, nothing allocated
  bad(header(SNAPSHOT_VERSION, PAGE), /past the end/)
  bad(encodeSnapshot({ ...good, memory: new Uint8Array(100) }), /whole 64 KiB pages/)
  bad(encodeSnapshot({ ...good, pausedIn: 'fd write!' }), /not a WASI function name/)
  bad(encodeSnapshot({ ...good, pausedIn: 'novacron.other' }), /not a WASI function name or the poll/)
  assert.equal(decodeSnapshot(encodeSnapshot({ ...good, pausedIn: 'novacron.poll' })).pausedIn, 'novacron.poll')
  bad(encodeSnapshot({ ...good, unwind: new Uint8Array(0) }), /saved stack is empty/)
  bad(new Uint8Array([...encodeSnapshot(good), 0]), /trailing bytes/)
  assert.throws(() => decodeSnapshot(encodeSnapshot({ ...good, stdout: new Uint8Array(100) }), { maxOutputBytes: 10 }), /stdout of 100 bytes is over the limit/)
})
