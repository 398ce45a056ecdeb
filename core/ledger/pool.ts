/**
 * Pending microblocks (the mempool of a replica, and of a follower for its own submissions):
 * verified microblocks only (the shell verifies signatures before `add`), deduplicated by hash,
 * bounded per author and in total (count and bytes), stale once the author's committed seq reaches
 * theirs, removed on commit, handed out in arrival order for proposals.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import type { Microblock } from './codec.ts'

export interface PoolLimits {
  /** @default 8 */
  perAuthorCount?: number
  /** @default 256 KiB */
  perAuthorBytes?: number
  /** @default 4096 */
  totalCount?: number
  /** @default 16 MiB */
  totalBytes?: number
}

export type AddResult = 'added' | 'duplicate' | 'stale' | 'authorFull' | 'poolFull'

interface Item { mb: Microblock, key: string, order: number }

export class Pool {
  private readonly items = new Map<string, Item>()
  private readonly byAuthor = new Map<string, { count: number, bytes: number }>()
  private bytes = 0
  private order = 0
  private readonly limits: Required<PoolLimits>

  constructor (limits: PoolLimits = {}) {
    this.limits = { perAuthorCount: limits.perAuthorCount ?? 8, perAuthorBytes: limits.perAuthorBytes ?? 256 * 1024, totalCount: limits.totalCount ?? 4096, totalBytes: limits.totalBytes ?? 16 * 1024 * 1024 }
  }

  get size (): number { return this.items.size }
  get totalBytes (): number { return this.bytes }

  /** Entries waiting (over every pending microblock). */
  get entries (): number { let n = 0; for (const i of this.items.values()) n += i.mb.entries.length; return n }

  static keyOf (mb: Microblock): string { return bytesToHex(sha256(mb.bytes)) }

  has (key: string): boolean { return this.items.has(key) }

  /** Adds a verified microblock; `committedSeq` is its author's highest committed seq. */
  add (mb: Microblock, committedSeq: number): AddResult {
    const key = Pool.keyOf(mb)
    if (this.items.has(key)) return 'duplicate'
    if (mb.seq <= committedSeq) return 'stale'
    const a = this.byAuthor.get(mb.author) ?? { count: 0, bytes: 0 }
    const size = mb.bytes.length
    if (a.count + 1 > this.limits.perAuthorCount || a.bytes + size > this.limits.perAuthorBytes) return 'authorFull'
    if (this.items.size + 1 > this.limits.totalCount || this.bytes + size > this.limits.totalBytes) return 'poolFull'
    this.items.set(key, { mb, key, order: this.order++ })
    this.byAuthor.set(mb.author, { count: a.count + 1, bytes: a.bytes + size })
    this.bytes += size
    return 'added'
  }

  private remove (key: string): void {
    const it = this.items.get(key)
    if (it == null) return
    this.items.delete(key)
    this.bytes -= it.mb.bytes.length
    const a = this.byAuthor.get(it.mb.author)
    if (a != null) {
      if (a.count <= 1) this.byAuthor.delete(it.mb.author)
      else this.byAuthor.set(it.mb.author, { count: a.count - 1, bytes: a.bytes - it.mb.bytes.length })
    }
  }

  /** After a commit: drops the committed microblocks and every one now stale (`seqOf(author)`). */
  prune (committed: Microblock[], seqOf: (author: string) => number): void {
    for (const mb of committed) this.remove(Pool.keyOf(mb))
    for (const [key, it] of [...this.items]) if (it.mb.seq <= seqOf(it.mb.author)) this.remove(key)
  }

  /**
   * Microblocks for a proposal, in arrival order, up to `maxBytes` in total, at most one per author
   * and seq (the lowest seq of an author first, so an author's microblocks commit in order).
   */
  take (maxBytes: number, seqOf: (author: string) => number): Microblock[] {
    const byAuthor = new Map<string, Item[]>()
    for (const it of [...this.items.values()].sort((x, y) => x.order - y.order)) {
      const list = byAuthor.get(it.mb.author) ?? []
      list.push(it)
      byAuthor.set(it.mb.author, list)
    }
    const out: Microblock[] = []
    let used = 0
    // authors in order of their earliest pending microblock; each author's in seq order
    for (const [author, list] of byAuthor) {
      let last = seqOf(author)
      for (const it of list.sort((x, y) => x.mb.seq - y.mb.seq)) {
        if (it.mb.seq <= last) continue
        if (used + it.mb.bytes.length + 4 > maxBytes) break
        used += it.mb.bytes.length + 4
        last = it.mb.seq
        out.push(it.mb)
      }
    }
    return out
  }

  all (): Microblock[] { return [...this.items.values()].sort((x, y) => x.order - y.order).map(i => i.mb) }
}
