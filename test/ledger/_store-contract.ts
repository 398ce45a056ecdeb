/**
 * The `LedgerStore` contract, written once and run against every store: the LevelDB one in Node
 * (store-level.test.ts) and the IndexedDB one inside real Chromium (store-idb.test.ts bundles this
 * file into a page). Isomorphic on purpose: no node:assert, its own tiny checks that throw.
 *
 * A harness opens a store on one fixed location (so close + open again is a reopen), and can
 * tamper with a stored record behind the store's back (the raw database, the store closed).
 */
import type { BlockRecord, LedgerStore } from '../../core/ledger/types.ts'

export interface StoreHarness {
  open: () => Promise<LedgerStore>
  /** rewrites the stored record at `height` in the raw database (the store is closed meanwhile) */
  tamper: (height: number, mutate: (r: BlockRecord) => BlockRecord) => Promise<void>
}

export interface StoreCase { name: string, run: (h: StoreHarness) => Promise<void> }

function fail (message: string): never { throw new Error(message) }
function eq (a: unknown, b: unknown, what: string): void {
  const ja = show(a); const jb = show(b)
  if (ja !== jb) fail(`${what}: got ${ja}, expected ${jb}`)
}
function show (v: unknown): string {
  // key order does not matter (a structured clone may reorder fields); byte arrays compare by content
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x instanceof Uint8Array) return `bytes:${Array.from(x).join(',')}`
    if (x != null && typeof x === 'object' && !Array.isArray(x)) return Object.fromEntries(Object.entries(x).sort(([a], [b]) => a < b ? -1 : 1))
    return x
  }) ?? 'undefined'
}
async function rejects (p: Promise<unknown>, name: string, what: string): Promise<void> {
  try { await p } catch (err) {
    if ((err as Error).name !== name) fail(`${what}: threw ${(err as Error).name} (${(err as Error).message}), expected ${name}`)
    return
  }
  fail(`${what}: did not throw (expected ${name})`)
}

/** A deterministic record: contents depend only on the height (and a salt). */
export function record (height: number, salt = 0): BlockRecord {
  const b = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + height + salt) & 255)
  return {
    height,
    epoch: Math.floor(height / 10),
    holder: height % 7,
    block: b(40 + (height % 50), 1),
    certificate: Array.from({ length: 1 + (height % 5) }, (_, i) => b(100 + i, 2 + i)),
    head: b(32, 9)
  }
}

async function collect (it: AsyncIterable<BlockRecord>): Promise<BlockRecord[]> {
  const out: BlockRecord[] = []
  for await (const r of it) out.push(r)
  return out
}

async function fill (s: LedgerStore, from: number, to: number): Promise<void> {
  for (let h = from; h <= to; h++) await s.append(record(h))
}

