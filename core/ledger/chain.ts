/**
 * The chain state replayed from genesis, pure and deterministic: every peer that applies the same
 * committed blocks reaches the same epoch, replica set, settings, per-author sequence numbers,
 * head hash and the same verdict (applied, or refused with the same reason) on every entry.
 *
 *   head_{-1} = SHA-256(genesis);  head_h = SHA-256(head_{h−1} • varUint(h) • SHA-256(block_h))
 *
 * Entries: `join` (author's consensus keys with proofs of possession; while replicas <
 * ledger.maxReplicas; a single replica admits joiners two at a time, and a removed peer's join
 * waits out a cool-off: admission.ts), `leave` (author; withdraws a pending join), `remove {peer}`
 * (applies once f + 1 distinct replicas of the epoch asked), `evidence` (verified; removes the offender, whose later `join`s are refused), `config {key, value}` (settings table),
 * `note` (JSON), and registered kinds (their validator). A block that changes the replica set ends
 * the epoch: epoch e + 1 starts at the next slot.
 */
import * as encoding from 'lib0/encoding'
import { sha256 } from '@noble/hashes/sha2.js'
import type { ConsensusCrypto } from '../consensus/crypto.ts'
import type { QuorumMath } from '../consensus/quorum.ts'
import type { Block, Genesis } from './codec.ts'
import { bytesEqual } from './codec.ts'
import { joinMessage, MAX_NOTE_BYTES, readConfig, readEvidence, readJoin, readJson, readRemove } from './entries.ts'
import { checkEvidence, sizeEpoch, type EpochInfo, type ReplicaMember } from './epochs.ts'
import { checkSetting, settingDefault } from './settings.ts'
import { Admission, type CoolingPeer } from './admission.ts'

export type KindValidator = (data: Uint8Array, author: string) => string | null

export interface AppliedEntry {
  index: number
  kind: string
  author: string
  data: Uint8Array
  applied: boolean
  refusal?: string
  summary: string
  /** microblock seq of the author (for the author's own bookkeeping) */
  seq: number
}

export interface ApplyResult {
  entries: AppliedEntry[]
  configs: Array<{ key: string, value: unknown }>
  /** set when the block changed the replica set: the epoch that starts at the next slot */
  newEpoch?: EpochInfo
  /** microblocks skipped as stale (seq not above the author's committed seq) */
  stale: number
}

const BUILTIN = new Set(['note', 'config', 'join', 'leave', 'remove', 'evidence'])
const RECENT_EPOCHS = 8

export function nextHead (prev: Uint8Array, height: number, block: Uint8Array): Uint8Array {
  return sha256(encoding.encode(e => { encoding.writeUint8Array(e, prev); encoding.writeVarUint(e, height); encoding.writeUint8Array(e, sha256(block)) }))
}

function short (id: string): string { return id.length > 12 ? `${id.slice(0, 4)}…${id.slice(-6)}` : id }

export class Chain {
  readonly genesisHash: Uint8Array
  height = -1
  head: Uint8Array
  current: EpochInfo
  private readonly epochs = new Map<number, EpochInfo>()
  private readonly seqs = new Map<string, number>()
  private removeVotes = new Map<string, Set<string>>()
  private readonly settings = new Map<string, unknown>()
  /** peers removed on committed equivocation evidence: their `join` is refused from then on */
  private readonly banned = new Set<string>()
  /** the pending first joiner and the cool-off after removals (admission.ts) */
  private readonly admission = new Admission()

  constructor (
    readonly genesis: Genesis,
    private readonly math: QuorumMath,
    private readonly crypto: ConsensusCrypto,
    private readonly kinds: ReadonlyMap<string, KindValidator> = new Map()
  ) {
    this.genesisHash = sha256(genesis.bytes)
    this.head = this.genesisHash
    const members = genesis.members.map(m => ({ peerId: m.peerId, signPublic: m.signPublic, vrfPublic: m.vrfPublic, since: -1 }))
    this.current = sizeEpoch(0, 0, members, genesis.protocol, math)
    this.epochs.set(0, this.current)
  }

  get protocol (): 'probft' | 'pbft' { return this.genesis.protocol }

