/** Test helpers for test/state: a seeded random source, a fake clock and a board/memory pair on a fresh doc. */
import * as Y from 'yjs'
import { Board } from '../../core/state/board.ts'
import { MemoryStore } from '../../core/state/memory.ts'

/** mulberry32: small, seeded, good enough to drive tests deterministically. */
export function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function seededBytes (seed: number): (n: number) => Uint8Array {
  const r = seeded(seed)
  return n => Uint8Array.from({ length: n }, () => Math.floor(r() * 256))
}

export class FakeClock {
  constructor (public t = 1_700_000_000_000) {}
  now = (): number => this.t
  advance (ms: number): void { this.t += ms }
}

export function fixture (seed = 1, actor = 'peer-a', doc = new Y.Doc()): { doc: Y.Doc, board: Board, memory: MemoryStore, clock: FakeClock } {
  const clock = new FakeClock()
  return {
    doc,
    clock,
    board: new Board({ doc, actor, now: clock.now, random: seededBytes(seed) }),
    memory: new MemoryStore({ doc, actor, now: clock.now })
  }
}