export const storeCases: StoreCase[] = [
  {
    name: 'a fresh store is empty',
    run: async h => {
      const s = await h.open()
      eq(await s.getGenesis(), undefined, 'genesis')
      eq(await s.last(), undefined, 'last')
      eq(await s.get(0), undefined, 'get(0)')
      eq((await collect(s.iterate(0))).length, 0, 'iterate')
      await s.close()
    }
  },
  {
    name: 'genesis, appends, get, last and iterate round trip',
    run: async h => {
      const s = await h.open()
      const genesis = Uint8Array.from([1, 2, 3, 250, 0, 7])
      await s.putGenesis(genesis)
      eq(await s.getGenesis(), genesis, 'genesis')
      await fill(s, 0, 149)
      eq(await s.get(0), record(0), 'get(0)')
      eq(await s.get(77), record(77), 'get(77)')
      eq(await s.get(150), undefined, 'get past the head')
      eq(await s.last(), record(149), 'last')
      const all = await collect(s.iterate(0))
      eq(all.map(r => r.height), Array.from({ length: 150 }, (_, i) => i), 'iterate(0) heights')
      eq(all[149], record(149), 'iterated record')
      eq((await collect(s.iterate(100))).map(r => r.height)[0], 100, 'iterate(100) starts at 100')
      eq((await collect(s.iterate(100))).length, 50, 'iterate(100) count')
      eq((await collect(s.iterate(1000))).length, 0, 'iterate past the head')
      await s.close()
    }
  },
  {
    name: 'appends out of order are refused with StoreOrderError and change nothing',
    run: async h => {
      const s = await h.open()
      await fill(s, 0, 3)
      await rejects(s.append(record(5)), 'StoreOrderError', 'gap')
      await rejects(s.append(record(3, 1)), 'StoreOrderError', 'duplicate height')
      await rejects(s.append(record(1)), 'StoreOrderError', 'older height')
      eq(await s.last(), record(3), 'last after refusals')
      eq(await s.get(3), record(3), 'record 3 untouched')
      await rejects(s.append({ ...record(4), head: new Uint8Array(5) }), 'RangeError', 'short head')
      await rejects(s.append(record(-1)), 'RangeError', 'negative height')
      await s.append(record(4))
      eq(await s.last(), record(4), 'append after refusals')
      await s.close()
    }
  },
  {
    name: 'concurrent appends keep the order (one wins per height)',
    run: async h => {
      const s = await h.open()
      await fill(s, 0, 0)
      const results = await Promise.allSettled([s.append(record(1)), s.append(record(1, 5)), s.append(record(2))])
      eq(results.map(r => r.status), ['fulfilled', 'rejected', 'fulfilled'], 'outcomes in call order')
      eq(await s.get(1), record(1), 'the first append of height 1 won')
      eq((await s.last())?.height, 2, 'head')
      await s.close()
    }
  },
  {
    name: 'heights keep numeric order across byte boundaries (fixed-width keys)',
    run: async h => {
      const s = await h.open()
      const start = 2 ** 32 - 3
      await fill(s, start, start + 5)
      eq((await collect(s.iterate(0))).map(r => r.height), Array.from({ length: 6 }, (_, i) => start + i), 'iterate across 2^32')
      eq(await s.last(), record(start + 5), 'last')
      await s.close()
      const t = await h.open()
      await fill(t, start + 6, start + 6)
      eq((await t.last())?.height, start + 6, 'after reopen')
      await t.close()
    }
  },
  {
    name: 'reopen after close keeps genesis and every record; appends continue',
    run: async h => {
      const s = await h.open()
      await s.putGenesis(Uint8Array.from([9, 9]))
      await fill(s, 0, 69)
      await s.close()
      await s.close() // idempotent
      await rejects(s.get(1), 'StoreClosedError', 'get after close')
      await rejects(s.append(record(70)), 'StoreClosedError', 'append after close')
      const t = await h.open()
      eq(await t.getGenesis(), Uint8Array.from([9, 9]), 'genesis after reopen')
      eq(await t.last(), record(69), 'last after reopen')
      eq((await collect(t.iterate(0))).length, 70, 'records after reopen')
      await rejects(t.append(record(69)), 'StoreOrderError', 'head remembered after reopen')
      await t.append(record(70))
      await t.close()
      const u = await h.open()
      eq(await u.last(), record(70), 'append after reopen persisted')
      await u.close()
    }
  },
  {
    name: 'a tampered record is readable as stored (verification is core/ledger\'s job)',
    run: async h => {
      const s = await h.open()
      await fill(s, 0, 9)
      await s.close()
      await h.tamper(4, r => ({ ...r, block: Uint8Array.from([...r.block.slice(0, -1), r.block[r.block.length - 1] ^ 1]), certificate: r.certificate.slice(1) }))
      const t = await h.open()
      const got = await t.get(4)
      const want = record(4)
      if (got == null) fail('tampered record missing')
      eq(got.block.length, want.block.length, 'tampered block length')
      if (got.block[got.block.length - 1] === want.block[want.block.length - 1]) fail('the tampered byte did not survive')
      eq(got.certificate.length, want.certificate.length - 1, 'tampered certificate')
      eq(await t.get(5), record(5), 'neighbour untouched')
      eq((await collect(t.iterate(0))).length, 10, 'iterate still yields every record')
      await t.close()
    }
  },
  {
    name: 'the vote journal round trips, is replaced by the next put, and survives reopen',
    run: async h => {
      const s = await h.open()
      if (s.getVotes == null || s.putVotes == null) fail('the store keeps no vote journal')
      eq(await s.getVotes(), undefined, 'fresh store: no journal')
      await s.putVotes(Uint8Array.of(1, 2, 3))
      await s.putVotes(Uint8Array.of(4, 5))
      eq(await s.getVotes(), Uint8Array.of(4, 5), 'the last journal')
      await s.close()
      const t = await h.open()
      eq(await t.getVotes?.(), Uint8Array.of(4, 5), 'journal after reopen')
      await t.close()
    }
  }
]
