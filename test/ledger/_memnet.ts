/**
 * An in-memory network for ledger tests (no libp2p): every `LedgerNode` gets a `LedgerTransport`
 * whose frames are delivered after a delay drawn from a seeded PRNG (so messages reorder), gossip
 * reaches every online node, and sync requests call the target's `serveSync`. Nodes can be taken
 * offline (their frames are lost both ways), links can be cut, and pairs can be left unlinked (a
 * sync request between them must dial). Keys come from seeds.
 */
import * as prng from 'lib0/prng'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { sha256 } from '@noble/hashes/sha2.js'
import { binomialCdf, binomialSf, initCoreWasm } from '../../core-wasm/index.ts'
import { LedgerNode, type LedgerNodeInit } from '../../core/ledger/ledger-node.ts'
import type { Clock } from '../../core/ledger/live-replica.ts'
import { MemoryStore } from '../../core/ledger/memory-store.ts'
import type { SlotTracer } from '../../core/ledger/slot-trace.ts'
import type { SignatureVerifier } from '../../core/consensus/crypto.ts'
import type { LedgerTransport } from '../../core/ledger/transport.ts'

export const quorumMath = { binomialSf, binomialCdf }
export async function ready (): Promise<void> { await initCoreWasm() }

export async function seededKey (seed: string): Promise<PrivateKey> {
  return await generateKeyPairFromSeed('Ed25519', sha256(new TextEncoder().encode(seed)))
}

export interface MemPeer { id: string, key: PrivateKey, node: LedgerNode, store: MemoryStore, frames: { sent: number, received: number } }

export class MemNet {
  readonly peers = new Map<string, MemPeer>()
  readonly offline = new Set<string>()
  private readonly rng: prng.PRNG
  /** pending deliveries: real timers, or handles of the injected clock */
  private readonly timers = new Set<unknown>()
  /** frames (from → to) that were refused delivery because a link was cut */
  readonly cut = new Set<string>()
  /** links (from → to) that look up (connected) but lose every frame: a link that died without closing */
  readonly blackhole = new Set<string>()
  /**
   * pairs (`a>b`, either order) with no link between them that a dial can make: frames and gossip
   * still get through (other peers forward them), `connectedPeers` leaves the pair out, and a sync
   * request between them fails unless it asks for a `direct` link, which links the pair
   */
  readonly unlinked = new Set<string>()
  /** peers whose sync answers never come (an overloaded peer): a request to one fails after `maxDelayMs` × 10 */
  readonly syncMuted = new Set<string>()

  /** sync requests made, by `from>to` */
  readonly asked = new Map<string, number>()
  /** the peers' topology view is empty (a mesh whose announcements reach nobody): `knownPeers` gives none */
  unseen = false

  /**
   * `clock`: a virtual clock (`_event-clock.ts`) that delivers the frames and drives every node
   * added (their timers and `now`); without one, real timers and wall time.
   */
  constructor (seed: number, readonly maxDelayMs = 3, readonly clock?: Clock) { this.rng = prng.create(seed) }

  private later (fn: () => void, ms = prng.int32(this.rng, 0, this.maxDelayMs)): void {
    const c = this.clock
    const t: unknown = c != null ? c.setTimeout(() => { this.timers.delete(t); fn() }, ms) : setTimeout(() => { this.timers.delete(t); fn() }, ms)
    this.timers.add(t)
  }

  /** frames and gossip sent and not yet delivered (or dropped) */
  get inFlight (): number { return this.timers.size }

  private linked (a: string, b: string): boolean { return !this.unlinked.has(`${a}>${b}`) && !this.unlinked.has(`${b}>${a}`) }

  private up (a: string, b: string): boolean {
    return !this.offline.has(a) && !this.offline.has(b) && !this.cut.has(`${a}>${b}`) && !this.cut.has(`${b}>${a}`)
  }

  transport (id: string): LedgerTransport & { peer?: MemPeer } {
    const net = this
    const t: LedgerTransport & { peer?: MemPeer } = {
      self: id,
      send (to, frame) {
        const from = net.peers.get(id)
        if (from != null) from.frames.sent++
        net.later(() => {
          const p = net.peers.get(to)
          if (p == null || !net.up(id, to) || net.blackhole.has(`${id}>${to}`)) return
          p.frames.received++
          p.node.onFrame(id, frame)
        })
      },
      publish (record) {
        for (const p of net.peers.values()) {
          if (p.id === id) continue
          net.later(() => { if (net.up(id, p.id)) void p.node.onRecord(id, record) })
        }
      },
      async request (to, payload, opts) {
        net.asked.set(`${id}>${to}`, (net.asked.get(`${id}>${to}`) ?? 0) + 1)
        const p = net.peers.get(to)
        if (p == null || !net.up(id, to)) throw new Error(`${to} unreachable`)
        if (!net.linked(id, to)) {
          if (opts?.direct !== true) throw new Error(`no link to ${to}`)
          net.unlinked.delete(`${id}>${to}`) // the dial links the pair
          net.unlinked.delete(`${to}>${id}`)
        }
        if (net.syncMuted.has(to)) {
          await new Promise<void>(resolve => { net.later(resolve, net.maxDelayMs * 10) })
          throw new Error(`request to ${to} timed out`)
        }
        return await p.node.serveSync(id, payload)
      },
      connectedPeers: () => [...net.peers.keys()].filter(p => p !== id && net.up(id, p) && net.linked(id, p)),
      // the mesh's topology view: every peer of the net, linked or not (none while `unseen`)
      knownPeers: () => net.unseen ? [] : [...net.peers.keys()].filter(p => p !== id),
      rttMs: () => 2,
      protect: () => {},
      disconnect: peer => { net.cut.add(`${id}>${peer}`) }
    }
    return t
  }

  async add (seed: string, init: LedgerNodeInit, opts: { key?: PrivateKey, store?: MemoryStore, signatures?: SignatureVerifier, trace?: SlotTracer } = {}): Promise<MemPeer> {
    const key = opts.key ?? await seededKey(seed)
    const id = peerIdFromPrivateKey(key).toString()
    const store = opts.store ?? new MemoryStore()
    const node = new LedgerNode(init, { transport: this.transport(id), privateKey: key, store, quorumMath, ...(opts.signatures != null ? { signatures: opts.signatures } : {}), ...(opts.trace != null ? { trace: opts.trace } : {}), ...(this.clock != null ? { clock: this.clock } : {}) })
    const peer: MemPeer = { id, key, node, store, frames: { sent: 0, received: 0 } }
    this.peers.set(id, peer)
    this.offline.delete(id)
    await node.start()
    return peer
  }

  /** Stops a node without a goodbye (a crash): it goes offline and its timers stop. */
  async crash (id: string): Promise<void> {
    const p = this.peers.get(id)
    if (p == null) return
    this.offline.add(id)
    p.node.init.leaveOnStop = false
    await p.node.stop()
  }

  async stopAll (): Promise<void> {
    for (const p of this.peers.values()) { p.node.init.leaveOnStop = false; await p.node.stop() }
    for (const t of this.timers) {
      if (this.clock != null) this.clock.clearTimeout(t)
      else clearTimeout(t as ReturnType<typeof setTimeout>)
    }
    this.timers.clear()
  }
}
