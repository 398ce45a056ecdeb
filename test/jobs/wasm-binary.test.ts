/**
 * core/jobs/wasm-binary.ts, the memory-limit reader/rewriter the sandbox runs on untrusted bytes:
 * the rewritten module is valid and declares the cap as its maximum (checked by the engine, by
 * growing a real instance), a lower declared maximum is kept, an initial size over the cap is a
 * JobMemoryError, and random or mutated bytes only ever produce InvalidModuleError/JobMemoryError.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { capModuleMemory, readMemoryLimits } from '../../core/jobs/wasm-binary.ts'
import { buildModule, helloModule } from '../_support/wasm-builder.ts'

function grownTo (bytes: Uint8Array): number {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), {})
  const mem = inst.exports.memory as WebAssembly.Memory
  // the JS API's grow throws a RangeError where the instruction would return -1
  for (;;) {
    try { mem.grow(1) } catch (e) { if (e instanceof RangeError) return mem.buffer.byteLength / 65536; throw e }
  }
}

test('a memory without a maximum gets the cap as its maximum, enforced by the engine', () => {
  const m = buildModule({ memory: { min: 2 }, body: [] })
  assert.deepEqual(readMemoryLimits(m), { min: 2 })
  const { bytes, limits } = capModuleMemory(m, 10)
  assert.deepEqual(limits, { min: 2 })
  assert.deepEqual(readMemoryLimits(bytes), { min: 2, max: 10 })
  assert.equal(grownTo(bytes), 10)
})

test('a larger declared maximum is lowered; a smaller one is kept byte for byte', () => {
  const big = buildModule({ memory: { min: 1, max: 60000 }, body: [] })
  assert.deepEqual(readMemoryLimits(capModuleMemory(big, 300).bytes), { min: 1, max: 300 })
  const small = buildModule({ memory: { min: 1, max: 3 }, body: [] })
  assert.equal(capModuleMemory(small, 300).bytes, small)
})

test('an initial size over the cap is a JobMemoryError; no memory is left alone', () => {
  assert.throws(() => capModuleMemory(buildModule({ memory: { min: 11 }, body: [] }), 10), { name: 'JobMemoryError' })
  const none = buildModule({ body: [] })
  assert.equal(capModuleMemory(none, 10).bytes, none)
  assert.equal(readMemoryLimits(none), undefined)
})

test('shared and 64-bit memories, bad magic, bad version and overlong sections are InvalidModuleError', () => {
  const shared = buildModule({ memory: { min: 1, max: 2 }, body: [] })
  const flagAt = shared.indexOf(0x05, 8) + 3 // memory section: id, size, count, flags
  shared[flagAt] = 0x03
  assert.throws(() => capModuleMemory(shared, 10), { name: 'InvalidModuleError', message: /shared/ })
  shared[flagAt] = 0x04
  assert.throws(() => capModuleMemory(shared, 10), { name: 'InvalidModuleError', message: /memory64/ })
  assert.throws(() => capModuleMemory(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]), 10), { name: 'InvalidModuleError', message: /version/ })
  assert.throws(() => capModuleMemory(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f]), 10), { name: 'InvalidModuleError', message: /past the end/ })
  assert.throws(() => capModuleMemory(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]), 10), { name: 'InvalidModuleError', message: /LEB128/ })
})

const allowed = (e: unknown): boolean => e instanceof Error && (e.name === 'InvalidModuleError' || e.name === 'JobMemoryError')

test('fuzz: random bytes and mutated modules never throw anything but the typed errors, and never hang', () => {
  const seed = helloModule('fuzz')
  fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), bytes => {
    try { capModuleMemory(bytes, 16) } catch (e) { if (!allowed(e)) throw e }
  }), { seed: 16, numRuns: 2000 })
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(seed.length), (edits, cut) => {
    const m = seed.slice(0, Math.max(8, cut))
    for (const [at, v] of edits) if (at < m.length) m[at] = v
    try {
      const { bytes } = capModuleMemory(m, 16)
      // whatever we return either fails the engine's validation or declares at most 16 pages
      if (WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
        const lim = readMemoryLimits(bytes)
        if (lim !== undefined) assert.ok(lim.max !== undefined && lim.max <= 16)
      }
    } catch (e) { if (!allowed(e)) throw e }
  }), { seed: 17, numRuns: 2000 })
})
