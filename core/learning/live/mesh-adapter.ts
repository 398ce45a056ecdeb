/**
 * The `LearningMesh` a `LiveLearning` needs, from core/net's `MeshNode`: request/response handlers
 * on the live protocol, the open links with their measured ping RTT, the mesh view's members, a
 * direct link made on demand, the peers no bootstrap lists any more (`MeshNode.unlistedPeers`)
 * and a one-off ping.
 * One adapter for the Node peer (node-runtime/learning/live-peer.ts) and the tab
 * (app/learning/live-join.ts).
 */
import type { MeshNode } from '../../net/index.ts'
import type { LearningMesh } from './service.ts'

export function learningMesh (node: MeshNode): LearningMesh {
  return {
    peerId: node.peerId.toString(),
    handle: async (protocol, handler, opts) => { await node.handle(protocol, async (req, ctx) => await handler(req, { peerId: ctx.peerId }), opts) },
    unhandle: async protocol => { await node.unhandle(protocol) },
    request: async (peer, protocol, payload, { directWaitMs, ...opts }) => await node.request(peer, protocol, payload, directWaitMs != null ? { ...opts, direct: true, directWaitMs } : opts),
    links: () => node.links().map(l => ({ peerId: l.peerId, limited: l.limited, ...(l.rttMs != null ? { rttMs: l.rttMs } : {}) })),
    members: () => node.members(),
    link: async (peer, waitMs) => await node.linkDirect(peer, waitMs),
    dialState: peer => node.dialState(peer),
    unlisted: () => node.unlistedPeers(),
    ping: async (peer, timeoutMs) => await node.ping(peer, timeoutMs)
  }
}
