/**
 * A seeded, in-process message network for the consensus simulator: per-message latency
 * 1 + ⌊Exp(jitter)⌋ ticks, independent loss, and partitions that split the replicas in two for a
 * while and then heal. Deterministic in its seed: a binary heap ordered by (delivery tick, send order).
 */
import * as prng from 'lib0/prng'

export interface NetworkInit {
  n: number
  seed: number
  /** mean of the exponential extra delay in ticks; a message takes 1 + ⌊Exp⌋ ticks @default 0.5 */
  jitter?: number
  /** probability that a message is lost @default 0.01 */
  loss?: number
  /** partition episodes within the first `partitionHorizon` ticks @default 0 */
  partitions?: number
  /** ticks each partition lasts before healing @default 40 */
  partitionTicks?: number
  /** partitions start somewhere in [0, partitionHorizon) @default 200 */
  partitionHorizon?: number
}

export interface Delivery { at: number, seq: number, from: number, to: number, bytes: Uint8Array }

interface Partition { start: number, end: number, side: Uint8Array }

export class SimNetwork {
  private readonly heap: Delivery[] = []
  private seq = 0
  private readonly rng: prng.PRNG
  private readonly jitter: number
  private readonly loss: number
  private readonly partitions: Partition[] = []
  dropped = 0
  partitioned = 0

  constructor (init: NetworkInit) {
    this.rng = prng.create(init.seed)
    this.jitter = init.jitter ?? 0.5
    this.loss = init.loss ?? 0.01
    const horizon = init.partitionHorizon ?? 200
    for (let i = 0; i < (init.partitions ?? 0); i++) {
      const start = prng.int32(this.rng, 0, horizon - 1)
      const side = new Uint8Array(init.n)
      for (let r = 0; r < init.n; r++) side[r] = prng.bool(this.rng) ? 1 : 0
      this.partitions.push({ start, end: start + (init.partitionTicks ?? 40), side })
    }
  }

  /** Whether `a` and `b` are cut off from each other at tick `t`. */
  cut (a: number, b: number, t: number): boolean {
    for (const p of this.partitions) if (t >= p.start && t < p.end && p.side[a] !== p.side[b]) return true
    return false
  }

  /** Tick after which no partition is active. */
  get healedAt (): number {
    return this.partitions.reduce((m, p) => Math.max(m, p.end), 0)
  }

  send (from: number, to: number, bytes: Uint8Array, now: number): void {
    if (this.rng.next() < this.loss) { this.dropped++; return }
    if (this.cut(from, to, now)) { this.partitioned++; return }
    const delay = 1 + Math.floor(-Math.log(1 - this.rng.next()) * this.jitter)
    this.push({ at: now + delay, seq: this.seq++, from, to, bytes })
  }

  /** The next delivery due at or before `t`, or undefined. */
  pop (t: number): Delivery | undefined {
    const top = this.heap[0]
    if (top == null || top.at > t) return undefined
    const last = this.heap.pop() as Delivery
    if (this.heap.length > 0) { this.heap[0] = last; this.down(0) }
    return top
  }

  get pending (): number { return this.heap.length }

  private less (a: Delivery, b: Delivery): boolean { return a.at < b.at || (a.at === b.at && a.seq < b.seq) }

  private push (d: Delivery): void {
    const h = this.heap
    h.push(d)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(h[i], h[parent])) break
      const t = h[i]; h[i] = h[parent]; h[parent] = t
      i = parent
    }
  }

  private down (i: number): void {
    const h = this.heap
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && this.less(h[l], h[m])) m = l
      if (r < h.length && this.less(h[r], h[m])) m = r
      if (m === i) return
      const t = h[i]; h[i] = h[m]; h[m] = t
      i = m
    }
  }
}
