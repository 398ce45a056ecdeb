/**
 * The authenticated replica behind the provider: turns signed entries into document changes and
 * local changes into signed entries, and keeps what it cannot apply out of the document.
 *
 * - `receive`: decode → duplicate/equivocation check → `verifyEntry` (author accepted, structs under
 *   the author's bound client id, signature) → apply in the author's seq order. An entry whose
 *   predecessor is missing (its author's previous seq, or a Yjs item it builds on) goes to the
 *   bounded `PendingBuffer`; Yjs's own pending structs/deletes are cleared after every apply, so they
 *   are never re-encoded into what this peer persists or sends. Applied entries join the `SignedLog`
 *   and retry the parked entries whose wait is over.
 * - `author`: signs a local Yjs update as the next entry of this peer's session.
 * No I/O and no timers: the provider (./provider.ts) feeds it and decides whom to fetch from.
 */
import * as Y from 'yjs'
import { AuthorKeys, boundClientId, type Signer } from './author.ts'
import { encodeEntry, entrySigningBytes, readEntry, type Entry } from './codec.ts'
import { ForgedEntryError } from './errors.ts'
import { PendingBuffer, type PendingEntry, type PendingLimits } from './pending.ts'
import { SignedLog, type KeyedEntries } from './signed-log.ts'
import { trimRemoteContent } from './trim.ts'
import { verifyEntry } from './verify.ts'

export type { KeyedEntries }

/** Where signed entries are kept across restarts (LevelDB on Node, IndexedDB in a tab); optional. */
export interface EntryStore {
  load: () => Promise<Uint8Array[]>
  append: (entry: Uint8Array) => void
  /**
   * Present when the store can give entries back by key (LevelDB): the log then appends to it itself
   * (`append` is not called), keeps no entry bytes in memory and reads them back from here when it
   * answers a handshake (./signed-log.ts).
   */
  keyed?: KeyedEntries
}

/** Counters of the replica; part of `StateProvider.stats` (names are stable, see docs/state.md). */
export interface ReplicaStats {
  entriesApplied: number
  rejectedAuthor: number
  rejectedClient: number
  rejectedSignature: number
  equivocations: number
  pendingEntries: number
  pendingBytes: number
  pendingApplied: number
  pendingDropped: number
  pendingExpired: number
  logEntries: number
  logBytes: number
  badEntries: number
}

export const newReplicaStats = (): ReplicaStats => ({
  entriesApplied: 0, rejectedAuthor: 0, rejectedClient: 0, rejectedSignature: 0, equivocations: 0, pendingEntries: 0, pendingBytes: 0,
  pendingApplied: 0, pendingDropped: 0, pendingExpired: 0, logEntries: 0, logBytes: 0, badEntries: 0
})

export interface ReceiveResult {
  applied: number
  /** Entries newly parked because a predecessor is missing (the caller may fetch from the sender). */
  parked: number
  /** Offence points earned by the sender (malformed or forged entries). */
  offences: number
}

export interface ReplicaInit {
  doc: Y.Doc
  signer: Signer
  session: number
  acceptAuthor: (peerId: string) => boolean
  pendingLimits: PendingLimits
  stats: ReplicaStats
  store?: EntryStore
  log: (message: string) => void
}

/**
 * Verified gossip entries remembered for `receive` (a message's entries arrive right after their
 * check), at most this many and this many bytes: an entry checked but never received (its message
 * dropped after validation, e.g. its sender over its budget) stays until evicted, and 1,024 entries
 * of up to 256 KiB would otherwise hold 256 MiB.
 */
export const MAX_CHECKED = 1024
export const MAX_CHECKED_BYTES = 4 * 1024 * 1024

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** Transaction origin of remote entries: every other update of the doc is a local change to sign. */
export const REMOTE_ORIGIN = Symbol('novacron-remote-entry')

/** One replica per document: providers that stop and start again on a doc keep its log and session. */
const replicas = new WeakMap<Y.Doc, SignedReplica>()

