/**
 * Adapts core/net's `MeshNode` to the narrow `StateMesh` the provider depends on (request/response,
 * gossipsub topics, connection events, the node's key to sign state entries, and hanging up on an
 * offender).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { MeshNode } from '../net/index.ts'
import type { StateMesh } from './provider.ts'

export function meshAsStateMesh (node: MeshNode): StateMesh {
  const key = node.config.privateKey
  return {
    peerId: node.peerId.toString(),
    sign: data => {
      if (key == null) throw new TypeError('the mesh node has no private key to sign state entries with')
      return key.sign(data)
    },
    handle: async (protocol, handler, opts) => {
      await node.handle(protocol, async (req, ctx) => await handler(req, { peerId: ctx.peerId }), { maxFrameSize: opts.maxFrameSize })
    },
    unhandle: async protocol => { await node.unhandle(protocol) },
    request: async (peer, protocol, payload, opts) => await node.request(peer, protocol, payload, opts),
    publish: async (topic, data) => await node.publish(topic, data),
    subscribers: topic => node.subscribers(topic),
    subscribe: (topic, handler, opts) => node.subscribe(topic, msg => { handler({ from: msg.from, data: msg.data }) }, { check: opts?.check }),
    onPeer: (event, fn) => {
      const type = event === 'connect' ? 'peer:connect' : 'peer:disconnect'
      // A relayed connection only signals WebRTC and refuses protocol streams: wait for the direct one.
      // A peer is connected once, however many links it has: a second link (the bootstrap's
      // WebSocket beside WebRTC, or a duplicate direct link a simultaneous dial left before the
      // node closes it) must not start another handshake with the same peer.
      const usableLinks = (peerId: string): number => node.links().filter(l => l.peerId === peerId && !l.limited).length
      const listener = (e: CustomEvent<{ peerId: string, transport?: string }>): void => {
        if (e.detail.transport === 'relayed') return
        if (event === 'connect' && usableLinks(e.detail.peerId) > 1) return
        fn(e.detail.peerId)
      }
      node.addEventListener(type, listener)
      return () => { node.removeEventListener(type, listener) }
    },
    onSubscribe: (topic, fn) => {
      const listener = (e: CustomEvent<{ peerId: string, topic: string }>): void => { if (e.detail.topic === topic) fn(e.detail.peerId) }
      node.addEventListener('topic:subscribe', listener)
      return () => { node.removeEventListener('topic:subscribe', listener) }
    },
    connectedPeers: () => [...new Set(node.links().filter(l => !l.limited).map(l => l.peerId))],
    hangUp: async peer => { await node.libp2p.hangUp(peerIdFromString(peer)) }
  }
}
