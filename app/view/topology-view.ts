/**
 * The live picture of the whole mesh (from topology gossip plus this tab's own links) as SVG.
 * Edge colour is the link's transport (grey when nobody reported it); this tab's own links are bolder.
 */
import { meshGraph, type MeshViewState, type PeerRole } from '../mesh-state.ts'
import { s, h, shortId } from './dom.ts'
import { layoutCircle } from './topology-layout.ts'

const ROLE_CLASS: Record<PeerRole, string> = { bootstrap: 'n-bootstrap', browser: 'n-browser', node: 'n-node', unknown: 'n-unknown' }

export function renderTopology (root: HTMLElement, state: MeshViewState): void {
  const graph = meshGraph(state)
  const layout = layoutCircle(graph.nodes, graph.edges)
  const svg = s('svg', {
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    role: 'img',
    'aria-label': `Mesh topology: ${layout.nodes.length} peers, ${layout.edges.length} links`,
    'data-testid': 'topology',
    'data-nodes': layout.nodes.length,
    'data-edges': layout.edges.length
  })
  for (const e of layout.edges) {
    svg.append(s('line', {
      x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2,
      class: `edge ${e.transport == null ? 'e-gossip' : `e-${e.transport}`}${e.a === state.self || e.b === state.self ? ' own' : ''}`,
      'data-a': e.a,
      'data-b': e.b
    }))
  }
  for (const n of layout.nodes) {
    const g = s('g', { class: `node ${ROLE_CLASS[n.role]}${n.self ? ' n-self' : ''}`, 'data-peer-id': n.id, 'data-testid': 'topology-node' },
      s('title', {}, `${n.self ? 'this tab' : n.role}: ${n.id}`))
    if (n.role === 'bootstrap') {
      g.append(s('rect', { x: n.x - 11, y: n.y - 11, width: 22, height: 22, rx: 5 }))
    } else {
      g.append(s('circle', { cx: n.x, cy: n.y, r: n.self ? 13 : 11 }))
    }
    g.append(s('text', { x: n.labelX, y: n.labelY, 'text-anchor': n.anchor }, n.self ? `you ${shortId(n.id)}` : shortId(n.id)))
    svg.append(g)
  }
  const legend = h('ul', { class: 'legend' },
    h('li', {}, h('span', { class: 'swatch e-webrtc' }), 'WebRTC (direct)'),
    h('li', {}, h('span', { class: 'swatch e-websocket' }), 'WebSocket'),
    h('li', {}, h('span', { class: 'swatch e-relayed' }), 'Relayed'),
    h('li', {}, h('span', { class: 'dotkey n-self' }), 'this tab'),
    h('li', {}, h('span', { class: 'dotkey n-bootstrap square' }), 'bootstrap'),
    h('li', {}, h('span', { class: 'dotkey n-browser' }), 'browser'),
    h('li', {}, h('span', { class: 'dotkey n-node' }), 'Node')
  )
  const count = (role: PeerRole): number => layout.nodes.filter(n => n.role === role).length
  const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`
  const summary = h('p', { class: 'summary', 'data-testid': 'mesh-summary' },
    `${plural(layout.nodes.length, 'peer', 'peers')} in the mesh: ${plural(count('browser'), 'browser tab', 'browser tabs')}, ` +
    `${plural(count('node'), 'Node peer', 'Node peers')}, ${plural(count('bootstrap'), 'bootstrap', 'bootstraps')}` +
    (count('unknown') > 0 ? `, ${plural(count('unknown'), 'peer', 'peers')} not yet announced` : '') +
    ` · ${plural(layout.edges.filter(e => e.transport === 'webrtc').length, 'direct link', 'direct links')}`)
  root.replaceChildren(summary, svg, legend)
}
