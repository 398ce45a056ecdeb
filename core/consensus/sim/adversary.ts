/**
 * The Byzantine replicas of the simulator, run as one coordinated, omniscient adversary that holds
 * all their keys. It speaks the real wire format (codec.ts) and signs/proves for real, so every
 * attack goes through the same validation an honest replica applies to live traffic.
 *
 *   silent               sends nothing
 *   equivocating-leader  as leader: header x to a random half of the honest replicas, header y to
 *                        the other half; every Byzantine replica votes x to the x side and y to the
 *                        y side of its own VRF samples (PREPARE and COMMIT at once)
 *   conflicting-votes    votes for what it sees, then sends a second vote for another digest (under
 *                        a Byzantine leader a validly signed one: vote and leader equivocation)
 *   forged-vrf           votes to every honest replica, with its real proof (not in sample),
 *                        random proof bytes, or a proof for the wrong phase
 *   garbage              floods random bytes, truncated and bit-flipped real messages
 */
import * as prng from 'lib0/prng'
import {
  MSG_COMMIT, MSG_NEW_VIEW, MSG_PREPARE, MSG_PROPOSE, readMessage, seal, writeHeaderBody, writePropose, writeVoteBody, type Header
} from '../codec.ts'
import { PHASE_COMMIT, PHASE_PREPARE, vrfAlpha, type ConsensusCrypto, type ReplicaKeys } from '../crypto.ts'
import { allOthers, leaderOf, recipientsFromBeta, type Protocol, type ValidationContext } from '../validate.ts'

export const STRATEGIES = ['silent', 'equivocating-leader', 'conflicting-votes', 'forged-vrf', 'garbage'] as const
export type Strategy = typeof STRATEGIES[number]

export interface AdversaryInit {
  n: number
  f: number
  protocol: Protocol
  sampleSize: number
  quorum: number
  strategy: Strategy
  byzantine: number[]
  keys: ReplicaKeys[]
  crypto: ConsensusCrypto
  seed: number
  /** garbage messages per Byzantine replica per tick @default 2 */
  garbageRate?: number
  send: (from: number, to: number, bytes: Uint8Array) => void
}

export class Adversary {
  private readonly byz: Set<number>
  private readonly honest: number[]
  private readonly rng: prng.PRNG
  private readonly acted = new Set<number>()
  private readonly seen = new Set<string>()
  private readonly ctx: ValidationContext
  private readonly recent: Uint8Array[] = []
  /** (slot, view) pairs in which a Byzantine leader signed two different headers */
  readonly equivocatedViews = new Set<string>()

  constructor (private readonly init: AdversaryInit) {
    this.byz = new Set(init.byzantine)
    this.honest = []
    for (let i = 0; i < init.n; i++) if (!this.byz.has(i)) this.honest.push(i)
    this.rng = prng.create(init.seed ^ 0x5bd1e995)
    this.ctx = { n: init.n, f: init.f, protocol: init.protocol, sampleSize: init.sampleSize, quorum: init.quorum, identities: [], crypto: init.crypto }
  }

  /** A message reached Byzantine replica `to`. */
  onDeliver (to: number, bytes: Uint8Array): void {
    if (this.recent.length < 64) this.recent.push(bytes)
    else this.recent[prng.int32(this.rng, 0, 63)] = bytes
    const s = this.init.strategy
    if (s !== 'conflicting-votes' && s !== 'forged-vrf') return
    let header: Header
    try {
      const m = readMessage(bytes)
      if (m.type === MSG_PROPOSE) header = m.header
      else if (m.type === MSG_NEW_VIEW) header = m.header
      else return
    } catch { return } // honest replicas send well-formed messages; nothing to learn otherwise
    const key = `${to}:${header.slot}:${header.view}`
    if (this.seen.has(key)) return
    this.seen.add(key)
    if (s === 'conflicting-votes') this.conflictingVotes(to, header)
    else this.forgedVrf(to, header)
  }

  /** Called once per tick; `frontier` is the highest slot any honest replica is working on. */
  onTick (now: number, frontier: number): void {
    const s = this.init.strategy
    if (s === 'garbage') this.garbage()
    if (s === 'silent' || s === 'garbage') return
    for (let slot = Math.max(0, frontier - 1); slot <= frontier + 1; slot++) {
      const leader = leaderOf(this.init.n, slot, 0)
      if (!this.byz.has(leader) || this.acted.has(slot)) continue
      this.acted.add(slot)
      if (s === 'equivocating-leader') this.equivocate(leader, slot)
      else this.proposeHonestly(leader, slot)
    }
    void now
  }

  // ------------------------------------------------------------------ building blocks

  private sign (id: number, body: Uint8Array): Uint8Array {
    return seal(body, this.init.crypto.sign(this.init.keys[id].signSecret, body))
  }

  private header (leader: number, slot: number, view: number, value: Uint8Array): Uint8Array {
    return this.sign(leader, writeHeaderBody(leader, slot, view, this.init.crypto.digest(value)))
  }

  private value (slot: number, tag: string): Uint8Array {
    return this.init.crypto.digest(new TextEncoder().encode(`byzantine ${tag} ${slot} ${this.init.seed}`))
  }

