/**
 * What the ledger frames a peer receives are, for the benchmark's "frames per decision by kind"
 * (issue 15: ProBFT's live frames per decision were 1.30× PBFT's at n = 16 against the simulator's
 * 0.68, and the question was which frames are the extra ones): each inbound frame counted by kind
 * (a consensus frame by its engine message: propose, prepare, commit, viewChange, newView, decision,
 * decisionRequest; else microblock, forward, forwarded, probe, probeAck), and by kind the frames
 * that repeat one already received from the same peer (re-sends on silence, or a copy that came
 * twice), remembered over the last `REMEMBER` frames by a 32-bit FNV-1a hash (a collision can only
 * overcount a repeat, rarely). Sync pulls are counted too; they travel on their own protocol.
 */
import { FRAME_CONSENSUS, FRAME_FORWARD, FRAME_FORWARDED, FRAME_MICROBLOCK, FRAME_PROBE, FRAME_PROBE_ACK } from './codec.ts'

const REMEMBER = 8192
const MESSAGE_KINDS = ['', 'header', 'propose', 'prepare', 'commit', 'viewChange', 'newView', 'decision', 'decisionRequest']

/** The kind of a ledger frame from its first bytes (no decoding beyond them: this runs on every frame). */
export function frameKind (frame: Uint8Array): string {
  switch (frame[0]) {
    case FRAME_CONSENSUS: {
      // type • varUint(epoch) • varUint8Array(message): skip the epoch's varint and the length's
      let i = 1
      while (i < frame.length && (frame[i] & 0x80) !== 0) i++
      i++
      while (i < frame.length && (frame[i] & 0x80) !== 0) i++
      i++
      const t = frame[i]
      return t != null && t > 0 ? MESSAGE_KINDS[t] ?? 'other' : 'other'
    }
    case FRAME_MICROBLOCK: return 'microblock'
    case FRAME_FORWARD: return 'forward'
    case FRAME_FORWARDED: return 'forwarded'
    case FRAME_PROBE: return 'probe'
    case FRAME_PROBE_ACK: return 'probeAck'
    default: return 'other'
  }
}

function fnv1a (from: string, bytes: Uint8Array): number {
  let h = 0x811c9dc5
  for (let i = 0; i < from.length; i++) h = Math.imul(h ^ from.charCodeAt(i), 0x01000193)
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193)
  return h >>> 0
}

export interface FrameCounts {
  /** inbound frames by kind */
  byKind: Record<string, number>
  /** of those, frames identical to one already received from the same peer */
  repeats: Record<string, number>
  /** sync pulls this peer started (request/response, not frames) */
  syncPulls: number
  /** of those requests, the ones to a peer we held no usable link to (dialled first: sync-pull.ts) */
  syncDials: number
  /** periodic pulls left out: this replica had decided a slot itself within the interval (ledger-node.ts) */
  syncSkips: number
}

export class FrameTally {
  readonly counts: FrameCounts = { byKind: {}, repeats: {}, syncPulls: 0, syncDials: 0, syncSkips: 0 }
  private readonly seen = new Set<number>()
  private readonly order: number[] = []

  note (from: string, frame: Uint8Array): void {
    const kind = frameKind(frame)
    this.counts.byKind[kind] = (this.counts.byKind[kind] ?? 0) + 1
    const h = fnv1a(from, frame)
    if (this.seen.has(h)) { this.counts.repeats[kind] = (this.counts.repeats[kind] ?? 0) + 1; return }
    this.seen.add(h)
    this.order.push(h)
    if (this.order.length > REMEMBER) this.seen.delete(this.order.shift() as number)
  }
}
