/**
 * Places the mesh graph for drawing: every peer on one circle, this tab at the top, the others
 * in peer-id order clockwise. A circle keeps every edge visible and every label clear of the
 * others for the mesh sizes a page shows (tens of peers), and it is deterministic: the same mesh
 * always draws the same way, so a peer joining moves the picture as little as possible.
 */
import type { GraphEdge, GraphNode } from '../mesh-state.ts'

export interface PlacedNode extends GraphNode {
  x: number
  y: number
  /** Where the label goes relative to the node: outward from the circle's centre. */
  labelX: number
  labelY: number
  anchor: 'start' | 'middle' | 'end'
}

export interface Layout {
  width: number
  height: number
  nodes: PlacedNode[]
  edges: Array<GraphEdge & { x1: number, y1: number, x2: number, y2: number }>
}

export interface LayoutInit {
  /** @default 520 */
  width?: number
  /** @default 400 */
  height?: number
  /** Space kept for labels around the circle. @default 70 */
  margin?: number
}

export function layoutCircle (nodes: GraphNode[], edges: GraphEdge[], init: LayoutInit = {}): Layout {
  const width = init.width ?? 520
  const height = init.height ?? 400
  const margin = init.margin ?? 70
  const cx = width / 2
  const cy = height / 2
  const r = Math.max(10, Math.min(width, height) / 2 - margin)
  const ordered = [...nodes].sort((a, b) => (a.self === b.self ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.self ? -1 : 1))
  const placed: PlacedNode[] = ordered.map((n, i) => {
    const angle = ordered.length === 1 ? -Math.PI / 2 : -Math.PI / 2 + (2 * Math.PI * i) / ordered.length
    const cos = Math.cos(angle)
    const sin = Math.sin(angle)
    const x = ordered.length === 1 ? cx : cx + r * cos
    const y = ordered.length === 1 ? cy : cy + r * sin
    const anchor = Math.abs(cos) < 0.3 ? 'middle' : cos > 0 ? 'start' : 'end'
    return {
      ...n,
      x,
      y,
      labelX: x + 22 * cos,
      labelY: y + 22 * sin + (Math.abs(cos) < 0.3 ? (sin > 0 ? 8 : 0) : 4),
      anchor
    }
  })
  const at = new Map(placed.map(n => [n.id, n]))
  const placedEdges = edges.flatMap(e => {
    const a = at.get(e.a)
    const b = at.get(e.b)
    return a == null || b == null ? [] : [{ ...e, x1: a.x, y1: a.y, x2: b.x, y2: b.y }]
  })
  return { width, height, nodes: placed, edges: placedEdges }
}