  private vote (id: number, type: typeof MSG_PREPARE | typeof MSG_COMMIT, header: Uint8Array, slot: number, view: number): { bytes: Uint8Array, sample: number[] } {
    const { crypto, keys } = this.init
    if (this.init.protocol === 'pbft') {
      return { bytes: this.sign(id, writeVoteBody(type, id, header, new Uint8Array(0))), sample: allOthers(this.init.n, id) }
    }
    const proof = crypto.vrfProve(keys[id].vrfSecret, vrfAlpha(type === MSG_PREPARE ? PHASE_PREPARE : PHASE_COMMIT, slot, view))
    const sample = recipientsFromBeta(this.ctx, crypto.vrfHash(proof) as Uint8Array, id)
    return { bytes: this.sign(id, writeVoteBody(type, id, header, proof)), sample }
  }

  private sendTo (from: number, to: number[], bytes: Uint8Array): void {
    for (const t of to) if (!this.byz.has(t)) this.init.send(from, t, bytes)
  }

  // ------------------------------------------------------------------ strategies

  private proposeHonestly (leader: number, slot: number): void {
    const value = this.value(slot, 'x')
    const propose = writePropose(this.header(leader, slot, 0, value), value)
    this.sendTo(leader, allOthers(this.init.n, leader), propose)
    // the Byzantine replicas see their own leader's proposal too (conflicting-votes acts on it)
    for (const b of this.init.byzantine) this.onDeliver(b, propose)
  }

  private equivocate (leader: number, slot: number): void {
    const x = this.value(slot, 'x')
    const y = this.value(slot, 'y')
    const hx = this.header(leader, slot, 0, x)
    const hy = this.header(leader, slot, 0, y)
    this.equivocatedViews.add(`${slot}:0`)
    const sideX = new Set<number>()
    for (const h of this.honest) if (prng.bool(this.rng)) sideX.add(h)
    const xs = this.honest.filter(h => sideX.has(h))
    const ys = this.honest.filter(h => !sideX.has(h))
    this.sendTo(leader, xs, writePropose(hx, x))
    this.sendTo(leader, ys, writePropose(hy, y))
    for (const b of this.init.byzantine) {
      for (const type of [MSG_PREPARE, MSG_COMMIT] as const) {
        const vx = this.vote(b, type, hx, slot, 0)
        const vy = this.vote(b, type, hy, slot, 0)
        this.sendTo(b, vx.sample.filter(t => sideX.has(t)), vx.bytes)
        this.sendTo(b, vy.sample.filter(t => !sideX.has(t) && !this.byz.has(t)), vy.bytes)
      }
    }
  }

  private conflictingVotes (b: number, header: Header): void {
    const { slot, view } = header
    const leader = leaderOf(this.init.n, slot, view)
    const other = this.value(slot, `conflict-${b}`)
    // a second header: validly signed when the leader is Byzantine, otherwise signed by b (forged)
    const conflicting = this.byz.has(leader) ? this.header(leader, slot, view, other) : this.sign(b, writeHeaderBody(leader, slot, view, this.init.crypto.digest(other)))
    if (this.byz.has(leader)) this.equivocatedViews.add(`${slot}:${view}`)
    for (const type of [MSG_PREPARE, MSG_COMMIT] as const) {
      const good = this.vote(b, type, header.bytes, slot, view)
      const bad = this.vote(b, type, conflicting, slot, view)
      this.sendTo(b, good.sample, good.bytes)
      this.sendTo(b, good.sample, good.bytes) // a duplicate
      this.sendTo(b, bad.sample, bad.bytes)
    }
  }

  private forgedVrf (b: number, header: Header): void {
    const { slot, view } = header
    const { crypto, keys } = this.init
    for (const type of [MSG_PREPARE, MSG_COMMIT] as const) {
      const real = this.vote(b, type, header.bytes, slot, view)
      const outside = this.honest.filter(h => !real.sample.includes(h))
      this.sendTo(b, outside, real.bytes) // a real proof, but these replicas were not chosen
      const random = prng.uint8Array(this.rng, 80)
      this.sendTo(b, this.honest, this.sign(b, writeVoteBody(type, b, header.bytes, random)))
      const wrongPhase = crypto.vrfProve(keys[b].vrfSecret, vrfAlpha(type === MSG_PREPARE ? PHASE_COMMIT : PHASE_PREPARE, slot, view))
      this.sendTo(b, this.honest, this.sign(b, writeVoteBody(type, b, header.bytes, wrongPhase)))
    }
  }

  private garbage (): void {
    const rate = this.init.garbageRate ?? 2
    for (const b of this.init.byzantine) {
      for (let i = 0; i < rate; i++) {
        const to = prng.oneOf(this.rng, this.honest)
        const kind = prng.int32(this.rng, 0, 3)
        let bytes: Uint8Array
        const base = this.recent.length > 0 ? prng.oneOf(this.rng, this.recent) : prng.uint8Array(this.rng, 40)
        if (kind === 0) bytes = prng.uint8Array(this.rng, prng.int32(this.rng, 0, 300))
        else if (kind === 1) bytes = base.slice(0, prng.int32(this.rng, 0, Math.max(0, base.length - 1)))
        else if (kind === 2) {
          bytes = base.slice()
          if (bytes.length > 0) bytes[prng.int32(this.rng, 0, bytes.length - 1)] ^= 1 << prng.int32(this.rng, 0, 7)
        } else bytes = Uint8Array.of(prng.int32(this.rng, 9, 255), 0xff, 0xff, 0xff, 0xff, 0x0f)
        this.init.send(b, to, bytes)
      }
    }
  }
}
