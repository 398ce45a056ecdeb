/**
 * A `LedgerNode`'s membership upkeep, run from its once-a-second maintenance pass: asking to join
 * the replica set (again after 30 s, or 5 s after a refusal; never again once removed for
 * equivocation; not while its join is pending or it cools off after a removal: admission.ts), asking to remove a replica that stopped answering (liveness.ts) or stopped voting
 * (vote-lapse.ts), submitting the equivocation evidence the engine recorded, and re-measuring the
 * base tick (`tickLength`).
 */
import type { Chain } from './chain.ts'
import { writeEvidence, writeRemove } from './entries.ts'
import type { EpochInfo } from './epochs.ts'
import { EntryRefusedError } from './errors.ts'
import { tickLength, type Clock } from './live-replica.ts'
import type { Liveness } from './liveness.ts'
import type { VoteLapses } from './vote-lapse.ts'
import type { Evidence } from '../consensus/state.ts'
import type { CommittedEntry, Entry } from './types.ts'

export interface UpkeepOwner {
  self: string
  clock: Clock
  liveness: Liveness
  voteLapses: VoteLapses
  /** the node's options, read at each use (LedgerNodeInit: join, removeAfterMs over the chain's `ledger.removeAfterMs`, maxTickMs) */
  init: { join?: boolean, removeAfterMs?: number, maxTickMs?: number }
  stopping: () => boolean
  chain: () => Chain | undefined
  /** the body of this peer's join entry (its signing and VRF keys) */
  joinBody: () => Uint8Array
  /** an entry of this kind of ours is still on its way (Submitter.hasPending): it may yet commit */
  pending: (kind: string) => boolean
  /** equivocation the current instance's engine recorded */
  evidence: () => readonly Evidence[]
  rttMs: (peer: string) => number | undefined
  recentDecideMs: readonly number[]
  submit: (entry: Entry) => Promise<CommittedEntry>
  log: (msg: string) => void
}

/** An ask to remove a silent replica that failed without an answer is repeated after this long. */
const REMOVE_RETRY_MS = 5000

export class MembershipUpkeep {
  private joinAt = 0
  /** `epoch:peer` → when a remove may be asked again (Infinity: asked, or answered) */
  private readonly asked = new Map<string, number>()
  private readonly evidenceSent = new Set<string>()

  constructor (private readonly o: UpkeepOwner) {}

  removeAfterMs (): number {
    return this.o.init.removeAfterMs ?? Number(this.o.chain()?.config('ledger.removeAfterMs') ?? 15_000)
  }

  /** Removed from the replica set while still running: ask to join again at the next pass. */
  rejoinNow (): void { this.joinAt = this.o.clock.now() }

  /**
   * A follower that wants to be a replica asks to join, at most every 30 s (5 s after a refusal or
   * a timeout), and never while its last join is still on its way: a join whose submit timed out
   * can still commit, and a second one then committed as a refused duplicate ('already a replica').
   */
  join (chain: Chain): void {
    const now = this.o.clock.now()
    if (!(this.o.init.join ?? true) || this.o.stopping() || chain.isReplica(this.o.self) || now < this.joinAt) return
    if (this.o.pending('join')) return
    // admission.ts: waiting for a second joiner (committed), or cooling off after a removal (the
    // chain would refuse it: the next slot is below the allowed one)
    if (chain.pendingJoiner() === this.o.self || chain.height + 1 < chain.joinAllowedAt(this.o.self)) return
    this.joinAt = now + 30_000
    this.o.submit({ kind: 'join', data: this.o.joinBody() }).catch(err => {
      this.o.log(`join: ${String(err)}`)
      // removed on evidence: refused for good, so stop asking
      this.joinAt = err instanceof EntryRefusedError && err.reason === 'removed for equivocation' ? Infinity : Math.min(this.joinAt, this.o.clock.now() + 5000)
    })
  }

  /**
   * Asks to remove each replica that stopped answering (silent, then MISSES probes unanswered:
   * liveness.ts) or stopped voting (vote-lapse.ts), once per epoch — and again 5 s after an ask
   * that failed without an answer (a submit timed out while the silent replicas slowed the epoch's
   * decisions) once none of ours is still on its way: a lost ask used to be the last, and with
   * fewer than f + 1 asks committed the silent replicas stayed for the whole epoch. A refusal is
   * the ledger's answer (e.g. already removed): not asked again. Duplicates are harmless (the
   * chain counts distinct askers).
   */
  removeSilent (e: EpochInfo): void {
    const now = this.o.clock.now()
    for (const key of this.asked.keys()) if (Number(key.slice(0, key.indexOf(':'))) < e.epoch) this.asked.delete(key)
    const why = new Map<string, string>()
    for (const peer of this.o.liveness.check()) {
      const st = this.o.liveness.state(peer)
      why.set(peer, `silent ${st?.silentMs ?? 0} ms, ${st?.misses ?? 0} probes unanswered`)
    }
    for (const peer of this.o.voteLapses.lapsed()) {
      const st = this.o.voteLapses.state(peer)
      if (!why.has(peer)) why.set(peer, `no vote in ${st?.missed ?? 0} decisions, ${st?.sinceMs ?? 0} ms`)
    }
    for (const [peer, reason] of why) {
      const key = `${e.epoch}:${peer}`
      if ((this.asked.get(key) ?? -Infinity) > now || (this.asked.has(key) && this.o.pending('remove'))) continue
      this.asked.set(key, Infinity)
      this.o.submit({ kind: 'remove', data: writeRemove({ peerId: peer, reason }) }).catch(err => {
        this.o.log(`remove: ${String(err)}`)
        if (!(err instanceof EntryRefusedError) && this.asked.has(key)) this.asked.set(key, this.o.clock.now() + REMOVE_RETRY_MS)
      })
    }
  }

  /** Equivocation the engine recorded: submit it as evidence, once per offender. */
  submitEvidence (e: EpochInfo): void {
    for (const ev of this.o.evidence()) {
      const offender = e.replicas[ev.offender]?.peerId
      if (offender == null || this.evidenceSent.has(offender)) continue
      this.evidenceSent.add(offender)
      this.o.submit({ kind: 'evidence', data: writeEvidence({ epoch: e.epoch, first: ev.first, second: ev.second }) }).catch(err => { this.o.log(`evidence: ${String(err)}`) })
    }
  }

  /**
   * The base tick from the RTTs to the other replicas and this peer's recent decision durations
   * (`tickLength`, live-replica.ts), re-measured every second. On loopback the RTT is ~1 ms while
   * a decision is CPU-bound (VRF proofs, tens of ms on a loaded machine): an RTT-only tick (5 ms →
   * a 120 ms view timeout) turned slow decisions into view changes.
   */
  measureTick (e: EpochInfo): number {
    const rtts = e.replicas.map(r => r.peerId === this.o.self ? undefined : this.o.rttMs(r.peerId)).filter((x): x is number => x != null)
    return tickLength(rtts, this.o.recentDecideMs, this.o.init.maxTickMs)
  }
}
