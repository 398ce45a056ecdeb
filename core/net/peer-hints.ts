/**
 * Peer hints: a peer and the WebRTC (relayed signalling) addresses to dial it at, handed from a
 * bootstrap to a joining tab in /bootstrap.json so the tab can dial before any peer-discovery
 * message reaches it. `introductions` picks them on the bootstrap; `isPeerHint` is the one check
 * both the page (app/bootstrap.ts) and `MeshNode.introduce` apply to what they receive.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { TopologyView } from './topology.ts'
import type { PeerStore } from '@libp2p/interface'

export interface PeerHint { peerId: string, multiaddrs: string[] }

/** Addresses kept per hint. */
export const MAX_HINT_ADDRS = 8

/** A valid peer id and 1–8 parseable `/p2p-circuit/webrtc` multiaddrs that end in it. */
export function isPeerHint (h: unknown): h is PeerHint {
  if (typeof h !== 'object' || h == null) return false
  const { peerId, multiaddrs } = h as { peerId?: unknown, multiaddrs?: unknown }
  if (typeof peerId !== 'string' || !Array.isArray(multiaddrs) || multiaddrs.length === 0 || multiaddrs.length > MAX_HINT_ADDRS) return false
  try {
    peerIdFromString(peerId)
    return multiaddrs.every(a => typeof a === 'string' && a.includes('/p2p-circuit/webrtc') && multiaddr(a).getComponents().at(-1)?.value === peerId)
  } catch {
    return false
  }
}

/**
 * Up to `max` peers of `view` whose WebRTC (relayed signalling) addresses the peer store holds
 * (from identify or peer discovery), fewest announced direct links first: they have room for a
 * newcomer. The peer store rather than discovery events: libp2p emits `peer:discovery` only for
 * peers new to the store, and a bootstrap meets every peer by its WebSocket connection first.
 */
export async function introductions (peerStore: Pick<PeerStore, 'get'>, view: TopologyView, max: number): Promise<PeerHint[]> {
  const hints: PeerHint[] = []
  for (const peerId of [...view.ids('peer'), ...view.ids('browser')]) {
    let addrs: string[]
    try {
      addrs = (await peerStore.get(peerIdFromString(peerId))).addresses.map(a => a.multiaddr.toString())
    } catch {
      continue // not in the store (any more)
    }
    const webrtc = addrs.filter(a => a.includes('/p2p-circuit/webrtc')).map(a => a.endsWith(`/p2p/${peerId}`) ? a : `${a}/p2p/${peerId}`)
    if (webrtc.length > 0) hints.push({ peerId, multiaddrs: webrtc.slice(0, MAX_HINT_ADDRS) })
  }
  return hints.sort((a, b) => view.degree(a.peerId) - view.degree(b.peerId) || (a.peerId < b.peerId ? -1 : 1)).slice(0, max)
}