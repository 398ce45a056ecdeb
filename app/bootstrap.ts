/**
 * Where the tab learns the mesh: `GET /bootstrap.json` from the origin that served the page,
 * answered by `novacron start` as `{ "peerId": "...", "multiaddrs": ["/ip4/…/ws/p2p/…"],
 * "peers": [{ "peerId": "...", "multiaddrs": ["…/p2p-circuit/webrtc/p2p/…"] }] }`.
 * The answer is validated before anything dials it; a bad answer is a `BootstrapFormatError`,
 * an unreachable server a `BootstrapFetchError`, so the page can say which went wrong. `peers`
 * is optional and only a hint (the tab dials them before discovery would tell it of anyone):
 * entries that are not well formed are dropped and counted in `droppedPeers`, never fatal.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { isPeerHint, type PeerHint } from '../core/net/index.ts'

export interface BootstrapInfo {
  peerId: string
  multiaddrs: Multiaddr[]
  /** Peers to dial at once (well-formed entries of the answer's `peers`, at most `MAX_HINTS`). */
  peers: PeerHint[]
  /** Entries of `peers` that were dropped as malformed or beyond `MAX_HINTS`. */
  droppedPeers: number
}

export const MAX_HINTS = 16

export class BootstrapError extends Error {
  static override name = 'BootstrapError'
  override name = 'BootstrapError'
}

export class BootstrapFetchError extends BootstrapError {
  static override name = 'BootstrapFetchError'
  override name = 'BootstrapFetchError'
}

export class BootstrapFormatError extends BootstrapError {
  static override name = 'BootstrapFormatError'
  override name = 'BootstrapFormatError'
}

/** Validates a parsed `/bootstrap.json` body. Every multiaddr must end in the bootstrap's own id. */
export function parseBootstrap (body: unknown): BootstrapInfo {
  if (typeof body !== 'object' || body == null) throw new BootstrapFormatError('bootstrap.json is not an object')
  const { peerId, multiaddrs } = body as { peerId?: unknown, multiaddrs?: unknown }
  if (typeof peerId !== 'string') throw new BootstrapFormatError('bootstrap.json: "peerId" must be a string')
  try {
    peerIdFromString(peerId)
  } catch {
    throw new BootstrapFormatError(`bootstrap.json: "peerId" is not a peer id: ${peerId.slice(0, 80)}`)
  }
  if (!Array.isArray(multiaddrs) || multiaddrs.length === 0) {
    throw new BootstrapFormatError('bootstrap.json: "multiaddrs" must be a non-empty array')
  }
  const addrs = multiaddrs.map((a, i) => {
    if (typeof a !== 'string') throw new BootstrapFormatError(`bootstrap.json: multiaddrs[${i}] is not a string`)
    let ma: Multiaddr
    try {
      ma = multiaddr(a)
    } catch {
      throw new BootstrapFormatError(`bootstrap.json: multiaddrs[${i}] is not a multiaddr: ${a.slice(0, 120)}`)
    }
    if (ma.getComponents().at(-1)?.value !== peerId) {
      throw new BootstrapFormatError(`bootstrap.json: multiaddrs[${i}] does not end in /p2p/${peerId}`)
    }
    return ma
  })
  const { peers, dropped } = parseHints((body as { peers?: unknown }).peers)
  return { peerId, multiaddrs: addrs, peers, droppedPeers: dropped }
}

function parseHints (raw: unknown): { peers: PeerHint[], dropped: number } {
  if (raw == null) return { peers: [], dropped: 0 }
  if (!Array.isArray(raw)) throw new BootstrapFormatError('bootstrap.json: "peers" must be an array when present')
  const peers: PeerHint[] = []
  for (const entry of raw.slice(0, MAX_HINTS)) {
    if (isPeerHint(entry)) peers.push({ peerId: entry.peerId, multiaddrs: [...entry.multiaddrs] })
  }
  return { peers, dropped: raw.length - peers.length }
}

/** Fetches and validates the bootstrap description from the origin of `baseUrl` (the page's URL). */
export async function fetchBootstrap (baseUrl: string, fetchFn: typeof fetch = fetch): Promise<BootstrapInfo> {
  const url = new URL('/bootstrap.json', baseUrl)
  let res: Response
  try {
    res = await fetchFn(url, { cache: 'no-store' })
  } catch (err) {
    throw new BootstrapFetchError(`cannot reach ${url.href}: ${(err as Error).message}`)
  }
  if (!res.ok) throw new BootstrapFetchError(`${url.href} answered ${res.status}`)
  let body: unknown
  try {
    body = await res.json()
  } catch {
    throw new BootstrapFormatError(`${url.href} is not JSON`)
  }
  return parseBootstrap(body)
}