  /** The committed value of a setting, or its default. */
  config (key: string): unknown {
    if (key === 'ledger.maxReplicas' && !this.settings.has(key)) return this.genesis.maxReplicas
    return this.settings.has(key) ? this.settings.get(key) : settingDefault(key)
  }

  /** Highest committed microblock seq of `author` (-1 when none). */
  lastSeq (author: string): number { return this.seqs.get(author) ?? -1 }

  epochInfo (epoch: number): EpochInfo | undefined { return this.epochs.get(epoch) }

  isReplica (peerId: string): boolean { return this.current.replicas.some(r => r.peerId === peerId) }

  /** The joiner waiting for a second one to be admitted with (admission.ts), if any. */
  pendingJoiner (): string | undefined { return this.current.replicas.length === 1 ? this.admission.pending?.peerId : undefined }

  /** The first slot at which `peerId`'s join is accepted after its removals (0: at once; admission.ts). */
  joinAllowedAt (peerId: string): number { return this.admission.joinAllowedAt(peerId) }

  /** Removed peers whose join the next slot would still refuse (cooling off; admission.ts). */
  coolingOff (): CoolingPeer[] { return this.admission.coolingAt(this.height + 1) }

  /**
   * Applies the (verified) block committed at `height` = this.height + 1. Never throws on content:
   * bad entries are refused and recorded.
   */
  apply (height: number, block: Block, blockBytes: Uint8Array): ApplyResult {
    if (height !== this.height + 1) throw new RangeError(`apply height ${height} after ${this.height}`)
    const cur = this.current
    const next: ReplicaMember[] = [...cur.replicas]
    let changed = false
    const out: ApplyResult = { entries: [], configs: [], stale: 0 }
    let index = 0
    for (const mb of block.microblocks) {
      if (mb.seq <= this.lastSeq(mb.author)) { out.stale++; continue }
      this.seqs.set(mb.author, mb.seq)
      for (const entry of mb.entries) {
        const r = this.applyEntry(entry.kind, entry.data, mb.author, height, cur, next, out)
        if (r.changed === true) changed = true
        out.entries.push({ index: index++, kind: entry.kind, author: mb.author, data: entry.data, seq: mb.seq, applied: r.refusal == null, ...(r.refusal != null ? { refusal: r.refusal } : {}), summary: r.summary })
      }
    }
    this.height = height
    this.head = nextHead(this.head, height, blockBytes)
    if (changed) {
      this.current = sizeEpoch(cur.epoch + 1, height + 1, next, this.genesis.protocol, this.math)
      this.epochs.set(this.current.epoch, this.current)
      this.epochs.delete(this.current.epoch - RECENT_EPOCHS)
      this.removeVotes = new Map()
      out.newEpoch = this.current
    }
    return out
  }

