/** The topology picture's circle layout (app/view/topology-layout.ts): deterministic, self on top, inside the box. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { layoutCircle } from '../../app/view/topology-layout.ts'

const nodes = ['d', 'b', 'self', 'c', 'a'].map(id => ({ id, self: id === 'self', role: 'unknown' as const }))

test('self is placed at the top, the others in id order, all inside the view box', () => {
  const l = layoutCircle(nodes, [{ a: 'a', b: 'self', transport: 'webrtc' }, { a: 'x', b: 'a', transport: null }], { width: 400, height: 300, margin: 50 })
  assert.deepEqual(l.nodes.map(n => n.id), ['self', 'a', 'b', 'c', 'd'])
  const top = l.nodes[0]
  assert.ok(l.nodes.every(n => n.y >= top.y), 'self has the smallest y')
  assert.ok(Math.abs(top.x - 200) < 1e-9)
  for (const n of l.nodes) {
    assert.ok(n.x >= 0 && n.x <= 400 && n.y >= 0 && n.y <= 300, `${n.id} inside`)
  }
  // edges to unknown nodes are dropped; the rest get both endpoints' coordinates
  assert.equal(l.edges.length, 1)
  assert.deepEqual([l.edges[0].x2, l.edges[0].y2], [top.x, top.y])
  assert.deepEqual(layoutCircle(nodes, []), layoutCircle([...nodes].reverse(), []), 'input order does not matter')
})

test('a lone node sits in the centre', () => {
  const l = layoutCircle([{ id: 'self', self: true, role: 'browser' }], [], { width: 100, height: 80 })
  assert.deepEqual([l.nodes[0].x, l.nodes[0].y], [50, 40])
})
