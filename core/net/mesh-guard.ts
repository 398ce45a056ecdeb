/**
 * The mesh's gate for what peers send: gossipsub topic validators for the topics the mesh owns
 * (topology, broadcast, peer discovery, and any topic subscribed with a budget) and the checks in
 * front of every request/response handler.
 *
 * Validate before propagating (go-f3's habit): a gossip message is decoded once, here, before
 * gossipsub delivers or forwards it. The verdict follows gossipsub's contract:
 * - **Reject** what no honest peer sends or forwards — unsigned, undecodable, an announcement
 *   about a peer that did not sign it, or a direct sender over its own budget. Gossipsub then
 *   lowers the forwarder's score (P4, invalid deliveries; see libp2p-options.ts) and below -80
 *   ignores it.
 * - **Ignore** a message whose *author* is over budget but that reached us through an honest
 *   forwarder: it is dropped and not forwarded, and the forwarder is not penalised.
 * Every non-Accept is counted in `novacron_rejected_messages_total{protocol, reason}`; a rejection
 * charged to a directly connected peer is also a strike (peer-guard.ts), and a peer that reaches
 * the strike limit is disconnected (`novacron_peer_disconnects_total{reason="misbehaving"}`).
 *
 * Decoded mesh messages are cached per message object, so the node's handler does not decode twice.
 */
import { TopicValidatorResult, type Message, type TopicValidatorFn } from '@libp2p/gossipsub'
import { readMeshMessage, type MeshMessage } from './mesh-codec.ts'
import { readPeerAnnouncement } from './discovery-codec.ts'
import { PeerGuard, type Budget } from './peer-guard.ts'
import type { MeshMetrics, RejectReason } from './mesh-metrics.ts'
import type { Logger, PeerId } from '@libp2p/interface'

/**
 * Gossip budgets per author. An honest peer sends at most 4 topology messages per topology interval
 * (a change per quarter interval, keep-alives skipped meanwhile) and at most 2 discovery
 * announcements per half discovery interval; the budgets leave room for the short intervals tests
 * use (1 s: 4/s and 3/s) because a receiver cannot know the sender's configuration.
 */
export const TOPIC_BUDGETS: Readonly<Record<'topology' | 'broadcast' | 'discovery', Budget>> = {
  topology: { ratePerSec: 10, burst: 40 },
  broadcast: { ratePerSec: 20, burst: 50 },
  discovery: { ratePerSec: 5, burst: 20 }
}

export type TopicKind = 'mesh' | 'discovery' | 'other'

/**
 * A subscriber's verdict on a gossip payload: accept it; `ignore` it (dropped and not forwarded,
 * nobody penalised: stale, or not checkable yet); or why it is rejected.
 */
export type GossipVerdict = 'accept' | 'ignore' | 'malformed' | 'forged'
/** A subscriber's check of a gossip payload (`from`: its author), run before it is delivered or forwarded. */
export type GossipCheck = (data: Uint8Array, from: string) => GossipVerdict | Promise<GossipVerdict>

export interface MeshGuardInit {
  metrics: MeshMetrics
  log: Logger
  /** Budgets per topic and per request protocol id. */
  budgets: Map<string, Budget>
  strikeLimit: number
  /** Closes every connection to a peer that reached the strike limit. */
  disconnect: (peer: string) => Promise<void>
  now?: () => number
}

export class MeshGuard {
  private readonly guard: PeerGuard
  private readonly decoded = new WeakMap<Message, MeshMessage>()
  private readonly now: () => number

  constructor (private readonly init: MeshGuardInit) {
    this.guard = new PeerGuard({ budgets: init.budgets, strikeLimit: init.strikeLimit })
    this.now = init.now ?? Date.now
  }

  /** Sets (or replaces) the budget of a topic or protocol id. */
  setBudget (key: string, budget: Budget): void { this.init.budgets.set(key, budget) }

  /** The decoded mesh message the validator accepted (undefined when it was not validated here). */
  meshMessage (msg: Message): MeshMessage | undefined { return this.decoded.get(msg) }

