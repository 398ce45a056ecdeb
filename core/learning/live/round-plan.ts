/**
 * What a coordinator decides before a round starts, as pure functions of what it knows: which
 * learners take part (`selectRound`: every linked learner by measured RTT, or a TCS-FEEL draw on
 * measured facts, select.ts) and the DP ε the round's entry reports (`roundEpsilon`). Kept apart
 * from service.ts so that both read as the rules they are.
 */
import { RdpAccountant } from '../accountant.ts'
import { createRng } from '../rng.ts'
import { MAX_ROUND_UPDATES } from './codec.ts'
import type { DpRecord } from './entries.ts'
import { liveSelect, type LiveSelection, type MeasuredFacts, type SelectionCandidate } from './select.ts'
import type { LiveTaskConfig } from './task.ts'

export interface RoundSelection {
  selected: Array<{ peer: string, rttMs: number }>
  /** the DP sampling rate bound (q) */
  maxInclusion: number
  /** the TCS-FEEL draw, when one was made */
  draw: { round: number, candidates: SelectionCandidate[], estimates: LiveSelection['estimates'] } | null
}

export interface SelectionFacts {
  self: string
  learners: readonly string[]
  links: ReadonlyArray<{ peerId: string, rttMs?: number, limited: boolean }>
  /** a learner's joined sample count */
  samples: (peer: string) => number | undefined
  measured: (peer: string) => Partial<MeasuredFacts>
  /** parameters of the model */
  size: number
  /** learners this peer knows dead (gone from the mesh, or probed dead: liveness.ts, probes.ts), left out though a link to them still shows */
  dead?: (peer: string) => boolean
}

/**
 * The round's learners: every linked learner (and this peer) by measured RTT, at most 32, less those
 * known dead (`dead`: a SIGKILLed learner's link still showed open for up to ~4 s after its
 * bootstrap unlisted it and a probe failed, and selecting it sent it a `start` that hangs, which
 * held the coordinator's own training back up to OWN_TRAIN_WAIT_MS: docs/learning.md, "The p95 tail"); with
 * `perRound` > 0 and more candidates, `perRound` of them drawn by TCS-FEEL on measured facts
 * (select.ts) from the task's seeded stream. `maxInclusion` is the DP sampling rate.
 */
export function selectRound (cfg: LiveTaskConfig, round: number, baseHash: string, f: SelectionFacts): RoundSelection {
  const rtt = new Map<string, number>()
  for (const l of f.links) {
    if (l.limited || !f.learners.includes(l.peerId) || f.dead?.(l.peerId) === true) continue
    const v = l.rttMs ?? Number.MAX_SAFE_INTEGER
    rtt.set(l.peerId, Math.min(rtt.get(l.peerId) ?? Infinity, v))
  }
  if (f.learners.includes(f.self)) rtt.set(f.self, 0)
  const ranked = [...rtt.entries()].map(([peer, rttMs]) => ({ peer, rttMs })).sort((a, b) => a.rttMs - b.rttMs || (a.peer < b.peer ? -1 : 1)).slice(0, MAX_ROUND_UPDATES)
  const everyone = Math.min(1, ranked.length / Math.max(1, f.learners.length))
  if (cfg.perRound <= 0 || ranked.length <= cfg.perRound) return { selected: ranked, maxInclusion: everyone, draw: null }
  const cands = ranked.map(r => ({ peer: r.peer, samples: f.samples(r.peer) ?? 1, ...(r.rttMs !== Number.MAX_SAFE_INTEGER ? { rttMs: r.rttMs } : {}), ...f.measured(r.peer) }))
  const updateBytes = Math.ceil(f.size * (cfg.quantizeBits > 0 ? cfg.quantizeBits : 32) / 8 * Math.min(1, cfg.topK))
  const s = liveSelect(cands, cfg.perRound, createRng(cfg.seed).fork(`select:${round}:${baseHash}`), { epochs: cfg.localEpochs, updateBytes })
  const picked = new Set(s.selected)
  // the selected learners keep the RTT order (the order `start` goes out in)
  return {
    selected: ranked.filter(r => picked.has(r.peer)),
    maxInclusion: Math.min(1, s.maxInclusion * ranked.length / Math.max(1, f.learners.length)),
    draw: { round, candidates: cands, estimates: s.estimates }
  }
}

/**
 * ε after `round` rounds at sampling rate q (RDP accountant), null without DP: q = m / learners
 * when every linked learner takes part, min(1, m · max p) · linked / learners under TCS-FEEL.
 */
export function roundEpsilon (dp: DpRecord | null, round: number, q: number): number | null {
  // without noise there is no finite ε to report
  if (dp == null || dp.sigma <= 0) return null
  const acc = new RdpAccountant(dp.delta)
  acc.step(Math.min(1, q), dp.sigma, round)
  return Math.round(acc.epsilon() * 1e6) / 1e6
}
