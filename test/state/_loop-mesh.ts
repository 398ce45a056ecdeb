/**
 * An in-memory `StateMesh` between providers of one process (test double for unit tests of the
 * state provider: heap per write, the signed log on its store): requests call the other node's
 * handler, gossip runs its validator then its handler.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { GossipVerdict, StateMesh } from '../../core/state/provider.ts'

type Handler = Parameters<StateMesh['handle']>[1]
export interface LoopNode { id: string, handlers: Map<string, Handler>, subs: Array<{ fn: (m: { from: string, data: Uint8Array }) => void, check?: (d: Uint8Array, from: string) => Promise<GossipVerdict> | GossipVerdict }>, onConnect: Array<(peer: string) => void> }

/** An in-memory StateMesh between nodes of one process: requests call the handler, gossip runs the validator then the handler. */
export async function loopMesh (nodes: LoopNode[]): Promise<StateMesh & { node: LoopNode }> {
  const key = await generateKeyPair('Ed25519')
  const node: LoopNode = { id: peerIdFromPrivateKey(key).toString(), handlers: new Map(), subs: [], onConnect: [] }
  nodes.push(node)
  const others = (): LoopNode[] => nodes.filter(n => n !== node)
  return {
    node,
    peerId: node.id,
    sign: data => key.sign(data),
    handle: async (protocol, handler) => { node.handlers.set(protocol, handler) },
    unhandle: async protocol => { node.handlers.delete(protocol) },
    request: async (peer, protocol, payload) => {
      const handler = nodes.find(n => n.id === peer)?.handlers.get(protocol)
      if (handler == null) throw new Error(`${peer} does not handle ${protocol}`)
      return await handler(payload.slice(), { peerId: node.id })
    },
    publish: async (_topic, data) => {
      const reached: string[] = []
      for (const n of others()) {
        for (const s of n.subs) {
          const copy = data.slice()
          if (s.check != null && await s.check(copy, node.id) !== 'accept') continue
          s.fn({ from: node.id, data: copy })
          reached.push(n.id)
        }
      }
      return reached
    },
    subscribe: (_topic, fn, opts) => {
      const sub = { fn, check: opts?.check }
      node.subs.push(sub)
      return () => { node.subs.splice(node.subs.indexOf(sub), 1) }
    },
    onPeer: (event, fn) => {
      if (event === 'connect') node.onConnect.push(fn)
      return () => {}
    },
    connectedPeers: () => others().map(n => n.id)
  }
}