  /**
   * A gossipsub topic validator for `topic`. `check` is the subscriber's own validation of the
   * payload (e.g. the state layer's decode and signature checks, the ledger's record verification):
   * it runs after the budget; 'ignore' drops the message unpenalised, any other verdict but
   * 'accept' rejects it, so a forged or undecodable message is never forwarded.
   */
  validator (topic: string, kind: TopicKind, check?: GossipCheck): TopicValidatorFn {
    const base = this.baseValidator(topic, kind)
    if (check == null) return base
    return async (source: PeerId, msg: Message) => {
      const verdict = base(source, msg)
      if (verdict !== TopicValidatorResult.Accept || msg.type !== 'signed') return verdict
      let outcome: GossipVerdict
      try {
        outcome = await check(msg.data, msg.from.toString())
      } catch (err) {
        this.init.log('check of a message on %s from %s threw: %s', topic, msg.from.toString(), err instanceof Error ? err.message : String(err))
        outcome = 'malformed'
      }
      if (outcome === 'accept') return TopicValidatorResult.Accept
      if (outcome === 'ignore') return TopicValidatorResult.Ignore
      return this.reject(topic, outcome, source.toString())
    }
  }

  private baseValidator (topic: string, kind: TopicKind): (source: PeerId, msg: Message) => TopicValidatorResult {
    return (source: PeerId, msg: Message) => {
      const via = source.toString()
      if (msg.type !== 'signed') return this.reject(topic, 'unsigned', via)
      const from = msg.from.toString()
      try {
        if (kind === 'mesh') this.decoded.set(msg, readMeshMessage(msg.data))
        else if (kind === 'discovery') {
          const subject = readPeerAnnouncement(msg.data).subject
          if (subject !== from) {
            this.init.log('discovery announcement about %s signed by %s (via %s): rejected', subject, from, via)
            return this.reject(topic, 'forged', via)
          }
        }
      } catch (err) {
        this.init.log('malformed message on %s from %s (via %s): %s', topic, from, via, err instanceof Error ? err.message : String(err))
        return this.reject(topic, 'malformed', via)
      }
      if (!this.guard.allow(topic, from, this.now())) {
        // the author is over budget: penalise it only when it sent this itself
        if (from === via) return this.reject(topic, 'rate', via)
        this.init.metrics.rejected.inc({ protocol: topic, reason: 'rate' })
        return TopicValidatorResult.Ignore
      }
      return TopicValidatorResult.Accept
    }
  }

  /**
   * Checks a request before its handler runs: false (and counted, and a strike) when `peer` is over
   * its budget for `protocol`.
   */
  admitRequest (protocol: string, peer: string): boolean {
    if (this.guard.allow(protocol, peer, this.now())) return true
    this.count(protocol, 'rate', peer)
    return false
  }

  /** Counts a failed request stream by its error; malformed input is also a strike. */
  requestFailed (protocol: string, peer: string, err: Error): void {
    const reason: RejectReason = err.name === 'FrameTooLargeError'
      ? 'oversize'
      : err.name === 'TruncatedFrameError'
        ? 'truncated'
        : err.name === 'MalformedMessageError' ? 'malformed' : err.name === 'RequestTimeoutError' ? 'timeout' : 'error'
    // a timeout or a reset stream also happens to honest peers on a loaded machine: counted, no strike
    if (reason === 'timeout' || reason === 'error') this.init.metrics.rejected.inc({ protocol, reason })
    else this.count(protocol, reason, peer)
  }

  /** Counts a rejection charged to `peer` (a direct sender) and disconnects it past the strike limit. */
  count (protocol: string, reason: RejectReason, peer: string): void {
    this.init.metrics.rejected.inc({ protocol, reason })
    if (!this.guard.strike(peer, this.now())) return
    this.guard.forgive(peer)
    this.init.metrics.disconnects.inc({ reason: 'misbehaving' })
    this.init.log('disconnecting %s: %d rejected messages within the strike window', peer, this.guard.strikeLimit)
    this.init.disconnect(peer).catch(err => { this.init.log('closing %s failed: %s', peer, err instanceof Error ? err.message : String(err)) })
  }

  private reject (topic: string, reason: RejectReason, via: string): TopicValidatorResult {
    this.count(topic, reason, via)
    return TopicValidatorResult.Reject
  }
}
