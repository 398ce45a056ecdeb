/**
 * A snapshot of why a node has the direct-link degree it has: each link (transport, direction,
 * proven or not, age), the dials in flight with their last step, failed dials by error and step, and
 * the link counters. For a test's timeout message or a log line when a mesh did not form: it changes
 * nothing and costs one pass over the node's connections.
 */
import type { Connection } from '@libp2p/interface'
import type { LinkHealth, LinkLike } from './link-health.ts'
import type { MeshStats } from './mesh-types.ts'
import { connectionTransport, type ConnectionTransport } from './transport.ts'

/** One open connection as the diagnostic shows it. */
export interface LinkDiagnostic {
  peerId: string
  transport: ConnectionTransport
  direction: 'inbound' | 'outbound'
  /** Data went both ways over it (identify completed or a ping was answered; link-health.ts). */
  proven: boolean
  ageMs: number
}

export interface MeshDiagnostics {
  self: string
  /** Distinct peers with an open direct WebRTC link (what the dialer counts against `maxPeers`). */
  degree: number
  maxPeers: number
  links: LinkDiagnostic[]
  /** Our dials in flight: peer id → last progress step. */
  dialling: Record<string, string>
  /** Peers discovery reported a WebRTC address for, and why each has no link now (`MeshDialer.dialState`). */
  candidates: Record<string, string>
  /** Failed dials since start by `<error name> @ <last step>`. */
  dialFailures: Record<string, number>
  stats: Readonly<MeshStats>
}

/** What the snapshot reads from a live node. */
export interface DiagnosticsSource {
  self: string
  maxPeers: number
  connections: ReadonlyArray<LinkLike & Pick<Connection, 'remotePeer'>>
  health: Pick<LinkHealth, 'proven'>
  dialsInFlight: ReadonlyMap<string, string>
  failureCounts: ReadonlyMap<string, number>
  /** Peer ids the dialer knows a WebRTC address of, with their dial state. */
  candidates: ReadonlyMap<string, string>
  stats: MeshStats
  now: number
}

export function meshDiagnostics (s: DiagnosticsSource): MeshDiagnostics {
  const links = s.connections.filter(c => c.status === 'open').map(c => ({
    peerId: c.remotePeer.toString(),
    transport: connectionTransport(c),
    direction: c.direction,
    proven: s.health.proven(c),
    ageMs: s.now - c.timeline.open
  }))
  return {
    self: s.self,
    degree: new Set(links.filter(l => l.transport === 'webrtc').map(l => l.peerId)).size,
    maxPeers: s.maxPeers,
    links,
    dialling: Object.fromEntries(s.dialsInFlight),
    candidates: Object.fromEntries(s.candidates),
    dialFailures: Object.fromEntries(s.failureCounts),
    stats: { ...s.stats }
  }
}

/** A few lines per node for a log or a test's failure message; peer ids are shortened to their last 6 characters. */
export function formatDiagnostics (d: MeshDiagnostics): string {
  const short = (id: string): string => id.slice(-6)
  const links = d.links.map(l => `${short(l.peerId)} ${l.transport} ${l.direction === 'inbound' ? 'in' : 'out'} ${l.proven ? 'proven' : 'UNPROVEN'} ${Math.round(l.ageMs)}ms`)
  const dialling = Object.entries(d.dialling).map(([p, stage]) => `${short(p)}: ${stage}`)
  const candidates = Object.entries(d.candidates).map(([p, state]) => `${short(p)}=${state}`)
  const failures = Object.entries(d.dialFailures).map(([kind, n]) => `${n}× ${kind}`)
  const { dialSuccesses, dialFailures, duplicateLinksRefused, duplicateLinksClosed, deadLinks, stillbornLinks, overCapClosed, lostDialsCancelled, silentLinksClosed } = d.stats
  return [
    `${short(d.self)}: degree ${d.degree}/${d.maxPeers}`,
    `  links: ${links.join('; ') || 'none'}`,
    `  dialling: ${dialling.join('; ') || 'none'}`,
    `  candidates: ${candidates.join(' ') || 'none'}`,
    `  failed dials: ${failures.join('; ') || 'none'}`,
    `  counts: ${JSON.stringify({ dialSuccesses, dialFailures, duplicateLinksRefused, duplicateLinksClosed, deadLinks, stillbornLinks, overCapClosed, lostDialsCancelled, silentLinksClosed })}`
  ].join('\n')
}
