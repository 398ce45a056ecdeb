/** Readable output of `novacron ledger …`: the status block and the entry table. */
import type { LedgerStatus } from '../../core/ledger/types.ts'
import { table } from '../state/format.ts'
import type { EntryJson } from './ops.ts'

const ms = (v: number | null): string => v == null ? '-' : `${Math.round(v)} ms`
const short = (id: string | undefined): string => id == null ? '-' : id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id

export function statusText (s: LedgerStatus): string {
  const rejected = Object.entries(s.rejected).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'
  const rows: Array<[string, string]> = [
    ['mesh', s.meshId],
    ['epoch (since slot)', `${s.epoch} (${s.epochStart})`],
    ['protocol, n / f / s / q', `${s.protocol}, ${s.replicas.length} / ${s.f} / ${s.sampleSize} / ${s.quorum}`],
    ['this peer', s.replica ? 'replica' : 'follower'],
    ['height', String(s.height)],
    ['head', s.head],
    ['leader', short(s.leader)],
    ['commit latency p50 / p99', `${ms(s.latency.p50)} / ${ms(s.latency.p99)} (${s.latency.samples} samples)`],
    ['decisions/s, entries/s', `${s.decisionsPerSecond.toFixed(1)}, ${s.entriesPerSecond.toFixed(1)}`],
    ['pending entries', String(s.pending)],
    ['rejected', rejected],
    ['wire out / in', `${s.wire.framesSent} frames ${s.wire.bytesSent} B / ${s.wire.framesReceived} frames ${s.wire.bytesReceived} B`],
    ...admissionRows(s)
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n\n' +
    table(['#', 'REPLICA', 'SINCE SLOT'], s.replicas.map(r => [String(r.index), r.peerId, r.since < 0 ? 'genesis' : String(r.since)]))
}

/** The pending joiner and peers cooling off after a removal, when there are any (docs/ledger.md, "Admission"). */
function admissionRows (s: LedgerStatus): Array<[string, string]> {
  const a = s.admission
  if (a == null) return []
  return [
    ...(a.pendingJoiner != null ? [['pending joiner', `${a.pendingJoiner} (admitted with the next joiner)`] as [string, string]] : []),
    ...a.coolingOff.map((c): [string, string] => ['cooling off', `${c.peerId}: may join from slot ${c.until} (removed ${c.removals} times)`])
  ]
}

export function entryRows (entries: EntryJson[]): string[][] {
  return entries.map(e => [String(e.slot), String(e.index), String(e.epoch), e.kind, short(e.author), e.applied ? 'yes' : `no: ${e.refusal ?? ''}`, e.latencyMs == null ? '-' : `${Math.round(e.latencyMs)} ms`, e.summary])
}

export const ENTRY_HEADERS = ['SLOT', 'I', 'EPOCH', 'KIND', 'AUTHOR', 'APPLIED', 'LATENCY', 'SUMMARY']

export function entryTable (entries: EntryJson[]): string {
  return table(ENTRY_HEADERS, entryRows(entries))
}
