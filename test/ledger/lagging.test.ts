/**
 * Lagging replicas across epoch changes (issue 15: at n = 16 under load the mesh split into peers at
 * epoch 27 and peers at epoch 26 and stayed so). Over the in-memory network, seeded: two of 7
 * replicas lose every frame and every gossiped record while the others commit two epoch changes
 * (two joins); then one replica of the new epoch crashes and the next slot's leader is a lagging
 * one, so the rest (6 of 9, under the n − f = 7 a view change needs) cannot decide without the
 * laggers. The laggers' periodic pull is set beyond the test's span (live, that pull went to peers
 * as far behind, or to peers that had cut them off): what must bring them back is the frames of the
 * peers ahead of them. Before the fix those frames were `wrongEpoch` rejections held against honest
 * senders (links closed over `maxRejectsPerMinute`) and the laggers never pulled: the entry below
 * never committed.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { waitFor } from '../_support/wait.ts'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

const net = new MemNet(15)
const peers: MemPeer[] = []
const note = (i: number): { kind: string, data: Uint8Array } => ({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ i })) })
const live = (): MemPeer[] => peers.filter(p => !net.offline.has(p.id))
const show = (): string => peers.map(p => {
  const s = p.node.status()
  return `${p.id.slice(-4)}${net.offline.has(p.id) ? '(off)' : ''} e${s.epoch} h${s.height} n${s.replicas.length} ${JSON.stringify(s.rejected)}`
}).join('; ')

before(async () => { await ready() })
after(async () => { await net.stopAll() })

test('replicas two epochs behind catch up from the frames of peers ahead, and the stalled epoch decides', { timeout: 240_000 }, async () => {
  const key = await seededKey('lagging genesis')
  const gid = peerIdFromPrivateKey(key).toString()
  const init = { genesisPeerId: gid, removeAfterMs: 600_000 }
  const genesis = await net.add('lagging genesis', init, { key })
  peers.push(genesis)
  for (let i = 1; i < 7; i++) peers.push(await net.add(`lagging peer ${i}`, init))
  await waitFor(() => peers.every(p => p.node.status().replicas.length === 7 && p.node.status().replica), { timeout: 120_000, message: show })

  // the laggers: two replicas that lead neither join's slot (x's at h + 1 in this epoch of 7, y's at
  // h + 2 in the next of 8) and are not next to each other in leader order (views stay short)
  const s0 = genesis.node.status()
  const order = s0.replicas.map(r => r.peerId)
  const busy = new Set([order[(s0.height + 1) % 7], order[(s0.height + 2) % 8]])
  const free = order.map((id, i) => ({ id, i })).filter(c => c.i > 0 && !busy.has(c.id))
  const pair = free.flatMap(a => free.filter(b => b.i > a.i + 1).map(b => [a, b])).at(0)
  assert.ok(pair != null, `two laggers to pick (${order.length} replicas)`)
  const laggers = pair.map(c => peers.find(p => p.id === c.id) as MemPeer)
  for (const l of laggers) { l.node.init.syncIntervalMs = 3_600_000; net.offline.add(l.id) }
  const e0 = genesis.node.status().epoch
  for (const name of ['x', 'y']) {
    const e = genesis.node.status().epoch
    peers.push(await net.add(`lagging joiner ${name}`, init))
    await waitFor(() => genesis.node.status().epoch > e, { timeout: 60_000, message: show })
  }
  assert.equal(genesis.node.status().replicas.length, 9)
  // commit notes until the next slot's leader is a lagging replica
  const leaderOfNext = (): string => { const s = genesis.node.status(); return s.replicas[(s.height + 1) % s.replicas.length].peerId }
  for (let i = 0; i < 9 && !laggers.some(l => l.id === leaderOfNext()); i++) await genesis.node.submit(note(i), { timeoutMs: 60_000 })
  assert.ok(laggers.some(l => l.id === leaderOfNext()), 'a lagging replica leads the next slot')
  assert.ok(laggers.every(l => l.node.status().epoch === e0), `the laggers are two epochs behind (${show()})`)

  // everything committed while the laggers were away has been gossiped (and lost to them)
  const top = genesis.node.status().height
  await waitFor(() => live().every(p => laggers.includes(p) || p.node.status().height >= top) && net.inFlight === 0, { timeout: 30_000, message: show })
  // 6 of 9 left ahead: no view change without the laggers (the one crashed does not lead view 1)
  const s1 = genesis.node.status()
  const nextView = s1.replicas[(s1.height + 2) % 9].peerId
  const victim = peers.slice(1, 7).find(p => !laggers.includes(p) && p.id !== nextView) as MemPeer
  await net.crash(victim.id)
  for (const l of laggers) net.offline.delete(l.id)
  const c = await genesis.node.submit(note(100), { timeoutMs: 120_000 })
  assert.ok(c.applied)
  await waitFor(() => live().every(p => p.node.status().height >= c.slot) && new Set(live().map(p => p.node.status().head)).size === 1, { timeout: 60_000, message: show })
  for (const p of live()) {
    assert.equal(p.node.anomalies.disconnects, 0, `${p.id} closed no honest peer's links (${show()})`)
    assert.equal(p.node.anomalies.conflictingDecision, 0)
  }
  assert.ok(laggers.every(l => l.node.status().replica && l.node.status().epoch === genesis.node.status().epoch))
})
