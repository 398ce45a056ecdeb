/**
 * The version handshake: every peer announces its build and wire version in identify's agent
 * string, and a link to a peer of another wire version is closed with a clear reason instead of
 * the two peers silently rejecting each other's messages.
 *
 * `WIRE_VERSION` is bumped by any change that alters what another peer accepts: a message format
 * or cap (e.g. ledger blocks over 60 KiB), a replicated document's layout (e.g. the board's issue
 * layout), a protocol's rules. A stream protocol id bump (`/novacron/migration/1.3.0`) alone only
 * tells the one subsystem; the wire version tells the whole link, at connect time.
 *
 * The agent string is `novacron/<build> wire/<N> <platform>`, e.g. `novacron/0.1.0 wire/2 node`.
 * A peer that advertises NovaCron protocols (`/novacron/…`) without that agent is a build from
 * before the handshake: wire 1. A peer that advertises neither (a stock libp2p node, a tool) is
 * not refused here: it is "unversioned", and everything it sends is validated as from any peer.
 * A hostile peer can lie about its version: this is for compatibility, not security.
 *
 * A refused peer is also kept out at the connection gater (no dial to it, no inbound link from it)
 * for a back-off that doubles per refusal (`refuseMs` to `refuseMaxMs`), so a peer that upgrades
 * is let in again within the back-off, and one that does not costs one refused handshake per
 * back-off, not one per maintenance tick. Bounded: at most `maxRemembered` refused peers are
 * remembered (the oldest forgotten first).
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'

/**
 * The wire version this build speaks.
 * 1: builds before the handshake (up to commit a82f0f6).
 * 2: ledger blocks up to 252 KiB (value cap 256 KiB), the board's issue layout with a `base` entry and
 *    prefixed label/link/comment keys, migration protocol 1.4.0 with loop poll points (snapshot v2).
 * 3: migration protocol 1.5.0: poll points also at recursive functions' entries (snapshot v3).
 * 4: live learning protocol 1.1.0: a `start` carries a flags field and may carry the base's delta.
 * 5: ledger epochs below 4 replicas size the engine with f = n − q (1 at n = 3): a NEW-VIEW there
 *    carries 2 VIEW-CHANGEs, which a wire-4 peer refuses (docs/ledger.md, "Replicas that stop voting").
 * 6: live learning message `hold` (11): a coordinator hands its new model to a participant before
 *    its commit (docs/learning.md, "A head no peer holds"); a wire-5 peer refuses it as malformed.
 * 7: ledger admission rules (core/ledger/admission.ts): a single replica admits joiners two at a
 *    time (1 → 3), and a peer removed more than once waits a cool-off of committed slots before its
 *    join applies — a wire-6 peer would apply those joins at once and reach another replica set.
 *    Also 7: the learning `hold` carries its round, flags, the whole weights of an exact downlink and the
 *    FedAdam server state (docs/learning.md, "Hand-over gaps"); a wire-6 peer refuses it as malformed.
 *    Also 7: migration protocol 1.6.0: the offer names the chunk size (4 KiB chunks, 8 KiB before): a
 *    wire-6 peer refuses such an offer as malformed (PROTOCOL.md, "Live migration").
 */
export const WIRE_VERSION = 7

/** What a peer told us about itself. `wire` undefined: not a NovaCron peer, or one that does not say. */
export interface PeerVersion {
  wire: number | undefined
  /** The build it announced (`0.1.0`), or a description for a pre-handshake build. */
  build: string
  /** The agent string as received (truncated to 200 characters). */
  agent: string
}

/** A peer refused for its wire version. */
export interface RefusedPeer {
  peerId: string
  wire: number
  build: string
  /** Our wire version. */
  ours: number
  /** When it was last refused (ms since the epoch), and until when links to it are refused. */
  at: number
  until: number
  /** How many times it was refused. */
  count: number
  /** Whether it is one of our configured bootstraps. */
  bootstrap: boolean
  /** The reason in words, naming both versions. */
  message: string
}

const AGENT = /^novacron\/(\S{1,64}) wire\/(\d{1,6})(?: |$)/

/** The agent string this build announces. `build` is the package version; `platform` e.g. `node` or `browser`. */
export function agentString (build: string, platform: string, wire = WIRE_VERSION): string {
  return `novacron/${build} wire/${wire} ${platform}`
}

