/**
 * Paging the committed log by position (core/ledger/read-api.ts `readLog`): a slot may hold more
 * entries than a page (batching: hundreds of entries per decision), so readers page on from
 * (last.slot, last.index + 1). Every entry is read exactly once, in order, whether it comes from
 * the store or from the in-memory ring, and when the ring begins in the middle of a slot.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sealMicroblock, writeBlock, writeMicroblockBody } from '../../core/ledger/codec.ts'
import { MemoryStore } from '../../core/ledger/memory-store.ts'
import { readLog } from '../../core/ledger/read-api.ts'
import type { CommittedEntry } from '../../core/ledger/types.ts'

const SIZES = [3, 250, 7] // entries in slots 1, 2, 3
const text = (slot: number, i: number): string => `${slot}.${i}`

/** A block of `n` notes over 3 microblocks (the sig bytes are not checked here). */
function block (slot: number, n: number): Uint8Array {
  const cut = [0, Math.floor(n / 3), Math.floor(2 * n / 3), n]
  const mbs = [0, 1, 2].map(m => sealMicroblock(writeMicroblockBody(`author-${m}`, slot, Array.from({ length: cut[m + 1] - cut[m] }, (_, k) => ({ kind: 'note', data: new TextEncoder().encode(text(slot, cut[m] + k)) }))), new Uint8Array(64)))
  return writeBlock(1, mbs)
}

async function fixture (ringFrom: [number, number]): Promise<{ store: MemoryStore, ring: CommittedEntry[] }> {
  const store = new MemoryStore()
  const ring: CommittedEntry[] = []
  for (let s = 1; s <= SIZES.length; s++) {
    await store.append({ height: s, epoch: 1, block: block(s, SIZES[s - 1]), certificate: [], holder: 0, head: new Uint8Array(32).fill(s) })
    for (let i = 0; i < SIZES[s - 1]; i++) {
      if (s > ringFrom[0] || (s === ringFrom[0] && i >= ringFrom[1])) {
        ring.push({ slot: s, index: i, epoch: 1, kind: 'note', author: 'x', data: new TextEncoder().encode(text(s, i)), summary: 'note', committedAt: 1, applied: true })
      }
    }
  }
  return { store, ring }
}

const all = SIZES.flatMap((n, s) => Array.from({ length: n }, (_, i) => text(s + 1, i)))

for (const [name, ringFrom] of [['no ring', [99, 0]], ['ring from slot 3', [3, 0]], ['ring from the middle of slot 2', [2, 200]], ['everything in the ring', [1, 0]]] as Array<[string, [number, number]]>) {
  test(`paging by (slot, index) reads every entry once, in order: ${name}`, async () => {
    const { store, ring } = await fixture(ringFrom)
    const r = ringFrom[0] === 99 ? [] : ring
    for (const limit of [1, 64, 100, 249, 1000]) {
      const seen: string[] = []
      let at: [number, number] = [0, 0]
      for (let pages = 0; pages < 1000; pages++) {
        const page = await readLog(r, store, at[0], limit, at[1])
        assert.ok(page.length <= limit)
        for (const e of page) seen.push(new TextDecoder().decode(e.data))
        if (page.length < limit) break
        const last = page[page.length - 1]
        at = [last.slot, last.index + 1]
      }
      assert.deepEqual(seen, all, `limit ${limit}`)
    }
    // from the middle of the big slot
    const tail = await readLog(r, store, 2, 1000, 100)
    assert.deepEqual(tail.map(e => new TextDecoder().decode(e.data)), all.slice(3 + 100))
  })
}
