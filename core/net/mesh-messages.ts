/**
 * What a peer does with the mesh's own pubsub messages (the topology and broadcast topics):
 * a broadcast is handed to the node's listeners, a goodbye drops its author from the view and
 * closes our links to it at once, a neighbour list updates the view — and when it comes from one
 * of our bootstraps and no longer lists a peer, that peer is checked (link-sweeper.ts `checkGone`).
 * Any other topic's message goes to the application's subscribers (app-topics.ts).
 * Split out of mesh-node.ts (no behaviour change). Messages arrive decoded by the topic validator
 * (mesh-guard.ts); one it did not see is decoded here, and an unsigned or undecodable one is counted
 * in `stats.badMessages` and dropped.
 */
import type { Logger } from '@libp2p/interface'
import type { Message } from '@libp2p/gossipsub'
import { BROADCAST_TOPIC, TOPOLOGY_TOPIC } from './topics.ts'
import { readMeshMessage, MSG_BROADCAST, MSG_LEAVE, MSG_TOPOLOGY } from './mesh-codec.ts'
import { unlistedBy, type TopologyView } from './topology.ts'
import type { MeshGuard } from './mesh-guard.ts'
import type { LinkVouches } from './link-vouch.ts'
import type { AppTopics } from './app-topics.ts'
import type { MeshStats } from './mesh-types.ts'

export interface MeshMessageParts {
  view: Pick<TopologyView, 'announce' | 'leave' | 'get'>
  guard: Pick<MeshGuard, 'meshMessage'>
  vouches: Pick<LinkVouches, 'vouch'>
  appTopics: Pick<AppTopics, 'deliver'>
  /** our configured bootstraps' peer ids: the only peers whose neighbour lists may drop others */
  bootstrapIds: ReadonlySet<string>
  /** a bootstrap stopped listing `peerId` (link-sweeper.ts `checkGone`) */
  checkGone: (peerId: string) => void
  /** closes every link to `peerId` */
  hangUp: (peerId: string) => Promise<void>
  broadcast: (from: string, text: string) => void
  viewChanged: () => void
  stats: Pick<MeshStats, 'badMessages'>
  log: Logger
}

/** Handles one pubsub message the node received (gossipsub's 'message' event). */
export function onMeshMessage (parts: MeshMessageParts, msg: Message): void {
  const from = msg.type === 'signed' ? msg.from.toString() : undefined
  if (msg.topic !== TOPOLOGY_TOPIC && msg.topic !== BROADCAST_TOPIC) {
    if (from != null) parts.appTopics.deliver({ from, topic: msg.topic, data: msg.data })
    return
  }
  const { view, log } = parts
  if (from == null) { parts.stats.badMessages++; return }
  // decoded once by the topic validator (mesh-guard.ts); decoded here only if it did not run
  let m = parts.guard.meshMessage(msg)
  if (m == null) {
    try {
      m = readMeshMessage(msg.data)
    } catch (err) {
      parts.stats.badMessages++
      log('bad mesh message from %s: %s', from, err instanceof Error ? err.message : String(err))
      return
    }
  }
  if (m.type === MSG_BROADCAST) parts.broadcast(from, m.text)
  else if (m.type === MSG_LEAVE) {
    if (view.leave(from, Date.now())) parts.viewChanged()
    // close our side at once: a WebRTC peer that closed may otherwise linger until ICE notices
    parts.hangUp(from).catch(err => { log('hang up on %s failed: %s', from, err instanceof Error ? err.message : String(err)) })
  } else if (m.type === MSG_TOPOLOGY) {
    const before = parts.bootstrapIds.has(from) ? view.get(from)?.neighbours : undefined
    if (!view.announce(from, m, Date.now(), parts.vouches.vouch(from))) return
    // our bootstrap lost its link to a peer: a closed tab or a crashed process (module comment of topology.ts)
    for (const id of before == null ? [] : unlistedBy(before, view.get(from)?.neighbours ?? [])) parts.checkGone(id)
    parts.viewChanged()
  }
}
