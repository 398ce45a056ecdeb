/**
 * A stock libp2p node for hostile tests: libp2p + WebSockets + noise + yamux + identify +
 * gossipsub, configured here and NOT through the project's node code (core/net), so what it sends
 * is what any libp2p implementation could send. Signs its gossip (StrictSign, gossipsub's
 * default) with its own key; forging is done by putting someone else's data in the payload.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { webRTC } from '@libp2p/webrtc'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PublicKey } from '@libp2p/interface'

export type StockNode = Libp2p<{ identify: Identify, pubsub: GossipSub }>

/**
 * `webrtc: true` adds the circuit relay transport and WebRTC, so the node can reach peers that
 * only listen through a relay (`/p2p-circuit/webrtc`), as `novacron peer` does. `userAgent` replaces
 * libp2p's agent string in identify (the version handshake's tests); `listen` adds listen addresses.
 */
export async function createStockNode (opts: { webrtc?: boolean, userAgent?: string, listen?: string[] } = {}): Promise<StockNode> {
  return await createLibp2p({
    ...(opts.userAgent != null ? { nodeInfo: { userAgent: opts.userAgent } } : {}),
    ...(opts.listen != null ? { addresses: { listen: opts.listen } } : {}),
    transports: [webSockets(), ...(opts.webrtc === true ? [circuitRelayTransport(), webRTC()] : [])],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // the Node default gater allows 127.0.0.1; say so explicitly
    connectionGater: { denyDialMultiaddr: () => false },
    // a WebRTC dial through a relay on a loaded machine can take longer than libp2p's default 5 s
    connectionManager: { maxConnections: 64, dialTimeout: 30_000 },
    services: {
      identify: identify(),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false, scoreParams: { IPColocationFactorWeight: 0 } })
    }
  }) as unknown as StockNode
}

/** A pubsub-peer-discovery announcement (protobuf `Peer { bytes publicKey = 1; repeated bytes addrs = 2 }`) about `key`. */
export function peerAnnouncement (key: PublicKey, addrs: Uint8Array[]): Uint8Array {
  const parts: number[] = []
  const field = (tag: number, bytes: Uint8Array): void => {
    parts.push(tag)
    let n = bytes.length
    while (n >= 0x80) { parts.push((n & 0x7f) | 0x80); n >>>= 7 }
    parts.push(n)
    parts.push(...bytes)
  }
  field(0x0a, publicKeyToProtobuf(key))
  for (const a of addrs) field(0x12, a)
  return Uint8Array.from(parts)
}
