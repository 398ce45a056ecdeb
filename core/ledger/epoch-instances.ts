/**
 * Epochs and their instances in a `LedgerNode`: entering an epoch (protecting its replicas' links,
 * tracking their liveness, the previous epoch's instance kept to answer its laggers, the next
 * epoch's early frames replayed), the `LiveReplica` wiring (sends through the vote journal and the
 * router, decisions into the commit queue, the view pacer), what a leader proposes (`proposalFor`,
 * `offer`: only with every earlier decision applied and work in the pool) and the checks of a
 * proposed value (a block of this epoch whose microblocks verify).
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { vrfAlpha, PHASE_COMMIT, PHASE_PREPARE, type AsyncSignatureCheck, type MemoizedCrypto } from '../consensus/crypto.ts'
import { signaturesOf } from '../consensus/signatures-of.ts'
import { blockCap } from './block-cap.ts'
import { FRAME_CONSENSUS, MAX_BLOCK_BYTES, readBlock, writeBlock, writeFrame, type Block, type Microblock } from './codec.ts'
import type { EpochInfo } from './epochs.ts'
import { verifyMicroblock } from './keys.ts'
import { hostileSend } from './hostile.ts'
import { LiveReplica } from './live-replica.ts'
import { CommitQueue } from './commit-queue.ts'

export abstract class EpochInstances extends CommitQueue {
  protected enterEpoch (e: EpochInfo, firstSlot: number, announce = true, keepPrev = false): void {
    const wasReplica = this.instance != null
    if (!keepPrev) {
      this.prev?.stop()
      this.prev = this.instance
    }
    this.instance = undefined
    this.epochAt = this.clock.now()
    const others = e.replicas.map(r => r.peerId).filter(p => p !== this.self)
    this.c.transport.protect(others)
    const index = e.replicas.findIndex(r => r.peerId === this.self)
    this.liveness.track(index >= 0 ? others : [])
    this.voteLapses.track(index >= 0 ? others : [])
    this.muteLeaders.keepOnly(others)
    if (wasReplica && index < 0 && !this.stopping) {
      // removed (we did not leave) while still running: we answer, so ask to join again at once
      this.debug(`removed from the replica set at epoch ${e.epoch}: joining again`)
      this.upkeep.rejoinNow()
    }
    if (index >= 0) {
      this.instance = new LiveReplica(e, index, firstSlot, {
        timing: this.decisionTiming,
        recentDecideMs: this.recentDecideMs,
        ...(this.memo != null && this.c.asyncSignatures != null ? { preverify: this.preverifier(e, this.memo, this.c.asyncSignatures) } : {}),
        ...(this.memo != null && e.protocol === 'probft' && this.init.prewarmProofs !== false ? { prewarm: this.prewarmer(this.memo) } : {}),
        clock: this.clock,
        crypto: this.crypto,
        keys: this.keys,
        proposalFor: (slot, view) => this.proposalFor(e, slot, view),
        checkValue: async (value, kind) => await this.checkValue(e, value, kind),
        send: (peers, message) => {
          const send = (to: string[], msg: Uint8Array): void => {
            const frame = writeFrame({ type: FRAME_CONSENSUS, epoch: e.epoch, message: msg })
            for (const p of to) for (let i = 0; i < (this.init.hostile === 'flood' ? 4 : 1); i++) this.router.sendFrame(p, frame)
          }
          this.journal.gate(index, message, () => {
            if (this.init.hostile == null) send(peers, message)
            else hostileSend({ mode: this.init.hostile, epoch: e.epoch, index, keys: this.keys, crypto: this.crypto, others, send }, peers, message)
          })
        },
        decided: (slot, view, cert) => { this.pacer.decided(this.tick, this.recentDecideMs); this.voteLapses.decided(); this.onDecided(e, slot, view, cert) },
        viewChanged: count => { this.pacer.viewChanged(count) },
        leaderGone: peer => this.liveness.stoppedAnswering(peer) || this.muteLeaders.mute(peer),
        leaderLapsed: peer => { this.muteLeaders.lapse(peer) },
        leaderProposed: peer => { this.muteLeaders.proposed(peer) },
        keepLateVotes: () => this.init.keepLateVotes === true,
        ...(this.c.trace != null ? { trace: this.c.trace } : {}),
        busy: () => this.pool.size > 0 || this.submitter.busy,
        tickMs: () => this.pacer.tickMs(this.tick),
        reject: reason => { this.count(reason) }
      })
      this.instance.start()
      // frames that arrived before this epoch started: only from its replicas (others are counted now)
      for (const f of this.future.filter(f => f.epoch === e.epoch)) {
        if (e.replicas.some(r => r.peerId === f.from)) this.background('buffered frame', this.instance.receive(f.message))
        else this.reject('notReplica', f.from)
      }
    }
    this.future = []
    if (announce) this.safeEmit('epoch', { epoch: e.epoch, start: e.start, replicas: e.replicas.map((r, i) => ({ peerId: r.peerId, index: i, since: r.since })) })
    this.offer()
  }

  /** The next slot's view-0 PREPARE and COMMIT proofs, computed while waiting for its proposal. */
  protected prewarmer (memo: MemoizedCrypto): (slot: number) => void {
    return slot => {
      for (const phase of [PHASE_PREPARE, PHASE_COMMIT]) memo.prewarmProof(this.keys.vrfSecret, vrfAlpha(phase, slot, 0))
    }
  }

  protected preverifier (e: EpochInfo, memo: MemoizedCrypto, check: AsyncSignatureCheck): (message: Uint8Array) => Promise<void> {
    return async message => { await memo.preverify(signaturesOf(message, e.replicas), check) }
  }

  protected proposalFor (e: EpochInfo, slot: number, view: number): Uint8Array | null {
    if (view === 0 && !this.offering) return null
    const chain = this.chain
    if (chain == null) return null
    const mbs = view === 0 && chain.height + 1 !== slot ? [] : this.pool.take(this.proposalBytes(e) - 64, a => chain.lastSeq(a))
    if (view === 0 && mbs.length === 0) return null
    return writeBlock(e.epoch, mbs.map(m => m.bytes))
  }

  /** Proposes if we lead the current slot, every earlier decision is applied, and the pool has work. */
  protected offer (): void {
    const inst = this.instance
    if (inst == null || this.chain == null || this.pool.size === 0 || this.chain.height + 1 !== inst.currentSlot) return
    this.offering = true
    try { inst.offer() } finally { this.offering = false }
  }

  /** the most bytes a block we propose in epoch `e` holds: `ledger.maxBlockBytes`, within the epoch's cap */
  protected proposalBytes (e: EpochInfo): number {
    return Math.min(Number(this.chain?.config('ledger.maxBlockBytes') ?? MAX_BLOCK_BYTES), blockCap(e.replicas.length))
  }

  protected async checkValue (e: EpochInfo, value: Uint8Array, kind: 'propose' | 'newView' | 'decision'): Promise<string | null> {
    // a decided value is checked by its certificate; one still being agreed on must fit a NEW-VIEW
    if (kind !== 'decision' && value.length > blockCap(e.replicas.length)) return 'block over the epoch\'s cap'
    let b: Block
    try { b = readBlock(value) } catch { return 'block does not decode' }
    if (b.epoch !== e.epoch) return 'block of another epoch'
    for (const mb of b.microblocks) {
      if (kind !== 'decision' && this.chain != null && mb.seq <= this.chain.lastSeq(mb.author)) return 'stale microblock'
      if (!await this.verifyMb(mb)) return 'bad microblock signature'
    }
    return null
  }

  protected async verifyMb (mb: Microblock): Promise<boolean> {
    const key = bytesToHex(sha256(mb.bytes))
    if (this.verified.has(key)) return true
    const t = performance.now()
    const ok = await verifyMicroblock(mb)
    this.mbChecks.count++; this.mbChecks.ms += performance.now() - t
    if (!ok) return false
    this.verified.add(key)
    return true
  }
}
