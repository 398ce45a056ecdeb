/**
 * Shared state for the `novacron peer` / `novacron start` processes: what their command modules
 * call (one line each) to join the state mesh.
 *
 * With a data dir (the CLI always gives one: `--data-dir`, default ~/.novacron/<name>) the document
 * lives on disk (state survives restarts) and the CLI reaches the running peer through its control
 * endpoint; without one (in-process tests) the peer still replicates, in memory.
 * The provider's counters, pending bytes and document size join the node's metrics (docs/metrics.md).
 * The returned `stop` is idempotent and safe to call after the mesh node has stopped.
 */
import * as Y from 'yjs'
import type { MeshNode } from '../../core/net/index.ts'
import { meshAsStateMesh } from '../../core/state/mesh-adapter.ts'
import { setPresence } from '../../core/state/presence.ts'
import { StateProvider } from '../../core/state/provider.ts'
import type { ControlServer } from './control.ts'
import { startStateService } from './service.ts'
import { registerStateMetrics } from '../../core/state/metrics.ts'

export async function startPeerState (node: MeshNode, dataDir: string | undefined, log: (message: string) => void = () => {}): Promise<{ stop: () => Promise<void>, control?: ControlServer }> {
  const peerId = node.peerId.toString()
  if (dataDir != null) {
    const service = await startStateService({ dataDir, actor: peerId, mesh: meshAsStateMesh(node), log })
    if (service.provider != null) registerStateMetrics(node.metrics, service.provider)
    return { stop: service.stop, control: service.control }
  }
  const provider = new StateProvider({ doc: new Y.Doc(), log }, { mesh: meshAsStateMesh(node) })
  setPresence(provider.awareness, { peerId, name: `node ${peerId.slice(-6)}`, view: 'headless', kind: 'node' })
  await provider.start()
  registerStateMetrics(node.metrics, provider)
  return { stop: async () => { await provider.stop() } }
}
