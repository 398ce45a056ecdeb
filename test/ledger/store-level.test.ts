/**
 * The LevelDB ledger store (node-runtime/ledger/level-store.ts) against the shared store contract
 * (_store-contract.ts), plus what only it has: the database lock, the record codec's round trip
 * and a seeded garbage fuzz of its decoder (typed errors only, bounded work).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import fc from 'fast-check'
import { Level } from 'level'
import { heightKey } from '../../core/ledger/store-rules.ts'
import { openLevelStore, LEDGER_DIR } from '../../node-runtime/ledger/level-store.ts'
import { decodeRecord, encodeRecord, RecordDecodeError } from '../../node-runtime/ledger/record-codec.ts'
import { record, storeCases, type StoreHarness } from './_store-contract.ts'

const base = mkdtempSync(join(tmpdir(), 'novacron-ledger-level-'))
after(() => { rmSync(base, { recursive: true, force: true }) })
let n = 0

function harness (): StoreHarness {
  const dir = join(base, String(n++))
  return {
    open: async () => await openLevelStore(dir),
    tamper: async (height, mutate) => {
      const db = new Level<Uint8Array, Uint8Array>(join(dir, LEDGER_DIR), { keyEncoding: 'view', valueEncoding: 'view' })
      const blocks = db.sublevel('b', { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as { get: (k: Uint8Array) => Promise<Uint8Array>, put: (k: Uint8Array, v: Uint8Array) => Promise<void> }
      const key = heightKey(height)
      await blocks.put(key, encodeRecord(mutate(decodeRecord(await blocks.get(key)))))
      await db.close()
    }
  }
}

describe('LevelDB ledger store: the store contract', () => {
  for (const c of storeCases) test(c.name, async () => { await c.run(harness()) })
})

describe('LevelDB ledger store', () => {
  test('a second opener of the same data dir gets LedgerStoreLockedError', async () => {
    const dir = join(base, 'locked')
    const s = await openLevelStore(dir)
    await assert.rejects(openLevelStore(dir), { name: 'LedgerStoreLockedError' })
    await s.close()
    const t = await openLevelStore(dir)
    await t.close()
  })

  test('record codec round trips arbitrary records', () => {
    const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })
    fc.assert(fc.property(
      fc.record({
        height: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        epoch: fc.nat(),
        holder: fc.nat({ max: 1024 }),
        block: bytes(600),
        certificate: fc.array(bytes(200), { maxLength: 20 }),
        head: fc.uint8Array({ minLength: 32, maxLength: 32 })
      }),
      r => { assert.deepEqual(decodeRecord(encodeRecord(r)), { ...r }) }
    ), { seed: 15, numRuns: 500 })
  })

  test('record decoder: 20k seeded garbage inputs give RecordDecodeError or a record, never anything else', () => {
    let a = 42
    const rand = (): number => { a = (a * 1103515245 + 12345) >>> 0; return a / 2 ** 32 }
    const valid = encodeRecord(record(12345))
    let decoded = 0
    for (let i = 0; i < 20_000; i++) {
      let input: Uint8Array
      if (i % 2 === 0) {
        input = valid.slice(0, Math.floor(rand() * (valid.length + 1)))
        for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) if (input.length > 0) input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256)
      } else input = Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256))
      try { decodeRecord(input); decoded++ } catch (err) {
        assert.equal((err as Error).name, RecordDecodeError.name, `input ${i}: ${(err as Error).message}`)
      }
    }
    assert.ok(decoded < 20_000)
    // a huge claimed length is refused without allocating it
    assert.throws(() => decodeRecord(Uint8Array.from([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f])), { name: 'RecordDecodeError' })
  })
})
