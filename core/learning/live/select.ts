/**
 * TCS-FEEL selection on a live round, from measured facts only (core/learning/selection.ts has the
 * simulated one; the rules are the same where the facts exist):
 *
 *   t_i = n_i · E / compute_i  +  rtt_i  +  updateBytes / throughput_i        (seconds)
 *   w_i = (n_i / n̄)^a · (median t / t_i)^c
 *   p_i = (1 − η) · w_i / Σw + η / N       (every candidate keeps p_i ≥ η/N: nobody is starved)
 *   select m without replacement ∝ p_i (Efraimidis–Spirakis) with the task's seeded stream
 *
 * where n_i is the sample count the learner committed in its `model.join`, rtt_i the link's
 * measured keep-alive RTT (core/net), compute_i the training rate (samples/s) the learner reported
 * with its last update, and throughput_i the bytes/s the coordinator measured for its last update
 * (body bytes over the turnaround from `start` to the update, less the reported training time and
 * the RTT). A fact not known yet for a candidate is the median of the known ones (no fact known:
 * that term is left out for everyone). The label-similarity term of the simulated TCS-FEEL is
 * left out live (b = 0): a learner's label histogram would leak its data without DP accounting,
 * so live selection never asks for it.
 */
import { weightedSampleWithoutReplacement, type Rng } from '../rng.ts'

export interface MeasuredFacts {
  /** samples trained per second, as the learner reported it (advertised compute) */
  computeRate?: number
  /** update bytes per second the coordinator measured on its link */
  throughput?: number
}

export interface SelectionCandidate extends MeasuredFacts {
  peer: string
  samples: number
  rttMs?: number
}

export interface LiveSelectOptions {
  epochs: number
  updateBytes: number
  /** exponents a (data size) and c (speed) @default [1, 1] */
  weights?: [number, number]
  /** exploration mass η @default 0.1 */
  exploration?: number
}

export interface LiveSelection {
  selected: string[]
  /** per candidate (input order): estimated round time t_i in seconds and selection probability p_i */
  estimates: Array<{ peer: string, seconds: number, p: number }>
  /** the largest inclusion probability, min(1, m · max p): the DP accountant's sampling rate */
  maxInclusion: number
}

function median (xs: number[]): number | undefined {
  if (xs.length === 0) return undefined
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

const finitePositive = (v: number | undefined): v is number => v != null && Number.isFinite(v) && v > 0

/** Estimated seconds each candidate needs for a round (input order). */
export function roundTimes (cands: readonly SelectionCandidate[], opts: LiveSelectOptions): number[] {
  const mCompute = median(cands.map(c => c.computeRate).filter(finitePositive))
  const mThroughput = median(cands.map(c => c.throughput).filter(finitePositive))
  const mRtt = median(cands.map(c => c.rttMs).filter((v): v is number => v != null && Number.isFinite(v) && v >= 0))
  return cands.map(c => {
    const compute = finitePositive(c.computeRate) ? c.computeRate : mCompute
    const throughput = finitePositive(c.throughput) ? c.throughput : mThroughput
    const rtt = c.rttMs != null && Number.isFinite(c.rttMs) && c.rttMs >= 0 ? c.rttMs : (mRtt ?? 0)
    return (compute != null ? c.samples * opts.epochs / compute : 0) + rtt / 1000 + (throughput != null ? opts.updateBytes / throughput : 0)
  })
}

/** Chooses min(m, N) of the candidates. */
export function liveSelect (cands: readonly SelectionCandidate[], m: number, rng: Rng, opts: LiveSelectOptions): LiveSelection {
  if (cands.length === 0) return { selected: [], estimates: [], maxInclusion: 0 }
  const [a, c] = opts.weights ?? [1, 1]
  const eta = opts.exploration ?? 0.1
  const times = roundTimes(cands, opts)
  const mt = median(times) ?? 0
  const meanN = cands.reduce((s, x) => s + x.samples, 0) / cands.length
  const w = cands.map((x, i) => {
    const n = Math.max(1e-6, x.samples / Math.max(1e-9, meanN))
    const speed = times[i] > 0 && mt > 0 ? mt / times[i] : 1
    return n ** a * speed ** c
  })
  const sw = w.reduce((s, v) => s + v, 0)
  const p = w.map(v => (1 - eta) * v / sw + eta / cands.length)
  const count = Math.min(m, cands.length)
  const picked = weightedSampleWithoutReplacement(rng, p, count)
  return {
    selected: picked.map(i => cands[i].peer),
    estimates: cands.map((x, i) => ({ peer: x.peer, seconds: times[i], p: p[i] })),
    maxInclusion: Math.min(1, count * Math.max(...p))
  }
}

/**
 * What a coordinator measured of each learner, as an exponential moving average (α = 0.5) over
 * the rounds it coordinated: the training rate the learner reported (its samples × epochs over its
 * reported training ms) and the link throughput of its update (body bytes over the turnaround
 * from `start` to the update less the training time and the RTT, at least 1 ms).
 */
export class Measurements {
  private readonly facts = new Map<string, MeasuredFacts>()
  private readonly sent = new Map<string, number>()

  /** `start` went to `peer` at `at` (ms). */
  started (peer: string, at: number): void { this.sent.set(peer, at) }

  /** `peer`'s update of `bytes` arrived at `at`; it reported `trainMs` for `work` samples × epochs. */
  arrived (peer: string, at: number, u: { trainMs: number, work: number, bytes: number, rttMs?: number }): void {
    const f = this.facts.get(peer) ?? {}
    const rate = u.work / Math.max(1, u.trainMs) * 1000
    f.computeRate = ewma(f.computeRate, rate)
    const start = this.sent.get(peer)
    if (start != null) {
      const transferMs = Math.max(1, at - start - u.trainMs - (u.rttMs ?? 0))
      f.throughput = ewma(f.throughput, u.bytes / transferMs * 1000)
    }
    this.facts.set(peer, f)
  }

  /** This peer's own training (no link to measure). */
  own (peer: string, trainMs: number, work: number): void {
    const f = this.facts.get(peer) ?? {}
    f.computeRate = ewma(f.computeRate, work / Math.max(1, trainMs) * 1000)
    f.throughput = Number.MAX_VALUE // no transfer: its update does not cross a link
    this.facts.set(peer, f)
  }

  get (peer: string): MeasuredFacts { return { ...this.facts.get(peer) } }

  all (): Record<string, MeasuredFacts> { return Object.fromEntries([...this.facts.entries()].map(([k, v]) => [k, { ...v }])) }
}

function ewma (prev: number | undefined, v: number): number { return prev == null ? v : 0.5 * prev + 0.5 * v }
