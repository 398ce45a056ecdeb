/**
 * Shared state inside a running Node peer: the persistent document from `--data-dir`, the control
 * endpoint the CLI talks to, the TTL sweeper, and (when the peer has a mesh) the replication
 * provider. `start`/`stop` are idempotent; `stop` flushes every update to disk before returning.
 */
import type * as Y from 'yjs'
import { MemoryStore } from '../../core/state/memory.ts'
import { setPresence } from '../../core/state/presence.ts'
import { StateProvider, type StateMesh } from '../../core/state/provider.ts'
import { trimDecodedContent } from '../../core/state/trim.ts'
import { startControlServer, type ControlServer } from './control.ts'
import { openPersistentDoc, type PersistentDoc } from './persistence.ts'

export interface StateServiceInit {
  dataDir: string
  /** Who edits: the peer id. */
  actor: string
  /** How often expired memory entries are swept. @default 30000 */
  sweepIntervalMs?: number
  /** The peer's mesh (core/net via `meshAsStateMesh`); without it the state stays local. */
  mesh?: StateMesh
  /** Logs provider problems (bad messages, failed syncs). */
  log?: (message: string) => void
}

export interface StateService {
  readonly doc: Y.Doc
  readonly controlPort: number
  /** the control endpoint (other subsystems add their ops to it) */
  readonly control: ControlServer
  /** The replication provider, when a mesh was given. */
  readonly provider?: StateProvider
  /** Resolves when every update so far is on disk. */
  flush: () => Promise<void>
  stop: () => Promise<void>
}

export async function startStateService (init: StateServiceInit): Promise<StateService> {
  const persistent: PersistentDoc = await openPersistentDoc(init.dataDir)
  // a long-lived peer: every value was decoded from disk, give back Yjs's decoding slack
  // (core/state/trim.ts; not done by a short-lived CLI process opening the same data dir)
  trimDecodedContent(persistent.doc)
  let control: ControlServer | undefined
  try {
    control = await startControlServer(init.dataDir, { doc: persistent.doc, actor: init.actor }, { afterWrite: persistent.flush })
  } catch (err) {
    await persistent.close()
    throw err
  }
  let provider: StateProvider | undefined
  if (init.mesh != null) {
    provider = new StateProvider({ doc: persistent.doc, store: persistent.entries, log: init.log }, { mesh: init.mesh })
    setPresence(provider.awareness, { peerId: init.mesh.peerId, name: `node ${init.mesh.peerId.slice(-6)}`, view: 'headless', kind: 'node' })
    try {
      await provider.start()
    } catch (err) {
      await control.stop()
      await persistent.close()
      throw err
    }
  }
  const memory = new MemoryStore({ doc: persistent.doc, actor: init.actor })
  const sweeper = setInterval(() => { memory.sweep() }, init.sweepIntervalMs ?? 30_000)
  sweeper.unref()
  let stopping: Promise<void> | undefined
  return {
    doc: persistent.doc,
    controlPort: control.port,
    control,
    provider,
    flush: persistent.flush,
    stop: async () => {
      stopping ??= (async () => {
        clearInterval(sweeper)
        await provider?.stop()
        await control?.stop()
        await persistent.compact()
        await persistent.close()
      })()
      await stopping
    }
  }
}
