/**
 * The per-phase slot timeline (issue 15, the n = 16 latency target) from the replicas' own steps
 * (core/ledger/slot-trace.ts; a Node peer writes them with `NOVACRON_LEDGER_TRACE=<dir>`, one
 * `<pid>.jsonl` per process, every time on the machine's one clock).
 *
 * For each slot, times are ms after the view-0 PROPOSE left its leader (`proposeOut`; the earliest
 * `proposeIn` when the leader's trace is missing). Per replica: the proposal arrived, its PREPARE
 * left (the value checked), its first PREPARE arrived, its COMMIT left (q PREPAREs: the prepare
 * quorum), its first COMMIT arrived, it decided (q COMMITs — or a DECISION that answered its
 * DECISION-REQUEST after its nudge: `viaDecision`). The submit → PROPOSE gap is the microblock's
 * way to the leader and the leader's wait to propose. Summaries: per step, the median replica and
 * the last replica of each slot, then p50 / p90 over slots; the gaps between the median replica's
 * steps; how many replicas per slot decided through a DECISION and how many engine timers fired.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TraceLine { peer: string, s: number, v: number, k: string, t: number, r?: number }

export function readTraces (dir: string): TraceLine[] {
  const out: TraceLine[] = []
  for (const f of readdirSync(dir).filter(f => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (line === '') continue
      try { out.push({ peer: f, ...(JSON.parse(line) as Omit<TraceLine, 'peer'>) }) } catch {}
    }
  }
  return out
}

const STEPS = ['proposeIn', 'prepareOut', 'firstPrepareIn', 'quorumPrepareIn', 'commitOut', 'firstCommitIn', 'quorumCommitIn', 'decided'] as const
type Step = typeof STEPS[number]

export interface SlotRow {
  slot: number
  /** submit → the leader's PROPOSE (when the submit time is known) */
  submitToProposeMs?: number
  median: Partial<Record<Step, number>>
  last: Partial<Record<Step, number>>
  replicas: number
  viaDecision: number
  timers: number
  viewChanges: number
  /** recipients of a PREPARE / COMMIT (median over replicas): the VRF sample, or n − 1 */
  voteRecipients: number
  /** PREPAREs / COMMITs that reached a replica (median over replicas) */
  preparesIn: number
  commitsIn: number
}

const pct = (xs: number[], p: number): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]
}
const r1 = (x: number): number => Math.round(x * 10) / 10

/**
 * One row per slot of `slots`; `submits` maps a slot to the wall time (epoch ms) its entry was
 * submitted; `quorum` (q) adds when the (q − 1)-th PREPARE and COMMIT from others arrived (with its
 * own vote, the quorum it waits for: `quorumPrepareIn` → `commitOut` is then the receiver's own
 * work on that vote, `prepareOut` of others → `quorumPrepareIn` the senders' and the links').
 */
