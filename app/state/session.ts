/**
 * The tab's shared-state session: one Y.Doc for the board and memory panels, persisted in
 * IndexedDB (y-indexeddb, so a reload keeps everything, even offline) and replicated over the tab's
 * mesh peer by the state provider (its signed entries in IndexedDB too: ./entry-store.ts). Created
 * once, on first use, and shared by both panels.
 */
import { IndexeddbPersistence } from 'y-indexeddb'
import * as Y from 'yjs'
import type { AppContext } from '../context.ts'
import { Board } from '../../core/state/board.ts'
import { meshAsStateMesh } from '../../core/state/mesh-adapter.ts'
import { MemoryStore } from '../../core/state/memory.ts'
import { setPresence, type Presence } from '../../core/state/presence.ts'
import { StateProvider } from '../../core/state/provider.ts'
import { registerStateMetrics } from '../../core/state/metrics.ts'
import { trimDecodedContent } from '../../core/state/trim.ts'
import { openEntryStore } from './entry-store.ts'

export interface StateSession {
  doc: Y.Doc
  board: Board
  memory: MemoryStore
  provider: StateProvider
  /** Tells every peer what this tab looks at (`board`, `memory`, `issue:<id>`). */
  look: (view: string) => void
  /** How many issues IndexedDB gave back before the network was touched (reload tests). */
  restoredIssues: number
  /** Calls `fn` (at most once per frame) whenever the document or awareness changes. */
  onChange: (fn: () => void) => () => void
}

/** IndexedDB database name; exported for tests that clear it. */
export const IDB_NAME = 'novacron-state'

let session: Promise<StateSession> | undefined

export async function stateSession (ctx: AppContext): Promise<StateSession> {
  session ??= open(ctx)
  return await session
}

async function open (ctx: AppContext): Promise<StateSession> {
  const doc = new Y.Doc()
  const idb = new IndexeddbPersistence(IDB_NAME, doc)
  await idb.whenSynced
  // every value was decoded from IndexedDB: give back Yjs's decoding slack (core/state/trim.ts)
  trimDecodedContent(doc)
  const board = new Board({ doc, actor: ctx.peerId })
  const restoredIssues = board.list().length
  const log = (m: string): void => { console.warn(m) }
  const provider = new StateProvider({ doc, store: await openEntryStore(log), log }, { mesh: meshAsStateMesh(ctx.mesh) })
  const me: Presence = { peerId: ctx.peerId, name: `tab ${ctx.peerId.slice(-6)}`, view: 'board', kind: 'browser' }
  setPresence(provider.awareness, me)
  await provider.start()
  // the Health panel shows the state's pending bytes, size and counters next to the mesh's
  registerStateMetrics(ctx.mesh.metrics, provider)
  const listeners = new Set<() => void>()
  let scheduled = false
  const notify = (): void => {
    if (scheduled) return
    scheduled = true
    requestAnimationFrame(() => {
      scheduled = false
      for (const fn of listeners) {
        try { fn() } catch (err) { console.error('state view failed to render', err) }
      }
    })
  }
  doc.on('update', notify)
  provider.awareness.on('change', notify)
  const memory = new MemoryStore({ doc, actor: ctx.peerId })
  // Expiry is a pure rule on each entry; sweeping is housekeeping any peer may do.
  setInterval(() => { memory.sweep() }, 30_000)
  const result: StateSession = {
    doc,
    board,
    restoredIssues,
    memory,
    provider,
    look: view => { if (me.view !== view) { me.view = view; setPresence(provider.awareness, me) } },
    onChange: fn => { listeners.add(fn); return () => { listeners.delete(fn) } }
  }
  // Exposed for end-to-end tests (they drive seeded edits and compare documents across peers).
  ;(globalThis as { __novacronState?: StateSession }).__novacronState = result
  return result
}
