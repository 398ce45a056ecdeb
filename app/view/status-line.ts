/**
 * The one-line answer to "is this tab in the mesh?": starting, connecting, connected,
 * bootstrap lost (retrying), or failed with the reason; below it, a line per peer refused for
 * another wire version (the version handshake), with the reason.
 */
import type { MeshViewState } from '../mesh-state.ts'
import { h } from './dom.ts'

export function statusText (state: MeshViewState): string {
  const direct = [...state.peers.values()].filter(p => p.transport === 'webrtc').length
  switch (state.status.kind) {
    case 'starting': return 'Starting…'
    case 'connecting': return 'Connecting to the mesh…'
    case 'connected': return `Connected · ${state.peers.size} peer${state.peers.size === 1 ? '' : 's'}, ${direct} direct`
    case 'bootstrap-lost': return `Bootstrap lost, retrying… (${direct} direct peer${direct === 1 ? '' : 's'} still connected)`
    case 'failed': return `Failed: ${state.status.error}`
  }
}

export function renderStatus (el: HTMLElement, state: MeshViewState): void {
  el.dataset.status = state.status.kind
  el.replaceChildren(h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', {}, statusText(state)),
    ...state.refused.map(r => h('p', { class: 'refused', role: 'alert' }, r.message)))
}