  private applyEntry (kind: string, data: Uint8Array, author: string, height: number, cur: EpochInfo, next: ReplicaMember[], out: ApplyResult): { refusal?: string, summary: string, changed?: boolean } {
    const refuse = (refusal: string, summary: string): { refusal: string, summary: string } => ({ refusal, summary })
    try {
      switch (kind) {
        case 'join': {
          const b = readJoin(data)
          const summary = `join ${short(author)}`
          if (next.some(r => r.peerId === author)) return refuse('already a replica', summary)
          if (this.banned.has(author)) return refuse('removed for equivocation', summary)
          const allowed = this.admission.joinAllowedAt(author)
          if (height < allowed) return refuse(`cooling off after its removal until slot ${allowed}`, summary)
          const max = this.config('ledger.maxReplicas') as number
          if (next.length >= max) return refuse(`replica set full (${max})`, summary)
          // the pending joiner counts only while the set has one member (the cap may have fallen below 3 since)
          if (next.length !== 1) this.admission.pending = null
          const pending = this.admission.pending
          if (pending?.peerId === author) return refuse('join already pending', summary)
          const keysOf = pending != null ? [...next, pending] : next
          if (keysOf.some(r => bytesEqual(r.signPublic, b.signPublic) || bytesEqual(r.vrfPublic, b.vrfPublic))) return refuse('consensus keys already in use', summary)
          const msg = joinMessage(author)
          if (!this.crypto.verifySignature(b.signPublic, msg, b.sig)) return refuse('bad proof of possession (signature)', summary)
          if (this.crypto.vrfVerify(b.vrfPublic, msg, b.proof) == null) return refuse('bad proof of possession (VRF)', summary)
          const member = { peerId: author, signPublic: b.signPublic, vrfPublic: b.vrfPublic, since: height }
          // a single replica admits joiners two at a time (1 → 3): an epoch of 2 tolerates no fault
          if (next.length === 1 && max >= 3) {
            if (pending == null) { this.admission.pending = member; return { summary: `${summary}: pending (admitted with the next joiner)` } }
            this.admission.pending = null
            next.push({ ...pending, since: height }, member)
            return { summary: `${summary}: admitted with ${short(pending.peerId)}`, changed: true }
          }
          next.push(member)
          return { summary, changed: true }
        }
        case 'leave': {
          const summary = `leave ${short(author)}`
          if (data.length !== 0) return refuse('leave carries no data', summary)
          const i = next.findIndex(r => r.peerId === author)
          if (i < 0 && this.admission.pending?.peerId === author) { this.admission.pending = null; return { summary: `${summary}: pending join withdrawn` } }
          if (i < 0) return refuse('not a replica', summary)
          if (next.length === 1) return refuse('the last replica cannot leave', summary)
          next.splice(i, 1)
          return { summary, changed: true }
        }
        case 'remove': {
          const b = readRemove(data)
          const summary = `remove ${short(b.peerId)} (${b.reason.slice(0, 40)}) asked by ${short(author)}`
          if (!cur.replicas.some(r => r.peerId === author)) return refuse('only replicas of the epoch may ask to remove', summary)
          if (b.peerId === author) return refuse('a replica leaves with leave, not remove', summary)
          const i = next.findIndex(r => r.peerId === b.peerId)
          if (i < 0) return refuse('not a replica', summary)
          let votes = this.removeVotes.get(b.peerId)
          if (votes == null) { votes = new Set(); this.removeVotes.set(b.peerId, votes) }
          votes.add(author)
          if (votes.size < cur.f + 1) return { summary: `${summary}: ${votes.size}/${cur.f + 1}` }
          if (next.length === 1) return refuse('the last replica cannot be removed', summary)
          this.admission.noteRemoved(next[i], height)
          next.splice(i, 1)
          return { summary: `${summary}: removed`, changed: true }
        }
        case 'evidence': {
          const b = readEvidence(data)
          const e = this.epochs.get(b.epoch)
          if (e == null) return refuse(`evidence for unknown or old epoch ${b.epoch}`, 'evidence')
          const r = checkEvidence(b, e, this.crypto)
          if ('refusal' in r) return refuse(r.refusal, 'evidence')
          const summary = `evidence against ${short(r.offender)}`
          const i = next.findIndex(x => x.peerId === r.offender)
          if (i < 0) return refuse('offender is no longer a replica', summary)
          if (next.length === 1) return refuse('the last replica cannot be removed', summary)
          next.splice(i, 1)
          this.banned.add(r.offender)
          return { summary: `${summary}: removed`, changed: true }
        }
        case 'config': {
          const b = readConfig(data)
          const summary = `${b.key} = ${JSON.stringify(b.value)}`
          const bad = checkSetting(b.key, b.value)
          if (bad != null) return refuse(bad, summary)
          this.settings.set(b.key, b.value)
          out.configs.push({ key: b.key, value: b.value })
          return { summary }
        }
        case 'note': {
          const v = readJson(data, MAX_NOTE_BYTES)
          return { summary: `note ${JSON.stringify(v).slice(0, 60)}` }
        }
        default: {
          const validate = this.kinds.get(kind)
          if (validate == null || BUILTIN.has(kind)) return refuse(`unknown entry kind ${kind}`, kind)
          const why = validate(data, author)
          return why == null ? { summary: kind } : refuse(why, kind)
        }
      }
    } catch (err) {
      // the decoders throw LedgerDecodeError only; a registered validator may throw anything
      return refuse(err instanceof Error ? err.message : String(err), kind)
    }
  }
}