/** Reads a peer's version from identify's agent string and protocol list. */
export function readPeerVersion (agent: string | undefined, protocols: readonly string[]): PeerVersion {
  const shown = (agent ?? '').slice(0, 200)
  const m = AGENT.exec(shown)
  if (m != null) return { wire: Number(m[2]), build: m[1], agent: shown }
  if (protocols.some(p => p.startsWith('/novacron/'))) return { wire: 1, build: 'a build from before the version handshake', agent: shown }
  return { wire: undefined, build: 'unknown', agent: shown }
}

/** Why a link to `peerId` was refused, in words a person acts on. */
export function refusalMessage (peerId: string, theirs: PeerVersion, ours: number, bootstrap: boolean): string {
  const who = bootstrap ? `bootstrap ${peerId}` : `peer ${peerId}`
  return `${who} runs NovaCron wire ${String(theirs.wire)} (${theirs.build}); this peer runs wire ${ours}: link closed. ` +
    'Every peer of a mesh must run a build of the same wire version' +
    (bootstrap ? ': upgrade the bootstrap, or start this peer from the build the bootstrap serves.' : '.')
}

export interface VersionGateInit {
  /** Our wire version. @default WIRE_VERSION */
  wire?: number
  /** Peer ids of our configured bootstraps (named as such in the message). */
  bootstraps?: ReadonlySet<string>
  /** First back-off after a refusal. @default 60_000 */
  refuseMs?: number
  /** Longest back-off. @default 600_000 */
  refuseMaxMs?: number
  /** Most refused peers remembered. @default 256 */
  maxRemembered?: number
  now?: () => number
}

export class VersionGate {
  readonly wire: number
  private readonly refused = new Map<string, RefusedPeer>()
  private readonly bootstraps: ReadonlySet<string>
  private readonly refuseMs: number
  private readonly refuseMaxMs: number
  private readonly maxRemembered: number
  private readonly now: () => number

  constructor (init: VersionGateInit = {}) {
    this.wire = init.wire ?? WIRE_VERSION
    this.bootstraps = init.bootstraps ?? new Set()
    this.refuseMs = init.refuseMs ?? 60_000
    this.refuseMaxMs = init.refuseMaxMs ?? 600_000
    this.maxRemembered = init.maxRemembered ?? 256
    this.now = init.now ?? Date.now
  }

  /**
   * Checks what a peer announced; returns the refusal when its wire version differs from ours (the
   * caller closes its links), undefined when it is let in (same version, or unversioned).
   */
  check (peerId: string, agent: string | undefined, protocols: readonly string[]): RefusedPeer | undefined {
    const theirs = readPeerVersion(agent, protocols)
    if (theirs.wire === undefined || theirs.wire === this.wire) {
      this.refused.delete(peerId)
      return undefined
    }
    const now = this.now()
    const old = this.refused.get(peerId)
    const count = (old?.count ?? 0) + 1
    const bootstrap = this.bootstraps.has(peerId)
    const entry: RefusedPeer = {
      peerId,
      wire: theirs.wire,
      build: theirs.build,
      ours: this.wire,
      at: now,
      until: now + Math.min(this.refuseMaxMs, this.refuseMs * 2 ** (count - 1)),
      count,
      bootstrap,
      message: refusalMessage(peerId, theirs, this.wire, bootstrap)
    }
    this.refused.delete(peerId)
    this.refused.set(peerId, entry)
    while (this.refused.size > this.maxRemembered) this.refused.delete(this.refused.keys().next().value as string)
    return entry
  }

  /** Whether links to `peerId` are refused now (its back-off has not run out). */
  isRefused (peerId: string): boolean {
    const r = this.refused.get(peerId)
    return r != null && this.now() < r.until
  }

  /** Every peer refused so far (still remembered), most recent last. */
  list (): RefusedPeer[] {
    return [...this.refused.values()].map(r => ({ ...r }))
  }

  /** Keeps refused peers out at the gater while their back-off runs. */
  gaterMethods (): Pick<ConnectionGater, 'denyDialPeer' | 'denyInboundEncryptedConnection'> {
    return {
      denyDialPeer: (peer: PeerId) => this.isRefused(peer.toString()),
      denyInboundEncryptedConnection: (peer: PeerId) => this.isRefused(peer.toString())
    }
  }
}
