/**
 * What this replica signed, persisted before it leaves: a restarted replica never signs two
 * different things where evidence would call it an equivocator.
 *
 * The engine keeps its votes in memory, so a replica that crashed mid-slot and restarted (at the
 * slot after its stored head) could, under an equivocating leader, PREPARE or COMMIT another header
 * in a (slot, view) where it already did — an honest replica turned Byzantine by a restart. So every
 * outgoing engine message this replica signed as a leader header (PROPOSE) or a vote (PREPARE,
 * COMMIT) passes through `gate`: its (slot, view, phase) and the SHA-256 of the signed header are
 * recorded, the journal of undecided slots is written to the store (`LedgerStore.putVotes`), and
 * only then is the message sent (messages leave in the order the engine produced them). A message
 * that conflicts with a record — the same (slot, view, phase), another header — is dropped and
 * counted (`conflicts`): that replica stays silent there, a crash fault the quorums tolerate.
 * Records of slots at or below the committed height are pruned (the instance never goes back).
 * VIEW-CHANGE / NEW-VIEW / DECISION messages are not journalled: evidence never covers them, and a
 * restarted replica's view change only carries prepared certificates others can check.
 *
 * Writes are coalesced: one store write covers every record added while the previous one ran.
 * A store without `putVotes` (none today) keeps the journal in memory only.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { bytesToHex } from '@noble/hashes/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { MSG_COMMIT, MSG_PREPARE, MSG_PROPOSE, readMessage } from '../consensus/codec.ts'
import { LedgerDecodeError } from './errors.ts'
import type { LedgerStore } from './types.ts'

/** at most this many records are kept (undecided slots × views × 3 phases) */
export const MAX_JOURNAL_RECORDS = 4096

export interface VoteRecord { slot: number, view: number, phase: number, header: Uint8Array }

export function writeJournal (records: VoteRecord[]): Uint8Array {
  return encoding.encode(e => {
    encoding.writeVarUint(e, records.length)
    for (const r of records) {
      encoding.writeVarUint(e, r.slot); encoding.writeVarUint(e, r.view); encoding.writeVarUint(e, r.phase); encoding.writeVarUint8Array(e, r.header)
    }
  })
}

export function readJournal (bytes: Uint8Array): VoteRecord[] {
  try {
    const d = decoding.createDecoder(bytes)
    const n = decoding.readVarUint(d)
    if (n > MAX_JOURNAL_RECORDS) throw new LedgerDecodeError(`vote journal: ${n} records`)
    const out: VoteRecord[] = []
    for (let i = 0; i < n; i++) {
      const slot = decoding.readVarUint(d); const view = decoding.readVarUint(d); const phase = decoding.readVarUint(d)
      const header = decoding.readVarUint8Array(d)
      if (header.length !== 32 || phase < MSG_PROPOSE || phase > MSG_COMMIT) throw new LedgerDecodeError('vote journal: bad record')
      out.push({ slot, view, phase, header })
    }
    if (decoding.hasContent(d)) throw new LedgerDecodeError('vote journal: trailing bytes')
    return out
  } catch (err) {
    if (err instanceof LedgerDecodeError) throw err
    throw new LedgerDecodeError(`vote journal: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** The (slot, view, phase) and header hash of a message this replica (engine index `index`) signed, or null. */
function ownRecord (index: number, message: Uint8Array): VoteRecord | null {
  let m
  try { m = readMessage(message) } catch { return null }
  if (m.type === MSG_PROPOSE && m.header.leader === index) return { slot: m.header.slot, view: m.header.view, phase: m.type, header: sha256(m.header.bytes) }
  if ((m.type === MSG_PREPARE || m.type === MSG_COMMIT) && m.sender === index) return { slot: m.header.slot, view: m.header.view, phase: m.type, header: sha256(m.header.bytes) }
  return null
}

export class VoteJournal {
  private readonly records = new Map<string, VoteRecord>()
  private tail: Promise<void> = Promise.resolve()
  private pending = 0
  private writing: Promise<boolean> = Promise.resolve(true)
  private scheduled?: Promise<boolean>
  /** messages dropped because they conflict with what was signed before; store writes */
  readonly stats = { conflicts: 0, writes: 0, writeErrors: 0 }

  constructor (
    private readonly store: Pick<LedgerStore, 'getVotes' | 'putVotes'>,
    /** the committed height: records at or below it are pruned */
    private readonly height: () => number,
    private readonly log: (msg: string) => void = () => {}
  ) {}

  /** Reads what was signed before a restart (a damaged journal is logged and read as empty). */
  async load (): Promise<number> {
    const bytes = await this.store.getVotes?.()
    if (bytes == null) return 0
    try {
      for (const r of readJournal(bytes)) this.records.set(key(r), r)
    } catch (err) {
      this.log(`vote journal unreadable, starting empty: ${String(err)}`)
    }
    return this.records.size
  }

  get size (): number { return this.records.size }

  /**
   * One outgoing engine message of the replica with engine index `index`: `deliver` runs once the
   * journal holding it is stored (at once when nothing new is to be stored and nothing waits), or never
   * when it conflicts with an earlier record.
   */
  gate (index: number, message: Uint8Array, deliver: () => void): void {
    const rec = ownRecord(index, message)
    let write: Promise<boolean> | undefined
    if (rec != null) {
      const seen = this.records.get(key(rec))
      if (seen != null) {
        if (bytesToHex(seen.header) !== bytesToHex(rec.header)) {
          this.stats.conflicts++
          this.log(`not sending a vote that conflicts with one signed before (slot ${rec.slot}, view ${rec.view}, phase ${rec.phase})`)
          return
        }
      } else {
        this.records.set(key(rec), rec)
        write = this.persist()
      }
    }
    if (write == null && this.pending === 0) { deliver(); return }
    this.pending++
    const before = this.tail
    this.tail = (async () => {
      await before
      const ok = await (write ?? Promise.resolve(true))
      this.pending--
      if (ok) deliver()
    })()
  }

  private persist (): Promise<boolean> {
    if (this.scheduled != null) return this.scheduled
    const next = this.writing.then(async () => {
      this.scheduled = undefined
      const h = this.height()
      for (const [k, r] of this.records) if (r.slot <= h) this.records.delete(k)
      while (this.records.size > MAX_JOURNAL_RECORDS) this.records.delete(this.records.keys().next().value as string)
      if (this.store.putVotes == null) return true
      try {
        await this.store.putVotes(writeJournal([...this.records.values()]))
        this.stats.writes++
        return true
      } catch (err) {
        // not stored: not sent (silence is safe, an unrecorded vote is not)
        this.stats.writeErrors++
        this.log(`vote journal write failed: ${String(err)}`)
        return false
      }
    })
    this.scheduled = next
    this.writing = next
    return next
  }

  /** Waits for every queued message (tests, stop). */
  async settled (): Promise<void> { await this.tail }
}

function key (r: VoteRecord): string { return `${r.slot}:${r.view}:${r.phase}` }
