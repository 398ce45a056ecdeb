/**
 * Admission check for client updates before aggregation. A rejected update is dropped and its
 * reason counted (never thrown), so a malformed or hostile client cannot abort a round.
 *
 * Reasons: `decode` (bytes did not parse), `oversize` (encoded bytes above the per-update limit, or
 * a declared length above the model size), `shape` (wrong parameter count), `non-finite` (NaN/Inf),
 * `norm` (L2 norm above the bound: a scaled update is the simplest model-poisoning attack, and an
 * honest update clipped for DP can never exceed it).
 */

export type RejectReason = 'decode' | 'oversize' | 'shape' | 'non-finite' | 'norm'
export const REJECT_REASONS: readonly RejectReason[] = ['decode', 'oversize', 'shape', 'non-finite', 'norm']

export type RejectionCounts = Record<RejectReason, number>

export function emptyRejections (): RejectionCounts {
  return { decode: 0, oversize: 0, shape: 0, 'non-finite': 0, norm: 0 }
}

export interface ValidateOptions {
  expectedSize: number
  /** Reject updates whose L2 norm is above this. @default Infinity */
  maxNorm?: number
}

export function l2norm (v: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i] * v[i]
  return Math.sqrt(s)
}

/** Returns null when the update is admissible, else the reason. */
export function validateUpdate (update: unknown, opts: ValidateOptions): RejectReason | null {
  if (!(update instanceof Float32Array) || update.length !== opts.expectedSize) return 'shape'
  for (let i = 0; i < update.length; i++) if (!Number.isFinite(update[i])) return 'non-finite'
  if (opts.maxNorm != null && l2norm(update) > opts.maxNorm) return 'norm'
  return null
}
