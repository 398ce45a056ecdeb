/**
 * Shared state for the `novacron peer` / `novacron start` processes: what their command modules
 * call (one line each) to join the state mesh.
 *
 * With `--data-dir` the document lives on disk (state survives restarts) and the CLI reaches the
 * running peer through its control endpoint; without it the peer still replicates, in memory.
 * The returned `stop` is idempotent and safe to call after the mesh node has stopped.
 */
import * as Y from 'yjs'
import type { MeshNode } from '../../core/net/index.ts'
import { meshAsStateMesh } from '../../core/state/mesh-adapter.ts'
import { setPresence } from '../../core/state/presence.ts'
import { StateProvider } from '../../core/state/provider.ts'
import type { ControlServer } from './control.ts'
import { startStateService } from './service.ts'

export async function startPeerState (node: MeshNode, dataDir: string | undefined, log: (message: string) => void = () => {}): Promise<{ stop: () => Promise<void>, control?: ControlServer }> {
  const peerId = node.peerId.toString()
  if (dataDir != null) {
    const service = await startStateService({ dataDir, actor: peerId, mesh: meshAsStateMesh(node), log })
    return { stop: service.stop, control: service.control }
  }
  const provider = new StateProvider({ doc: new Y.Doc(), log }, { mesh: meshAsStateMesh(node) })
  setPresence(provider.awareness, { peerId, name: `node ${peerId.slice(-6)}`, view: 'headless', kind: 'node' })
  await provider.start()
  return { stop: async () => { await provider.stop() } }
}
