/**
 * The read side of a `LedgerNode`'s API, as functions of what the node holds: `status()` (epoch,
 * replicas, leader, latency, rates, rejections, wire, timing, verification counters), `log()`
 * (committed entries from the in-memory ring, older ones decoded from the store) and `verify()`
 * (re-checks every stored certificate from the genesis with fresh, unmemoized crypto).
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import { createConsensusCrypto, type SignatureVerifier, type VerificationStats } from '../consensus/crypto.ts'
import type { QuorumMath } from '../consensus/quorum.ts'
import { leaderOf } from '../consensus/validate.ts'
import type { Chain, KindValidator } from './chain.ts'
import { readBlock } from './codec.ts'
import type { DecisionTiming, LiveReplica } from './live-replica.ts'
import type { CommittedEntry, LedgerStatus, LedgerStore } from './types.ts'
import { verifyChain } from './verify.ts'

/** What `ledgerStatus` reads, gathered by the node at call time. */
export interface StatusSource {
  chain: Chain | undefined
  meshId: string | undefined
  protocol: 'probft' | 'pbft' | undefined
  instance: LiveReplica | undefined
  prev: LiveReplica | undefined
  now: number
  /** commit latencies of this peer's own entries, ms */
  latencies: readonly number[]
  commitTimes: ReadonlyArray<{ at: number, entries: number }>
  rejected: Record<string, number>
  journalConflicts: number
  wire: LedgerStatus['wire'] | undefined
  tickMs: number
  baseTickMs: number
  viewBackoff: number
  commitTiming: { commits: number, commitMs: number }
  decisionTiming: DecisionTiming
  checks: VerificationStats | undefined
  microblockChecks: { count: number, ms: number }
  proofs: { made: number, ahead: number, prewarmed: number } | undefined
  frames?: LedgerStatus['frames']
  pending: number
}

export function ledgerStatus (s: StatusSource): LedgerStatus {
  const chain = s.chain
  const e = chain?.current
  const inst = s.instance
  const lat = [...s.latencies].sort((a, b) => a - b)
  const q = (p: number): number | null => lat.length === 0 ? null : lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]
  const recent = s.commitTimes.filter(t => s.now - t.at <= 10_000)
  const slot = inst?.currentSlot ?? (chain?.height ?? -1) + 1
  return {
    meshId: chain?.genesis.meshId ?? s.meshId ?? 'novacron',
    epoch: e?.epoch ?? 0,
    epochStart: e?.start ?? 0,
    replicas: (e?.replicas ?? []).map((r, i) => ({ peerId: r.peerId, index: i, since: r.since })),
    f: e?.f ?? 0,
    protocol: e?.protocol ?? s.protocol ?? 'probft',
    sampleSize: e?.sampleSize ?? 0,
    quorum: e?.quorum ?? 0,
    replica: inst != null,
    height: chain?.height ?? -1,
    head: chain == null ? '' : bytesToHex(chain.head),
    ...(e != null && e.n > 0 ? { leader: e.replicas[leaderOf(e.n, slot, 0)].peerId } : {}),
    latency: { p50: q(0.5), p99: q(0.99), samples: lat.length },
    decisionsPerSecond: recent.length / 10,
    entriesPerSecond: recent.reduce((sum, t) => sum + t.entries, 0) / 10,
    rejected: { ...engineRejected([s.prev, inst]), ...s.rejected, ...(s.journalConflicts > 0 ? { journalConflict: s.journalConflicts } : {}) },
    wire: s.wire ?? { framesSent: 0, bytesSent: 0, framesReceived: 0, bytesReceived: 0 },
    timing: { tickMs: s.tickMs, baseTickMs: s.baseTickMs, viewBackoff: s.viewBackoff, ...s.commitTiming, ...s.decisionTiming },
    ...(s.checks != null ? { verification: { ...s.checks, microblocks: s.microblockChecks.count, microblockMs: s.microblockChecks.ms, proofsMade: s.proofs?.made ?? 0, proofsAhead: s.proofs?.ahead ?? 0, proofsPrewarmed: s.proofs?.prewarmed ?? 0 } } : {}),
    ...(s.frames != null ? { frames: { byKind: { ...s.frames.byKind }, repeats: { ...s.frames.repeats }, syncPulls: s.frames.syncPulls, syncDials: s.frames.syncDials, syncSkips: s.frames.syncSkips } } : {}),
    pending: s.pending,
    ...(chain != null ? { admission: admissionOf(chain) } : {})
  }
}

function admissionOf (chain: NonNullable<StatusSource['chain']>): NonNullable<LedgerStatus['admission']> {
  const pendingJoiner = chain.pendingJoiner()
  return { ...(pendingJoiner != null ? { pendingJoiner } : {}), coolingOff: chain.coolingOff() }
}

/** The engines' own rejection counters (this epoch's instance and the one before), summed by reason. */
function engineRejected (instances: Array<LiveReplica | undefined>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const i of instances) {
    for (const [k, v] of Object.entries(i?.replica.stats.rejected ?? {})) if (v > 0) out[k] = (out[k] ?? 0) + v
  }
  return out
}

/**
 * Committed entries from (slot `from`, entry `index`) on, at most `limit`: the in-memory ring,
 * older ones decoded from the store (apply verdicts are not stored).
 */
export async function readLog (ring: readonly CommittedEntry[], store: LedgerStore, from: number, limit: number, index = 0): Promise<CommittedEntry[]> {
  const wanted = (slot: number, i: number): boolean => slot > from || (slot === from && i >= index)
  const inRing = ring.filter(e => wanted(e.slot, e.index))
  // the ring is trimmed by entries, so it may begin in the middle of a slot
  if (ring.length > 0 && (ring[0].slot < from || (ring[0].slot === from && ring[0].index <= index))) return inRing.slice(0, limit)
  const out: CommittedEntry[] = []
  for await (const r of store.iterate(from)) {
    if (ring.length > 0 && r.height > ring[0].slot) break
    let i = 0
    for (const mb of readBlock(r.block).microblocks) {
      for (const en of mb.entries) {
        const inRingToo = ring.length > 0 && r.height === ring[0].slot && i >= ring[0].index
        if (wanted(r.height, i) && !inRingToo) out.push({ slot: r.height, index: i, epoch: r.epoch, kind: en.kind, author: mb.author, data: en.data, summary: en.kind, committedAt: 0, applied: true })
        i++
      }
    }
    if (out.length >= limit) break
  }
  return [...out, ...inRing].slice(0, limit)
}

/** Re-checks every stored certificate from the genesis, with fresh (unmemoized) crypto. */
export async function verifyStore (store: LedgerStore, opts: { genesisPeerId: string, math: QuorumMath, signatures?: SignatureVerifier, kinds: Map<string, KindValidator> }): Promise<{ height: number, head: string, blocks: number }> {
  const r = await verifyChain(store, { genesisPeerId: opts.genesisPeerId, math: opts.math, crypto: createConsensusCrypto({ ...(opts.signatures != null ? { signatures: opts.signatures } : {}) }), kinds: opts.kinds })
  return { height: r.height, head: r.head, blocks: r.blocks }
}