export function slotRows (lines: TraceLine[], slots: number[], submits: Map<number, number> = new Map(), quorum = 0): SlotRow[] {
  const bySlot = new Map<number, TraceLine[]>()
  const want = new Set(slots)
  for (const l of lines) if (want.has(l.s)) { let a = bySlot.get(l.s); if (a == null) { a = []; bySlot.set(l.s, a) } a.push(l) }
  const rows: SlotRow[] = []
  for (const slot of slots) {
    const ls = bySlot.get(slot) ?? []
    const first = (peer: string | null, k: string, v?: number): number | undefined => {
      let best: number | undefined
      for (const l of ls) if ((peer == null || l.peer === peer) && l.k === k && (v == null || l.v === v) && (best == null || l.t < best)) best = l.t
      return best
    }
    const t0 = first(null, 'proposeOut', 0) ?? first(null, 'proposeIn', 0)
    if (t0 == null) continue
    const peers = [...new Set(ls.map(l => l.peer))]
    const per = peers.map(p => {
      const at = (k: string): number | undefined => { const t = first(p, k); return t == null ? undefined : t - t0 }
      const nth = (k: string): number | undefined => {
        if (quorum < 2) return undefined
        const ts = ls.filter(l => l.peer === p && l.k === k && l.v === 0).map(l => l.t).sort((a, b) => a - b)
        return ts.length >= quorum - 1 ? ts[quorum - 2] - t0 : undefined
      }
      const decided = at('decided')
      const decisionIn = at('decisionIn')
      return {
        steps: { proposeIn: at('proposeIn'), prepareOut: at('prepareOut'), firstPrepareIn: at('prepareIn'), quorumPrepareIn: nth('prepareIn'), commitOut: at('commitOut'), firstCommitIn: at('commitIn'), quorumCommitIn: nth('commitIn'), decided } as Partial<Record<Step, number>>,
        viaDecision: decided != null && decisionIn != null && decisionIn <= decided,
        timers: ls.filter(l => l.peer === p && l.k === 'timer').length,
        viewChanges: ls.filter(l => l.peer === p && l.k === 'viewChangeOut').length,
        recipients: ls.find(l => l.peer === p && (l.k === 'prepareOut' || l.k === 'commitOut'))?.r ?? NaN,
        preparesIn: ls.filter(l => l.peer === p && l.k === 'prepareIn').length,
        commitsIn: ls.filter(l => l.peer === p && l.k === 'commitIn').length
      }
    }).filter(x => x.steps.decided != null)
    const median: Partial<Record<Step, number>> = {}
    const last: Partial<Record<Step, number>> = {}
    for (const k of STEPS) {
      const xs = per.map(x => x.steps[k]).filter((x): x is number => x != null)
      if (xs.length > 0) { median[k] = r1(pct(xs, 0.5)); last[k] = r1(Math.max(...xs)) }
    }
    const submit = submits.get(slot)
    rows.push({
      slot,
      ...(submit != null ? { submitToProposeMs: r1(t0 - submit) } : {}),
      median,
      last,
      replicas: per.length,
      viaDecision: per.filter(x => x.viaDecision).length,
      timers: per.reduce((a, x) => a + x.timers, 0),
      viewChanges: per.reduce((a, x) => a + x.viewChanges, 0),
      voteRecipients: pct(per.map(x => x.recipients), 0.5),
      preparesIn: pct(per.map(x => x.preparesIn), 0.5),
      commitsIn: pct(per.map(x => x.commitsIn), 0.5)
    })
  }
  return rows
}

/** p50 / p90 over slots of each step (median replica and last replica), the gaps, and the counts. */
export function summarise (rows: SlotRow[]): Record<string, unknown> {
  const over = (f: (r: SlotRow) => number | undefined): { p50: number, p90: number } => {
    const xs = rows.map(f).filter((x): x is number => x != null && Number.isFinite(x))
    return { p50: r1(pct(xs, 0.5)), p90: r1(pct(xs, 0.9)) }
  }
  const gap = (a: Step | null, b: Step) => over(r => r.median[b] != null ? r.median[b] - (a == null ? 0 : (r.median[a] ?? NaN)) : undefined)
  return {
    slots: rows.length,
    submitToPropose: over(r => r.submitToProposeMs),
    medianReplica: Object.fromEntries(STEPS.map(k => [k, over(r => r.median[k])])),
    lastReplica: Object.fromEntries(STEPS.map(k => [k, over(r => r.last[k])])),
    gaps: {
      proposeDelivery: gap(null, 'proposeIn'),
      valueCheck: gap('proposeIn', 'prepareOut'),
      toFirstPrepare: gap('prepareOut', 'firstPrepareIn'),
      prepareQuorum: gap('firstPrepareIn', 'commitOut'),
      toFirstCommit: gap('commitOut', 'firstCommitIn'),
      commitQuorum: gap('firstCommitIn', 'decided'),
      // the receiver's own work once the vote that completes its quorum arrived
      lastPrepareToCommitOut: gap('quorumPrepareIn', 'commitOut'),
      lastCommitToDecided: gap('quorumCommitIn', 'decided')
    },
    viaDecisionPerSlot: over(r => r.viaDecision),
    timersPerSlot: over(r => r.timers),
    viewChangesPerSlot: over(r => r.viewChanges),
    voteRecipients: over(r => r.voteRecipients),
    preparesIn: over(r => r.preparesIn),
    commitsIn: over(r => r.commitsIn)
  }
}
