/**
 * A yjs-TestConnector-style harness for consensus: the test, not a clock, decides what happens
 * next (deliver a random pending message, disconnect or reconnect a random replica, advance the
 * clock), all from a seeded PRNG. Byzantine replicas are the simulator's Adversary. After the
 * random phase the network stabilises (everyone reconnected, every message delivered) and the
 * test checks termination and agreement among honest replicas.
 */
import * as prng from 'lib0/prng'
import { sha256 } from '@noble/hashes/sha2.js'
import { createConsensusCrypto, deriveReplicaKeys, memoizeVerification } from '../../core/consensus/crypto.ts'
import { Replica, type Action } from '../../core/consensus/replica.ts'
import { hex, type Protocol } from '../../core/consensus/validate.ts'
import { Adversary, type Strategy } from '../../core/consensus/sim/adversary.ts'

export interface ConnectorInit {
  n: number
  f: number
  byzantine: number
  protocol: Protocol
  sampleSize: number
  quorum: number
  strategy: Strategy
  seed: number
}

interface Pending { from: number, to: number, bytes: Uint8Array }

export class TestConnector {
  readonly honest: number[]
  readonly replicas = new Map<number, Replica>()
  readonly decided = new Map<number, Map<number, string>>()
  private pending: Pending[] = []
  private readonly online = new Set<number>()
  private readonly timers = new Map<number, number>()
  private readonly adversary: Adversary
  private readonly byz: Set<number>
  readonly rng: prng.PRNG
  now = 0

  constructor (init: ConnectorInit) {
    const { n, f, protocol, sampleSize, quorum, seed } = init
    this.rng = prng.create(seed)
    const keys = Array.from({ length: n }, (_, i) => deriveReplicaKeys(sha256(new TextEncoder().encode(`connector ${seed} ${i}`))))
    const identities = keys.map(k => ({ signPublic: k.signPublic, vrfPublic: k.vrfPublic }))
    const crypto = memoizeVerification(createConsensusCrypto())
    const byzantine: number[] = []
    while (byzantine.length < init.byzantine) {
      const b = prng.int32(this.rng, 0, n - 1)
      if (!byzantine.includes(b)) byzantine.push(b)
    }
    this.byz = new Set(byzantine)
    this.honest = Array.from({ length: n }, (_, i) => i).filter(i => !this.byz.has(i))
    for (const id of this.honest) {
      this.online.add(id)
      this.replicas.set(id, new Replica({ id, n, f, protocol, sampleSize, quorum, viewTimeout: 16, nudgeTimeout: 6 },
        { keys: keys[id], identities, crypto, proposalFor: (slot, view) => sha256(new TextEncoder().encode(`${seed} ${id} ${slot} ${view}`)) }))
    }
    this.adversary = new Adversary({
      n, f, protocol, sampleSize, quorum, strategy: init.strategy, byzantine, keys, crypto, seed, garbageRate: 1,
      send: (from, to, bytes) => this.pending.push({ from, to, bytes })
    })
    for (const id of this.honest) this.apply(id, (this.replicas.get(id) as Replica).start(0))
  }

  private apply (id: number, actions: Action[]): void {
    for (const a of actions) {
      if (a.type === 'send') { for (const to of a.to) this.pending.push({ from: id, to, bytes: a.bytes }) }
      else if (a.type === 'timer') this.timers.set(id, a.at)
      else {
        let m = this.decided.get(a.slot)
        if (m == null) { m = new Map(); this.decided.set(a.slot, m) }
        m.set(id, hex(a.digest))
      }
    }
  }

  /** Delivers one random pending message; messages from or to an offline replica are lost. */
  flushRandomMessage (): boolean {
    if (this.pending.length === 0) return false
    const i = prng.int32(this.rng, 0, this.pending.length - 1)
    const [m] = this.pending.splice(i, 1)
    const r = this.replicas.get(m.to)
    if (r == null) this.adversary.onDeliver(m.to, m.bytes)
    else if (this.online.has(m.to) && (this.online.has(m.from) || this.byz.has(m.from))) this.apply(m.to, r.receive(m.bytes, this.now))
    return true
  }

  disconnectRandom (): void {
    const id = prng.oneOf(this.rng, this.honest)
    this.online.delete(id)
  }

  reconnectRandom (): void {
    const id = prng.oneOf(this.rng, this.honest)
    this.online.add(id)
  }

  reconnectAll (): void { for (const id of this.honest) this.online.add(id) }

  /** Advances the clock by one tick and fires due timers. */
  tick (): void {
    this.now++
    for (const id of this.honest) {
      if (this.online.has(id) && (this.timers.get(id) ?? Infinity) <= this.now) this.apply(id, (this.replicas.get(id) as Replica).tick(this.now))
    }
    let frontier = 0
    for (const r of this.replicas.values()) frontier = Math.max(frontier, r.currentSlot)
    this.adversary.onTick(this.now, frontier)
  }

  /** Random steps: mostly deliveries, sometimes ticks, disconnects and reconnects. */
  randomSteps (count: number): void {
    for (let i = 0; i < count; i++) {
      const p = this.rng.next()
      if (p < 0.75) { if (!this.flushRandomMessage()) this.tick() } else if (p < 0.9) this.tick()
      else if (p < 0.95) this.disconnectRandom()
      else this.reconnectRandom()
    }
  }

  /** Network stable from now on: deliver everything pending each tick until `slots` are decided everywhere. */
  stabilise (slots: number, maxTicks: number): boolean {
    this.reconnectAll()
    const done = (): boolean => this.honest.every(id => (this.replicas.get(id) as Replica).currentSlot >= slots)
    for (let t = 0; t < maxTicks && !done(); t++) {
      const batch = this.pending
      this.pending = []
      for (const m of batch) {
        const r = this.replicas.get(m.to)
        if (r == null) this.adversary.onDeliver(m.to, m.bytes)
        else this.apply(m.to, r.receive(m.bytes, this.now))
      }
      this.tick()
    }
    return done()
  }

  /** Slots on which two honest replicas decided different values. */
  disagreements (): number[] {
    const bad: number[] = []
    for (const [slot, m] of this.decided) if (new Set(m.values()).size > 1) bad.push(slot)
    return bad
  }
}
