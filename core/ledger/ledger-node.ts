/**
 * `LedgerNode`: the live shell of the ledger, transport-agnostic (core/ledger/links.ts gives it a
 * libp2p transport; tests give it an in-memory one). It owns the chain state, the pool, this peer's
 * submissions, and — when this peer is a replica of the current epoch — that epoch's `LiveReplica`.
 *
 * Every committed block goes through one queue: verify (`checkRecord`) → `store.append` → chain
 * apply → pool prune → events → next epoch's instance when the replica set changed. Blocks come
 * from this peer's own decisions, from gossip (followers; published only by the leader of the
 * deciding view) and from sync pulls, and are verified alike, whoever sent them.
 *
 * The node is one class in layers, a file per concern: node-base.ts (state, wiring, counters),
 * commit-queue.ts, epoch-instances.ts, sync-pull.ts, inbound.ts, and this file (lifecycle, the
 * maintenance pass, the public API). What it wires lives in files of its own: routing.ts (sending
 * on a partial mesh, forwarding), upkeep.ts (join, removal of the silent, evidence, the base tick),
 * read-api.ts (status, log, verify), view-pacer.ts (the view-timeout backoff).
 */
import { readConfig, readJson, MAX_NOTE_BYTES } from './entries.ts'
import type { EpochInfo } from './epochs.ts'
import { EntryRefusedError, LedgerStoppedError, NotReplicaError } from './errors.ts'
import { createGenesis } from './keys.ts'
import { ledgerStatus, readLog, verifyStore } from './read-api.ts'
import { checkSetting } from './settings.ts'
import type { LedgerInbound } from './transport.ts'
import type { CommittedEntry, Entry, LedgerApi, LedgerStatus, SubmitOptions } from './types.ts'
import { verifyChain } from './verify.ts'
import { InboundFrames } from './inbound.ts'
import { committedEntry } from './node-base.ts'
export type { LedgerNodeInit, LedgerNodeComponents } from './node-base.ts'

