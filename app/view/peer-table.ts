/**
 * The table of this tab's connected peers: who, what kind of peer, over which transport, and
 * the last ping round trip. Rows carry `data-peer-id` / `data-transport` for tests and tooling.
 */
import type { MeshViewState, PeerRole, Transport } from '../mesh-state.ts'
import { h, shortId } from './dom.ts'
import { duration } from './time.ts'

export const TRANSPORT_LABEL: Record<Transport, string> = {
  webrtc: 'WebRTC (direct)',
  websocket: 'WebSocket',
  relayed: 'Relayed'
}

export const ROLE_LABEL: Record<PeerRole, string> = {
  bootstrap: 'bootstrap · relay',
  browser: 'browser tab',
  node: 'Node peer',
  unknown: 'peer'
}

export function renderPeerTable (root: HTMLElement, state: MeshViewState, now: number): void {
  const rows = [...state.peers.values()].sort((a, b) =>
    (a.role === 'bootstrap' ? -1 : 0) - (b.role === 'bootstrap' ? -1 : 0) || (a.peerId < b.peerId ? -1 : 1))
  if (rows.length === 0) {
    root.replaceChildren(h('p', { class: 'empty', 'data-testid': 'no-peers' }, 'No peers connected yet.'))
    return
  }
  const body = h('tbody', {}, ...rows.map(p => h('tr', { 'data-testid': 'peer-row', 'data-peer-id': p.peerId, 'data-transport': p.transport, 'data-role': p.role },
    h('td', {}, h('code', { title: p.peerId }, shortId(p.peerId, 8))),
    h('td', { class: 'col-kind' }, h('span', { class: `role role-${p.role}` }, ROLE_LABEL[p.role])),
    h('td', {}, h('span', { class: `badge t-${p.transport}` }, TRANSPORT_LABEL[p.transport])),
    h('td', { class: 'num', 'data-testid': 'peer-rtt' }, p.rttMs == null ? '–' : `${p.rttMs < 10 ? p.rttMs.toFixed(1) : Math.round(p.rttMs)} ms`),
    h('td', { class: 'num' }, duration(now - p.connectedAt))
  )))
  // a narrow screen scrolls the table, not the page
  root.replaceChildren(h('div', { class: 'table-scroll' }, h('table', { class: 'peers', 'data-testid': 'peer-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Peer'), h('th', { class: 'col-kind' }, 'Kind'), h('th', {}, 'Transport'), h('th', { class: 'num' }, 'Ping'), h('th', { class: 'num' }, 'For'))),
    body)))
}