export class SignedReplica {
  readonly log: SignedLog
  readonly pending: PendingBuffer
  readonly clientId: number
  readonly origin = REMOTE_ORIGIN
  /** Called when a local change is waiting to be signed (the provider schedules a flush). */
  onLocal?: () => void
  private readonly keys = new AuthorKeys()
  /** Entries the gossip validator verified, by `client:seq`, until `receive` takes them (bounded). */
  private readonly checked = new Map<string, Uint8Array>()
  private checkedBytes = 0
  private unsigned: Uint8Array[] = []
  private predecessor?: SignedReplica
  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === REMOTE_ORIGIN) return
    this.unsigned.push(update)
    this.onLocal?.()
  }

  /**
   * The doc's replica for `init.signer`: the existing one when the same peer attaches again (its
   * session, log and unsigned local changes carry on), else a new one that inherits the log and
   * pending entries and lets the previous signer sign what was edited under its client id.
   */
  static for (init: ReplicaInit): SignedReplica {
    const prev = replicas.get(init.doc)
    if (prev != null && prev.init.signer.peerId === init.signer.peerId) {
      prev.init = { ...init, session: prev.init.session, signer: prev.init.signer }
      return prev
    }
    const next = new SignedReplica(init, prev)
    replicas.set(init.doc, next)
    return next
  }

  private constructor (private init: ReplicaInit, prev?: SignedReplica) {
    this.log = prev?.log ?? new SignedLog(init.store?.keyed)
    this.pending = prev?.pending ?? new PendingBuffer(init.pendingLimits)
    this.clientId = boundClientId(init.signer.peerId, init.session)
    this.predecessor = prev
    prev?.init.doc.off('update', prev.onUpdate)
    init.doc.on('update', this.onUpdate)
    // once per doc (a successor replica inherits it): remote values without Yjs's decoding slack (./trim.ts)
    if (prev == null) trimRemoteContent(init.doc)
    init.doc.clientID = this.clientId
  }

  get doc (): Y.Doc { return this.init.doc }
  private get stats (): ReplicaStats { return this.init.stats }

  /** Whether local changes wait to be signed. */
  get hasUnsigned (): boolean { return this.unsigned.length > 0 }

  /**
   * Signs the local changes made since the last call as one entry; returns it (null when none).
   * Each queued update holds only structs of our client id (local transactions write nothing else).
   */
  async signQueued (): Promise<Uint8Array | null> {
    if (this.unsigned.length === 0) return null
    const merged = this.unsigned.length === 1 ? this.unsigned[0] : Y.mergeUpdates(this.unsigned)
    this.unsigned = []
    if (this.doc.clientID !== this.clientId) {
      // Yjs picks a new client id when it sees ours in a remote change; only our key signs ours, so
      // a peer cannot cause this, but never write under an unbound id.
      this.init.log(`the document's client id changed to ${this.doc.clientID}; restoring the bound id`)
      this.doc.clientID = this.clientId
    }
    return await this.author(merged)
  }

  /** Rebuilds the log from the store and signs what a previous signer of this doc left unsigned. */
  async load (): Promise<void> {
    const prev = this.predecessor
    this.predecessor = undefined
    if (prev != null) {
      await prev.signQueued().catch(err => { this.init.log(`signing changes of the previous identity failed: ${err instanceof Error ? err.message : String(err)}`) })
    }
    if (this.log.size > 0) { this.gauges(); return }
    const store = this.init.store
    // a log that reads from a keyed store needs each entry's key (and it is that store the log was
    // made with: one per doc); a log made without one keeps the bytes
    const stored = this.log.stored
      ? await store?.keyed?.load() ?? []
      : (await store?.load() ?? []).map(bytes => ({ key: undefined, bytes }))
    for (const { key, bytes } of stored) {
      try {
        const entry = readEntry(bytes)
        const client = boundClientId(entry.author, entry.session)
        if (entry.seq !== this.log.count(client)) continue
        Y.applyUpdate(this.doc, entry.update, this.origin)
        if (this.takeYjsPending() != null) continue
        this.log.add(client, entry.seq, entry.bytes, key)
      } catch (err) {
        this.init.log(`skipping a stored state entry: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
    this.gauges()
  }

  /**
   * The gossip validator's verdict on `entries`, before gossipsub delivers or forwards them (so a
   * forged entry never travels further than its first hop): 'malformed' when one does not decode,
   * 'forged' when one fails its author, client-id or signature check or reuses a known (author,
   * session, seq) with other bytes. Entries that pass are remembered (bounded), and `receive` does
   * not check their signature again.
   */
  async check (entries: readonly Uint8Array[]): Promise<'accept' | 'malformed' | 'forged'> {
    for (const bytes of entries) {
      let entry: Entry
      try {
        entry = readEntry(bytes)
      } catch {
        this.stats.badEntries++
        return 'malformed'
      }
      const claimed = boundClientId(entry.author, entry.session)
      const key = `${claimed}:${entry.seq}`
      const known = this.log.same(claimed, entry.seq, entry.bytes) ?? this.sameUnlogged(claimed, entry.seq, entry.bytes, this.checked.get(key))
      if (known != null) {
        if (known) continue
        this.stats.equivocations++
        return 'forged'
      }
      try {
        await verifyEntry(entry, this.keys, this.init.acceptAuthor)
      } catch (err) {
        this.countRejected(err)
        this.init.log(`rejected gossiped state entry: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
        return err instanceof ForgedEntryError ? 'forged' : 'malformed'
      }
      this.forgetChecked(key)
      while (this.checked.size > 0 && (this.checked.size >= MAX_CHECKED || this.checkedBytes + entry.bytes.length > MAX_CHECKED_BYTES)) {
        this.forgetChecked(this.checked.keys().next().value as string)
      }
      this.checked.set(key, entry.bytes)
      this.checkedBytes += entry.bytes.length
    }
    return 'accept'
  }

  /** Entries and bytes the gossip validator's memo holds (bounded: MAX_CHECKED, MAX_CHECKED_BYTES). */
  get checkedHeld (): { entries: number, bytes: number } { return { entries: this.checked.size, bytes: this.checkedBytes } }

  private forgetChecked (key: string): void {
    const bytes = this.checked.get(key)
    if (bytes == null) return
    this.checked.delete(key)
    this.checkedBytes -= bytes.length
  }

  private countRejected (err: unknown): void {
    if (err instanceof ForgedEntryError) {
      if (err.reason === 'author') this.stats.rejectedAuthor++
      else if (err.reason === 'client') this.stats.rejectedClient++
      else this.stats.rejectedSignature++
    } else this.stats.badEntries++
  }

  async receive (from: string, entries: readonly Uint8Array[], now: number): Promise<ReceiveResult> {
    const result: ReceiveResult = { applied: 0, parked: 0, offences: 0 }
    for (const bytes of entries) {
      let entry: Entry
      try {
        entry = readEntry(bytes)
      } catch (err) {
        this.stats.badEntries++; result.offences += 1
        this.init.log(`bad state entry from ${from}: ${err instanceof Error ? err.message : String(err)}`)
        continue
      }
      const claimed = boundClientId(entry.author, entry.session)
      const known = this.log.same(claimed, entry.seq, entry.bytes) ?? this.sameUnlogged(claimed, entry.seq, entry.bytes)
      if (known != null) {
        // the same entry again is normal (gossip and sync overlap); other bytes under the same seq are not
        if (!known) { this.stats.equivocations++; result.offences += 5 }
        continue
      }
      let client: number
      const checked = this.checked.get(`${claimed}:${entry.seq}`)
      try {
        // checked by the gossip validator moments ago: the same bytes need no second signature check
        // (the author may have been refused since, so that hook runs again)
        if (checked != null && equal(checked, entry.bytes) && this.init.acceptAuthor(entry.author)) client = claimed
        else client = await verifyEntry(entry, this.keys, this.init.acceptAuthor)
      } catch (err) {
        this.countRejected(err)
        result.offences += 5
        this.init.log(`rejected state entry from ${from}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
        continue
      }
      this.forgetChecked(`${claimed}:${entry.seq}`)
      if (this.log.has(client, entry.seq) || this.pending.get(client, entry.seq) != null) continue // arrived meanwhile
      const outcome = this.integrate(entry, client, from, now)
      if (outcome === 'applied') result.applied++
      else if (outcome === 'parked') result.parked++
    }
    if (result.applied > 0) result.applied += this.retry()
    this.gauges()
    return result
  }

  /** Signs `update` (a local change, all under our client id) as our next entry and logs it. */
  async author (update: Uint8Array): Promise<Uint8Array> {
    const { peerId } = this.init.signer
    const seq = this.log.count(this.clientId)
    const sig = await this.init.signer.sign(entrySigningBytes(peerId, this.init.session, seq, update))
    const bytes = encodeEntry(peerId, this.init.session, seq, update, sig)
    this.store(bytes)
    this.log.add(this.clientId, seq, bytes)
    this.gauges()
    return bytes
  }

  /** Drops parked entries past their time; returns how many. */
  expire (now: number): number {
    const n = this.pending.expire(now)
    this.stats.pendingExpired += n
    this.gauges()
    return n
  }

  /** Clears pending structs/deletes a document came with (e.g. a data dir written before this design). */
  dropYjsPending (): boolean { return this.takeYjsPending() != null }

  private integrate (entry: Entry, client: number, from: string, now: number): 'applied' | 'parked' | 'dropped' {
    if (entry.seq > this.log.count(client)) return this.park({ entry, client, from, at: now, waits: new Map() })
    const waits = this.apply(entry)
    if (waits == null) return 'dropped'
    if (waits.size > 0) return this.park({ entry, client, from, at: now, waits })
    this.commit(entry, client)
    return 'applied'
  }

  /** Applies to the doc; returns what it still waits for (empty: complete), or null if Yjs refused it. */
  private apply (entry: Entry): Map<number, number> | null {
    try {
      Y.applyUpdate(this.doc, entry.update, this.origin)
    } catch (err) {
      this.takeYjsPending()
      this.stats.badEntries++
      this.init.log(`state entry ${entry.seq} by ${entry.author} does not apply: ${err instanceof Error ? err.message : String(err)}`)
      return null
    }
    return this.takeYjsPending() ?? new Map()
  }

  private commit (entry: Entry, client: number): void {
    this.store(entry.bytes)
    this.log.add(client, entry.seq, entry.bytes)
    this.stats.entriesApplied++
  }

  /** Stores an entry, unless the log keeps it in its keyed store itself. */
  private store (bytes: Uint8Array): void {
    if (!this.log.stored) this.init.store?.append(bytes)
  }

  /** Like `SignedLog.same` for an entry not in the log: parked, or (`checked`) verified by the gossip validator. */
  private sameUnlogged (client: number, seq: number, bytes: Uint8Array, checked?: Uint8Array): boolean | undefined {
    const known = this.pending.get(client, seq)?.entry.bytes ?? checked
    return known == null ? undefined : equal(known, bytes)
  }

  private park (p: PendingEntry): 'parked' | 'dropped' {
    const r = this.pending.add(p)
    if (r === 'added') return 'parked'
    if (r !== 'known') {
      this.stats.pendingDropped++
      this.init.log(`dropped a state entry from ${p.from} with missing predecessors (${r}, ${p.entry.bytes.length} bytes)`)
    }
    return 'dropped'
  }

  /** Applies parked entries whose wait is over, until nothing moves; returns how many applied. */
  private retry (): number {
    let applied = 0
    const store = this.doc.store
    const ready = (p: PendingEntry): boolean => p.entry.seq === this.log.count(p.client) &&
      (p.waits.size === 0 || [...p.waits].some(([c, k]) => Y.getState(store, c) > k))
    for (;;) {
      const batch = this.pending.candidates(ready)
      if (batch.length === 0) return applied
      let moved = false
      for (const p of batch) {
        if (p.entry.seq !== this.log.count(p.client)) continue
        this.pending.remove(p)
        const waits = this.apply(p.entry)
        if (waits == null) continue
        if (waits.size > 0) { this.park({ ...p, waits }); continue }
        this.commit(p.entry, p.client)
        this.stats.pendingApplied++
        applied++; moved = true
      }
      if (!moved) return applied
    }
  }

  /**
   * Takes Yjs's pending structs/deletes out of the store (they would be re-encoded into every state
   * the doc produces) and returns what they wait for: client → the state the doc must move past.
   */
  private takeYjsPending (): Map<number, number> | null {
    const store = this.doc.store
    if (store.pendingStructs == null && store.pendingDs == null) return null
    const waits = new Map<number, number>()
    const need = (c: number, k: number): void => { waits.set(c, Math.min(waits.get(c) ?? Infinity, k)) }
    if (store.pendingStructs != null) for (const [c, k] of store.pendingStructs.missing) need(c, k)
    if (store.pendingDs != null) {
      try {
        for (const [c, items] of Y.decodeUpdateV2(store.pendingDs).ds.clients) {
          need(c, Math.max(...items.map(i => i.clock + i.len)) - 1)
        }
      } catch {
        need(0, Infinity)
      }
    }
    store.pendingStructs = null
    store.pendingDs = null
    if (waits.size === 0) waits.set(0, Infinity) // waits on nothing we can name: only expiry frees it
    return waits
  }

  private gauges (): void {
    this.stats.pendingEntries = this.pending.size
    this.stats.pendingBytes = this.pending.bytes
    this.stats.logEntries = this.log.size
    this.stats.logBytes = this.log.bytes
  }
}