export class LedgerNode extends InboundFrames implements LedgerApi, LedgerInbound {
  // ---------------------------------------------------------------- lifecycle

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    await this.journal.load()
    const g = await this.c.store.getGenesis()
    if (g != null) {
      // replay (and re-verify) what we stored
      // ...and announce it as it was committed: state built from commit and config events (jobs,
      // the mesh settings) is rebuilt on a restarted peer, not only from what commits from now on
      const r = await verifyChain(this.c.store, {
        genesisPeerId: this.init.genesisPeerId, math: this.c.quorumMath, crypto: this.crypto, kinds: this.kinds,
        onApplied: (record, res) => { this.announce(record, res.entries.map(e => committedEntry(record, e, this.clock.now())), res.configs, true) }
      })
      this.chain = r.chain
      this.entries = []
    } else if (this.self === this.init.genesisPeerId) {
      const bytes = await createGenesis(this.c.privateKey, this.self, this.keys, { meshId: this.init.meshId ?? 'novacron', protocol: this.init.protocol ?? 'probft', maxReplicas: this.init.maxReplicas ?? 16 })
      await this.c.store.putGenesis(bytes)
      await this.adoptGenesis(bytes)
      this.markSynced() // a new chain: nothing committed before it to catch up with
    }
    if (this.chain != null) this.enterEpoch(this.chain.current, this.chain.height + 1)
    this.loop()
  }

  /** What became of the leave asked for at stop (none asked: neither a replica nor the pending joiner, the last replica, or `leaveOnStop: false`). */
  stopLeave?: 'committed' | 'not committed' | 'skipped'

  async stop (): Promise<void> {
    if (!this.running) return
    this.stopping = true
    // a replica leaves; the pending joiner (admission.ts) withdraws its join, so the next joiner is
    // not admitted together with a peer that is gone (a mute third of a 3-replica epoch)
    const pendingSelf = this.chain?.pendingJoiner() === this.self
    if ((this.init.leaveOnStop ?? true) && this.chain != null && ((this.chain.isReplica(this.self) && this.chain.current.n > 1) || pendingSelf)) {
      // a leave needs the other replicas: with no link to any of them (the last one still up, or
      // cut off) it cannot commit, and waiting 5 s for it only delays the stop; they remove a
      // replica that stays silent anyway
      const linked = new Set(this.c.transport.connectedPeers())
      if (!this.chain.current.replicas.some(r => r.peerId !== this.self && linked.has(r.peerId))) {
        this.stopLeave = 'skipped'
        this.debug('leave skipped: no other replica of the epoch is linked')
      } else {
        this.stopLeave = await this.submit({ kind: 'leave', data: new Uint8Array(0) }, { timeoutMs: 5000 }).then(() => 'committed' as const, err => { this.debug(`leave not committed: ${String(err)}`); return 'not committed' as const })
      }
    }
    this.running = false
    this.clock.clearTimeout(this.timer)
    this.instance?.stop()
    this.prev?.stop()
    this.submitter.stop(new LedgerStoppedError('ledger stopped'))
    await this.queue.catch(() => {})
  }

  /** One maintenance pass a second: resends, removals, evidence, sync, join, tick length. */
  protected loop (): void {
    if (!this.running) return
    this.timer = this.clock.setTimeout(() => {
      try { this.maintain() } catch (err) { this.debug(`maintenance failed: ${String(err)}`) }
      this.loop()
    }, 1000)
  }

  protected maintain (): void {
    const now = this.clock.now()
    this.submitter.maintain(this.init.resendMs ?? 3000)
    const syncMs = this.init.syncIntervalMs ?? 5000
    // the periodic pull backs off while it finds nothing (pull-backoff.ts): a height change (a
    // commit, a new epoch) or not being synced yet puts it back to syncMs
    this.syncBackoff.seeHeight(this.chain?.height ?? -1)
    if (!this.synced) this.syncBackoff.gap()
    if (now - this.lastSync >= this.syncBackoff.intervalMs) {
      this.lastSync = now
      // a synced replica that decided a slot itself within the interval, or is deciding its current
      // slot along with the others (their messages about it, none about a later one), is at the
      // mesh's head (a decision takes a quorum in that slot; later epochs' frames and records more
      // than one ahead trigger their own pulls): the periodic pull would only open a stream to
      // learn that (at n = 16, 9–13 pulls per decision, each a new data channel and a store read)
      if (this.synced && (now - this.decidedAt < syncMs || this.instance?.inStep(syncMs) === true)) this.frames.counts.syncSkips++
      else { this.pullAny(); this.syncBackoff.pulled() }
    }
    const chain = this.chain
    if (chain == null) return
    this.upkeep.join(chain)
    if (this.instance != null) {
      this.upkeep.removeSilent(chain.current)
      this.upkeep.submitEvidence(chain.current)
      if (now - this.tickAt >= 1000) { this.tickAt = now; this.tick = this.upkeep.measureTick(chain.current) }
      this.instance.schedule()
    }
    if (this.init.hostile != null) this.beHostile(chain.current)
  }

  // ---------------------------------------------------------------- API

  async submit (entry: Entry, opts: SubmitOptions = {}): Promise<CommittedEntry> {
    if (!this.running) throw new LedgerStoppedError('ledger is not running')
    if ((entry?.kind === 'remove' || entry?.kind === 'evidence') && !(this.chain?.isReplica(this.self) ?? false)) {
      throw new NotReplicaError(`only a replica of the current epoch submits ${entry.kind} entries`)
    }
    const why = this.precheck(entry)
    if (why != null) throw new EntryRefusedError(why)
    return await this.submitter.submit(entry, opts.timeoutMs)
  }

  /** The checks an entry must pass before it is proposed (the same ones apply again at commit). */
  protected precheck (entry: Entry): string | null {
    if (typeof entry?.kind !== 'string' || !(entry.data instanceof Uint8Array)) return 'an entry is { kind: string, data: Uint8Array }'
    try {
      switch (entry.kind) {
        case 'note': readJson(entry.data, MAX_NOTE_BYTES); return null
        case 'config': { const b = readConfig(entry.data); return checkSetting(b.key, b.value) }
        case 'join': case 'leave': case 'remove': case 'evidence': return null
        default: {
          const v = this.kinds.get(entry.kind)
          return v == null ? `unknown entry kind ${entry.kind}` : v(entry.data, this.self)
        }
      }
    } catch (err) {
      return err instanceof Error ? err.message : String(err)
    }
  }

  status (): LedgerStatus {
    return ledgerStatus({
      chain: this.chain,
      meshId: this.init.meshId,
      protocol: this.init.protocol,
      instance: this.instance,
      prev: this.prev,
      now: this.clock.now(),
      latencies: this.submitter.latencies,
      commitTimes: this.commitTimes,
      rejected: this.rejected,
      journalConflicts: this.journal.stats.conflicts,
      wire: this.c.transport.wire?.(),
      tickMs: this.pacer.tickMs(this.tick),
      baseTickMs: this.tick,
      viewBackoff: this.pacer.factor,
      commitTiming: this.commitTiming,
      decisionTiming: this.decisionTiming,
      checks: this.checks,
      microblockChecks: this.mbChecks,
      proofs: this.memo?.proofs,
      frames: this.frames.counts,
      pending: this.pool.entries + this.submitter.pending
    })
  }

  async log (from: number, limit: number, index = 0): Promise<CommittedEntry[]> { return await readLog(this.entries, this.c.store, from, limit, index) }

  async verify (): Promise<{ height: number, head: string, blocks: number }> {
    return await verifyStore(this.c.store, { genesisPeerId: this.init.genesisPeerId, math: this.c.quorumMath, ...(this.c.signatures != null ? { signatures: this.c.signatures } : {}), kinds: this.kinds })
  }

  config (key: string): unknown { return this.chain?.config(key) }

  // ---------------------------------------------------------------- replica duties

  /** Test-only: garbage frames to every replica (the flood mode sends every frame 4 times, see enterEpoch). */
  protected beHostile (e: EpochInfo): void {
    if (this.init.hostile !== 'garbage') return
    for (const r of e.replicas) {
      if (r.peerId === this.self) continue
      for (let i = 0; i < 20; i++) {
        const junk = new Uint8Array(1 + Math.floor(Math.random() * 200))
        for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(Math.random() * 256)
        this.c.transport.send(r.peerId, junk)
      }
    }
  }
}
