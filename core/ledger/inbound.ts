/**
 * Inbound frames of a `LedgerNode`, checked before any work: FORWARD (relayed for others, routing.ts)
 * and FORWARDED (taken only from replicas; rejections count against the forwarder), PROBE / PROBE-ACK
 * (liveness.ts), MICROBLOCK (signature checked, pooled; relayed to the other replicas only by a
 * replica that got it straight from a non-replica: routing.ts's `relaysMicroblock`) and CONSENSUS
 * (to the instance of the frame's epoch, only from its replicas; the next epoch's buffered; a later
 * epoch means we lag: pull from the sender; an older epoch's replicas are counted, not rejected).
 */
import { FRAME_FORWARD, FRAME_FORWARDED, FRAME_MICROBLOCK, FRAME_PROBE, FRAME_PROBE_ACK, readFrame, readMicroblock, writeFrame, type Microblock } from './codec.ts'
import { Pool } from './pool.ts'
import { relaysMicroblock } from './routing.ts'
import { FUTURE_FRAMES } from './node-base.ts'
import { SyncPulls } from './sync-pull.ts'

export abstract class InboundFrames extends SyncPulls {
  /**
   * Microblocks (by hash) whose signature is being checked: a second copy that arrives meanwhile
   * (a follower's re-send next to a replica's relay) is the same bytes with the same verdict, so it
   * is dropped as a duplicate instead of checked again (and relayed again, had it won the race).
   */
  private readonly arriving = new Set<string>()

  /**
   * One frame from `from` (for a forwarded frame: its origin; rejections then count against the
   * forwarder, `accountable`, which decoded it before forwarding).
   */
  onFrame (from: string, bytes: Uint8Array, accountable = from): void {
    if (!this.running) return
    if (accountable === from) this.frames.note(from, bytes)
    this.liveness.heard(from)
    let f
    try { f = readFrame(bytes) } catch { this.reject('malformed', accountable); return }
    if (accountable !== from && (f.type === FRAME_FORWARD || f.type === FRAME_FORWARDED)) { this.reject('malformed', accountable); return }
    if (f.type === FRAME_FORWARD) { this.router.forward(from, f.peer, f.frame); return }
    // a probe is answered whoever sends it (a lagging peer may not know the prober is a replica yet)
    if (f.type === FRAME_PROBE) {
      // answered the way it came: a forwarded probe back through its forwarder
      const ack = writeFrame({ type: FRAME_PROBE_ACK, nonce: f.nonce })
      if (accountable !== from) this.c.transport.send(accountable, writeFrame({ type: FRAME_FORWARD, peer: from, frame: ack }))
      else this.router.sendFrame(from, ack)
      return
    }
    if (f.type === FRAME_PROBE_ACK) { this.liveness.ack(from, f.nonce); return }
    if (f.type === FRAME_FORWARDED) {
      // delivered by a replica on behalf of `origin`; the forwarder checked it decodes
      if (!(this.chain?.isReplica(from) ?? false) && !(this.prev?.epoch.replicas.some(r => r.peerId === from) ?? false)) { this.reject('notReplica', from); return }
      this.onFrame(f.peer, f.frame, from)
      return
    }
    if (f.type === FRAME_MICROBLOCK) { this.background('microblock', this.onMicroblock(from, accountable, f.microblock)); return }
    const chain = this.chain
    if (chain == null) return
    const e = chain.current
    const target = f.epoch === e.epoch ? this.instance : f.epoch === this.prev?.epoch.epoch ? this.prev : undefined
    if (target != null) {
      if (!target.epoch.replicas.some(r => r.peerId === from)) { this.reject('notReplica', accountable); return }
      this.voteLapses.heard(from, target.epoch.replicas, f.message)
      this.background('consensus frame', target.receive(f.message))
    } else if (f.epoch > e.epoch) {
      // the sender has committed past the end of our epoch: we lag. Its frames are not its fault;
      // the next epoch's are kept for when we get there, and we fetch what we miss from it now
      // (waiting for gossip or the periodic pull left lagging peers behind for good: docs/ledger.md)
      if (f.epoch === e.epoch + 1 && this.future.length < FUTURE_FRAMES) this.future.push({ from, epoch: f.epoch, message: f.message })
      else this.count('aheadOfUs')
      this.catchUpFrom(from, accountable)
    } else if (f.epoch === e.epoch) {
      this.count('notReplica') // we are not a replica of this epoch (yet): not the sender's fault
    } else if (chain.epochInfo(f.epoch)?.replicas.some(r => r.peerId === from) ?? false) {
      this.count('behindUs') // a replica of an older epoch that has not caught up yet: it will pull from us
    } else this.reject('wrongEpoch', accountable)
  }

  /**
   * A frame from a later epoch than ours came from `from`: pull from it (one such pull at a time, at
   * most one a second). A peer whose claim does not hold — it answers that it holds no more than
   * we do — is charged a rejection, so a peer cannot send made-up future epochs for free.
   */
  protected catchUpFrom (from: string, accountable: string): void {
    const now = this.clock.now()
    this.syncBackoff.gap()
    if (this.catchingUp || now - this.catchUpAt < 1000) return
    this.catchingUp = true
    this.catchUpAt = now
    const before = this.chain?.height ?? -1
    this.pull(from).then(said => {
      // an honest sender stores the block that ended our epoch before it enters the next, so it
      // holds more than we did; one that answers with less claimed an epoch it is not in (no answer
      // — a busy peer, no route — charges nobody)
      if (said != null && said <= before) this.reject('wrongEpoch', accountable)
    }, () => {}).finally(() => { this.catchingUp = false })
  }

  /**
   * A microblock from `origin` (for a forwarded one, the peer it was forwarded for; `accountable`,
   * the peer that delivered it, answers for a bad one).
   */
  protected async onMicroblock (origin: string, accountable: string, bytes: Uint8Array): Promise<void> {
    let mb: Microblock
    try { mb = readMicroblock(bytes) } catch { this.reject('malformed', accountable); return }
    const chain = this.chain
    if (chain == null || this.instance == null) return
    const key = Pool.keyOf(mb)
    if (this.pool.has(key) || this.arriving.has(key)) return
    if (mb.seq <= chain.lastSeq(mb.author)) { this.count('staleMicroblock'); return }
    this.arriving.add(key)
    let ok: boolean
    try { ok = await this.verifyMb(mb) } finally { this.arriving.delete(key) }
    if (!ok) { this.reject('badSignature', accountable); return }
    const r = this.pool.add(mb, chain.lastSeq(mb.author))
    if (r !== 'added') { if (r !== 'duplicate') this.count(r); return }
    // a replica's own microblock went to every replica; a follower's went to one replica (or, on a
    // re-send, two), which relays it to the rest: each replica gets it once (routing.ts)
    if (relaysMicroblock(origin, chain)) this.router.sendToReplicas(writeFrame({ type: FRAME_MICROBLOCK, microblock: mb.bytes }), new Set([origin]))
    this.offer()
    this.instance.schedule()
  }
}
