/**
 * The commit queue of a `LedgerNode`: every committed block, whoever decided it, goes through one
 * queue and one check — verify (`checkRecord`) → `store.append` → chain apply → pool prune →
 * events → the next epoch's instance when the replica set changed (or a fresh instance of the same
 * epoch when gossip or sync moved the chain past ours). Blocks come from this peer's own decisions
 * (`onDecided` → `drain`, in slot order; the leader of the deciding view publishes), from gossip
 * and from sync pulls (`ingest`), and are verified alike. A decision for a slot already held must
 * be the same block (`checkAgreement`, counted as an anomaly otherwise).
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { leaderOf } from '../consensus/validate.ts'
import type { SlotCertificate } from '../consensus/replica.ts'
import { Chain, nextHead, type AppliedEntry, type ApplyResult } from './chain.ts'
import { writeRecord, type Block } from './codec.ts'
import type { EpochInfo } from './epochs.ts'
import type { BlockRecord, CommittedEntry } from './types.ts'
import { checkRecord } from './verify.ts'
import { committedEntry, LedgerNodeBase, RING } from './node-base.ts'

export abstract class CommitQueue extends LedgerNodeBase {
  protected onDecided (e: EpochInfo, slot: number, view: number, cert: SlotCertificate): void {
    this.decidedAt = this.clock.now()
    const leader = this.instance?.epoch === e && leaderOf(e.n, slot, view) === this.instance.index
    this.decisions.set(slot, { epoch: e.epoch, view, cert, leader })
    this.enqueue(async () => { await this.drain() })
  }

  protected enqueue<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn)
    this.queue = run.catch(err => { this.debug(`ledger queue: ${err instanceof Error ? err.stack ?? err.message : String(err)}`) })
    return run
  }

  protected async drain (): Promise<void> {
    const chain = this.chain
    if (chain == null) return
    for (const s of [...this.decisions.keys()]) if (s <= chain.height) this.checkAgreement(s)
    for (let d = this.decisions.get(chain.height + 1); d != null; d = this.decisions.get(chain.height + 1)) {
      const height = chain.height + 1
      this.decisions.delete(height)
      if (d.epoch !== chain.current.epoch) continue // an instance of an ended epoch went on deciding
      const record: BlockRecord = { height, epoch: d.epoch, block: d.cert.value, certificate: d.cert.commits, holder: d.cert.holder, head: nextHead(chain.head, height, d.cert.value) }
      const t = this.clock.now()
      const b = await this.check(record)
      if (typeof b === 'string') { this.count('badDecision'); this.debug(`own decision at ${height} does not verify: ${b}`); continue }
      await this.commit(record, b, d.leader)
      this.commitTiming.commits++; this.commitTiming.commitMs += this.clock.now() - t
    }
  }

  protected checkAgreement (slot: number): void {
    // a decision for a slot we already hold (from gossip/sync): it must be the same block
    const d = this.decisions.get(slot)
    this.decisions.delete(slot)
    if (d == null) return
    void this.c.store.get(slot).then(r => {
      if (r != null && bytesToHex(sha256(r.block)) !== bytesToHex(sha256(d.cert.value))) {
        this.anomalies.conflictingDecision++
        this.debug(`SAFETY: decided a different block at ${slot} than the committed one`)
      }
    }, () => {})
  }

  protected async check (record: BlockRecord): Promise<Block | string> {
    return await checkRecord(this.chain as Chain, record, this.crypto, this.verified)
  }

  protected async commit (record: BlockRecord, block: Block, publish: boolean): Promise<void> {
    const chain = this.chain as Chain
    await this.c.store.append(record)
    const res = chain.apply(record.height, block, record.block)
    this.pool.prune(block.microblocks, a => chain.lastSeq(a))
    const now = this.clock.now()
    const mine: AppliedEntry[] = []
    const toCommitted = (e: AppliedEntry, latencyMs?: number): CommittedEntry => committedEntry(record, e, now, latencyMs)
    const latency = new Map<number, number>()
    for (const e of res.entries) if (e.author === this.self) mine.push(e)
    this.submitter.onCommitted(mine, (e, l) => { if (l != null) latency.set(e.index, l); return toCommitted(e, l) })
    const committed = res.entries.map(e => toCommitted(e, latency.get(e.index)))
    this.entries.push(...committed)
    if (this.entries.length > RING) this.entries = this.entries.slice(-RING)
    this.commitTimes.push({ at: now, entries: committed.length })
    while (this.commitTimes.length > 0 && now - this.commitTimes[0].at > 10_000) this.commitTimes.shift()
    if (publish) this.c.transport.publish(writeRecord(record))
    this.announce(record, committed, res.configs, false)
    if (res.newEpoch != null) {
      this.instance?.endAt(record.height)
      this.enterEpoch(res.newEpoch, res.newEpoch.start)
    } else if (this.instance != null && this.instance.currentSlot <= chain.height) {
      // we got past our instance through gossip/sync: a fresh instance at the next slot (it voted
      // in no slot beyond its current one, so nothing it signed can conflict)
      // (the previous epoch's instance stays: it still answers that epoch's laggers)
      this.instance.stop()
      this.instance = undefined
      this.enterEpoch(chain.current, chain.height + 1, false, true)
    }
    this.offer()
    this.submitter.pump()
  }

  /** A record from gossip or sync: verified against our chain, never trusting the sender. */
  /** The `commit` and `config` events of one block (`replayed`: a stored block re-applied at start). */
  protected announce (record: BlockRecord, entries: CommittedEntry[], configs: ApplyResult['configs'], replayed: boolean): void {
    this.safeEmit('commit', { height: record.height, epoch: record.epoch, entries, ...(replayed ? { replayed } : {}) })
    for (const cfg of configs) this.safeEmit('config', { key: cfg.key, value: cfg.value, slot: record.height, ...(replayed ? { replayed } : {}) })
  }

  protected async ingest (record: BlockRecord): Promise<'accept' | 'ignore' | 'reject'> {
    return await this.enqueue(async () => {
      const chain = this.chain
      if (chain == null || record.height <= chain.height) return 'ignore'
      if (record.height > chain.height + 1) return 'ignore'
      const b = await this.check(record)
      if (typeof b === 'string') { this.count('badRecord'); this.debug(`record ${record.height} refused: ${b}`); return 'reject' }
      await this.commit(record, b, false)
      return 'accept'
    })
  }
}
