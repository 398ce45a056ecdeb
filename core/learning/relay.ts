/**
 * Moving encoded updates up the aggregation tree, hop by hop, with exact byte counts.
 *
 * - FedAvg (linear): a relay decodes its children's messages, validates them, folds them with its
 *   own update into one sample-weighted partial mean, re-encodes it with the same compression and
 *   forwards ONE message (`clients` = how many updates it folds). This is TCS-FEEL's in-network
 *   aggregation.
 * - Robust aggregators (median, trimmed mean, Krum) are not linear, so a relay cannot pre-combine
 *   without defeating them: it forwards its own and its children's messages unchanged, and the root
 *   sees every update. The tree then still routes over fast D2D links, but saves no bytes.
 *
 * Every message is validated where it is decoded (relay or root); rejections are counted by reason.
 */
import { decodeUpdate, encodeUpdate, type Compressor, type UpdateMessage } from './codec.ts'
import { clipUpdate } from './dp.ts'
import { UpdateDecodeError } from './errors.ts'
import { topK } from './quantize.ts'
import type { Rng } from './rng.ts'
import { ROOT, type AggregationTree } from './selection.ts'
import { transferSeconds, type Topology } from './topology.ts'
import { emptyRejections, validateUpdate, type RejectionCounts } from './validate.ts'

export interface HopContext {
  round: number
  size: number
  bits: number
  maxNorm: number
  compressor?: Compressor
  rng: Rng
  rejected: RejectionCounts
  /** Per-message byte ceiling enforced by every receiver. */
  maxBytes: number
  /**
   * DP clip norm C: every receiver projects admitted updates onto the C-ball, so the sensitivity
   * the accountant assumes holds whatever a client sent (quantisation noise on an honest clipped
   * update can push it slightly past C; a hostile one can claim anything).
   */
  clipNorm?: number
}

/** Decodes and validates; returns null (and counts the reason) for a rejected message. */
export function admit (bytes: Uint8Array, ctx: HopContext): UpdateMessage | null {
  let msg: UpdateMessage
  try {
    msg = decodeUpdate(bytes, { expectedSize: ctx.size, maxBytes: ctx.maxBytes, compressor: ctx.compressor })
  } catch (err) {
    if (!(err instanceof UpdateDecodeError)) throw err
    ctx.rejected[err.code === 9 ? 'oversize' : err.code === 3 ? 'shape' : 'decode']++
    return null
  }
  // a partial aggregate of `clients` clipped updates has norm ≤ maxNorm as well (a mean)
  const reason = validateUpdate(msg.values, { expectedSize: ctx.size, maxNorm: ctx.maxNorm })
  if (reason != null) { ctx.rejected[reason]++; return null }
  if (ctx.clipNorm != null) clipUpdate(msg.values, ctx.clipNorm)
  return msg
}

export interface RouteResult {
  /** Messages that reached the root (encoded). */
  atRoot: Uint8Array[]
  bytesUp: number
  /** Bytes arriving on the root's own links (its ingress load: what TCS-FEEL's tree reduces). */
  bytesAtRoot: number
  /** Simulated seconds until the root holds everything. */
  seconds: number
}

/**
 * Routes each client's encoded update (`own`) up `tree`. `ready[c]` is when client c finished
 * local training (simulated seconds). `linear` selects relay pre-aggregation.
 */
export function routeUp (tree: AggregationTree, own: Map<number, Uint8Array>, ready: Map<number, number>, topology: Topology, linear: boolean, ctx: HopContext): RouteResult {
  let bytesUp = 0
  const forward = (v: number): { msgs: Uint8Array[], at: number } => {
    const kids = tree.children.get(v) ?? []
    let at = ready.get(v) ?? 0
    const incoming: Uint8Array[] = []
    for (const c of kids) {
      const sub = forward(c)
      const bytes = sub.msgs.reduce((s, m) => s + m.length, 0)
      bytesUp += bytes
      at = Math.max(at, sub.at + transferSeconds(topology.links[c][v], bytes))
      incoming.push(...sub.msgs)
    }
    const mine = own.get(v)
    if (!linear || incoming.length === 0) return { msgs: mine != null ? [mine, ...incoming] : incoming, at }
    // FedAvg relay: fold everything admissible into one sample-weighted partial mean
    const parts = [mine, ...incoming].filter((m): m is Uint8Array => m != null).map(m => admit(m, ctx)).filter((m): m is UpdateMessage => m != null)
    if (parts.length === 0) return { msgs: [], at }
    const samples = parts.reduce((s, p) => s + p.samples, 0)
    const clients = parts.reduce((s, p) => s + p.clients, 0)
    const mean = new Float32Array(ctx.size)
    for (const p of parts) {
      const w = samples > 0 ? p.samples / samples : 1 / parts.length
      for (let i = 0; i < mean.length; i++) mean[i] += w * p.values[i]
    }
    let nnz = 0
    for (const x of mean) if (x !== 0) nnz++
    const values = nnz < ctx.size / 2 ? topK(mean, nnz) : mean
    const enc = encodeUpdate({ round: ctx.round, sender: v, samples, clients, values }, ctx.rng, { bits: ctx.bits, compressor: ctx.compressor })
    return { msgs: [enc.bytes], at }
  }
  const atRoot: Uint8Array[] = []
  let bytesAtRoot = 0
  let seconds = 0
  for (const c of tree.children.get(ROOT) ?? []) {
    const sub = forward(c)
    const bytes = sub.msgs.reduce((s, m) => s + m.length, 0)
    bytesUp += bytes
    bytesAtRoot += bytes
    seconds = Math.max(seconds, sub.at + transferSeconds(topology.rootLinks[c], bytes))
    atRoot.push(...sub.msgs)
  }
  return { atRoot, bytesUp, bytesAtRoot, seconds }
}

/** When each selected client has the global model, broadcasting it down `tree` (seconds). */
export function routeDown (tree: AggregationTree, weightBytes: number, topology: Topology): Map<number, number> {
  const at = new Map<number, number>()
  const visit = (v: number, t: number): void => {
    for (const c of tree.children.get(v) ?? []) {
      const link = v === ROOT ? topology.rootLinks[c] : topology.links[v][c]
      const tc = t + transferSeconds(link, weightBytes)
      at.set(c, tc)
      visit(c, tc)
    }
  }
  visit(ROOT, 0)
  return at
}

export { emptyRejections }
