/**
 * Client selection for a round: uniform random (the FedAvg baseline) and TCS-FEEL (topology-aware
 * client selection, Sensors 2025, 25(21):6534), plus the aggregation tree TCS-FEEL routes updates
 * over. The exact rules are written out in core/learning/README.md; in short:
 *
 *   sim_i   = 1 − TV(label distribution of i, global label distribution)
 *   t_i     = local training time + best path time to the root (direct, or one D2D hop to a
 *             neighbour then that neighbour's root link), for one update of `updateBytes`
 *   w_i     = (n_i / n̄)^a · sim_i^b · (median t / t_i)^c
 *   p_i     = (1 − η) · w_i / Σw + η / N          (randomised: every client keeps p_i ≥ η/N)
 *   select m without replacement with probabilities ∝ p_i (Efraimidis–Spirakis)
 *
 * The tree is a fan-in-limited shortest-path tree over the selected clients (see `buildTree`).
 */
import { weightedSampleWithoutReplacement, type Rng } from './rng.ts'
import { transferSeconds, type Topology } from './topology.ts'

export type SelectionName = 'random' | 'tcs'

export interface ClientProfile {
  samples: number
  /** Label counts. */
  histogram: number[]
}

export interface TcsOptions {
  /** Exponents a, b, c on data size, similarity and speed. @default [1, 2, 1] */
  weights?: [number, number, number]
  /** Exploration mass η. @default 0.1 */
  exploration?: number
  /** Relay fan-in limit (root included). @default 4 */
  maxChildren?: number
  /** Max tree depth below the root. @default 3 */
  maxDepth?: number
}

export interface SelectionContext {
  profiles: ClientProfile[]
  topology: Topology
  /** Clients allowed this round (e.g. not marked unreachable). */
  eligible: number[]
  /** Local steps each selected client will run. */
  localSteps: (client: number) => number
  updateBytes: number
}

export function totalVariation (a: number[], b: number[]): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i])
  return s / 2
}

function normalise (h: number[]): number[] {
  const s = h.reduce((x, y) => x + y, 0)
  return s > 0 ? h.map(v => v / s) : h.map(() => 1 / h.length)
}

/** Per-client TCS-FEEL sampling probabilities over `ctx.eligible` (same order). */
export function tcsProbabilities (ctx: SelectionContext, opts: TcsOptions = {}): number[] {
  const [a, b, c] = opts.weights ?? [1, 2, 1]
  const eta = opts.exploration ?? 0.1
  const { profiles, topology, eligible } = ctx
  const global = normalise(profiles.reduce((acc, p) => acc.map((v, k) => v + p.histogram[k]), new Array<number>(profiles[0].histogram.length).fill(0)))
  const meanN = eligible.reduce((s, i) => s + profiles[i].samples, 0) / Math.max(1, eligible.length)
  const times = eligible.map(i => {
    const direct = transferSeconds(topology.rootLinks[i], ctx.updateBytes)
    let best = direct
    for (const j of eligible) {
      if (j === i) continue
      best = Math.min(best, transferSeconds(topology.links[i][j], ctx.updateBytes) + transferSeconds(topology.rootLinks[j], ctx.updateBytes))
    }
    return ctx.localSteps(i) / topology.stepsPerSec[i] + best
  })
  const sortedT = [...times].sort((x, y) => x - y)
  const medianT = sortedT[Math.floor(sortedT.length / 2)]
  const w = eligible.map((i, k) => {
    const sim = Math.max(1e-6, 1 - totalVariation(normalise(profiles[i].histogram), global))
    const n = Math.max(1e-6, profiles[i].samples / Math.max(1e-9, meanN))
    return n ** a * sim ** b * (medianT / times[k]) ** c
  })
  const sw = w.reduce((x, y) => x + y, 0)
  return w.map(v => (1 - eta) * v / sw + eta / eligible.length)
}

/** Chooses `m` clients; returns their ids and the largest inclusion probability bound (for DP). */
export function selectClients (name: SelectionName, ctx: SelectionContext, m: number, rng: Rng, opts: TcsOptions = {}): { selected: number[], maxInclusion: number } {
  const n = ctx.eligible.length
  const count = Math.min(m, n)
  if (name === 'random') {
    const picked = weightedSampleWithoutReplacement(rng, ctx.eligible.map(() => 1), count).map(k => ctx.eligible[k])
    return { selected: picked.sort((x, y) => x - y), maxInclusion: count / n }
  }
  const p = tcsProbabilities(ctx, opts)
  const picked = weightedSampleWithoutReplacement(rng, p, count).map(k => ctx.eligible[k])
  // inclusion probability of a without-replacement draw is at most min(1, m · p_i)
  return { selected: picked.sort((x, y) => x - y), maxInclusion: Math.min(1, count * Math.max(...p)) }
}

export const ROOT = -1

export interface AggregationTree {
  /** parent[client] for each selected client (ROOT for the root's children). */
  parent: Map<number, number>
  children: Map<number, number[]>
  depth: Map<number, number>
}

/**
 * Fan-in-limited shortest-path tree: clients are placed in ascending order of their direct link
 * time to the root; each attaches to the placed node (root or relay with < maxChildren children
 * and depth < maxDepth) that minimises link time to it plus that node's path time to the root.
 * `star: true` attaches everyone to the root (the plain FedAvg topology).
 */
export function buildTree (selected: number[], topology: Topology, updateBytes: number, opts: TcsOptions & { star?: boolean } = {}): AggregationTree {
  const maxChildren = opts.maxChildren ?? 4
  const maxDepth = opts.maxDepth ?? 3
  const parent = new Map<number, number>()
  const children = new Map<number, number[]>([[ROOT, []]])
  const depth = new Map<number, number>([[ROOT, 0]])
  const pathTime = new Map<number, number>([[ROOT, 0]])
  const order = [...selected].sort((x, y) => transferSeconds(topology.rootLinks[x], updateBytes) - transferSeconds(topology.rootLinks[y], updateBytes) || x - y)
  for (const c of order) {
    let best = ROOT
    let bestT = Infinity
    for (const [node, kids] of children) {
      if (opts.star === true && node !== ROOT) continue
      if (opts.star !== true && (kids.length >= maxChildren || (depth.get(node) ?? 0) >= maxDepth)) continue
      const link = node === ROOT ? topology.rootLinks[c] : topology.links[c][node]
      const t = transferSeconds(link, updateBytes) + (pathTime.get(node) ?? 0)
      if (t < bestT) { bestT = t; best = node }
    }
    if (bestT === Infinity) { best = ROOT; bestT = transferSeconds(topology.rootLinks[c], updateBytes) } // every slot full: fall back to the root
    parent.set(c, best)
    children.get(best)?.push(c)
    children.set(c, [])
    depth.set(c, (depth.get(best) ?? 0) + 1)
    pathTime.set(c, bestT)
  }
  return { parent, children, depth }
}

/** Post-order (children before parents) list of the selected clients. */
export function postOrder (tree: AggregationTree): number[] {
  const out: number[] = []
  const visit = (v: number): void => { for (const c of tree.children.get(v) ?? []) visit(c); if (v !== ROOT) out.push(v) }
  visit(ROOT)
  return out
}
