/**
 * The mesh section of the page: status line, identity, peer table, topology picture and
 * broadcast box, rendered from one `MeshViewState`. `update(event)` runs the pure reducer and,
 * when the state changed, re-renders shortly after, so a burst of events costs one render and
 * an idle mesh costs none (beyond a clock refresh every 5 s).
 */
import type { IdentityOrigin } from './identity.ts'
import { initialState, reduce, type MeshViewEvent, type MeshViewState } from './mesh-state.ts'
import { mountBroadcastBox } from './view/broadcast-box.ts'
import { renderIdentity } from './view/identity-card.ts'
import { renderPeerTable } from './view/peer-table.ts'
import { renderStatus } from './view/status-line.ts'
import { renderTopology } from './view/topology-view.ts'

export interface MeshViewRoots {
  status: HTMLElement
  identity: HTMLElement
  peers: HTMLElement
  topology: HTMLElement
  broadcast: HTMLElement
}

export interface MeshViewInit {
  self: string
  bootstrap: string
  /** Shown on the identity card so a user can see which mesh the tab joined. */
  bootstrapAddr: string
  identityOrigin: IdentityOrigin
  sendBroadcast: (text: string) => Promise<void>
}

export interface MeshView {
  update: (event: MeshViewEvent) => void
  state: () => MeshViewState
}

/** Finds the page's mount points by id (see index.html); throws if the page lacks one. */
export function findRoots (doc: Document): MeshViewRoots {
  const get = (id: string): HTMLElement => {
    const el = doc.getElementById(id)
    if (el == null) throw new Error(`index.html has no #${id}`)
    return el
  }
  return { status: get('status'), identity: get('identity'), peers: get('peers'), topology: get('topology'), broadcast: get('broadcast') }
}

export function mountMeshView (roots: MeshViewRoots, init: MeshViewInit): MeshView {
  let state = initialState(init.self, init.bootstrap)
  let scheduled = false
  renderIdentity(roots.identity, init.self, init.identityOrigin, init.bootstrapAddr)
  const box = mountBroadcastBox(roots.broadcast, init.sendBroadcast)
  const render = (): void => {
    scheduled = false
    renderStatus(roots.status, state)
    renderPeerTable(roots.peers, state, Date.now())
    renderTopology(roots.topology, state)
    box.renderList(state.broadcasts)
  }
  render()
  // the "For" column counts seconds: refresh it now and then even when nothing else changes
  setInterval(() => { if (!scheduled) render() }, 5000)
  return {
    update (event) {
      const next = reduce(state, event)
      if (next === state) return
      state = next
      if (!scheduled) {
        scheduled = true
        // rAF pauses in background tabs; a timeout keeps hidden tabs' DOM current for tests and tooling
        setTimeout(render, 16)
      }
    },
    state: () => state
  }
}
