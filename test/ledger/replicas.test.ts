/**
 * The ledger shell between several replicas over an in-memory network with seeded delays (no
 * libp2p; test/ledger/live.test.ts runs it over real MeshNodes): a genesis peer and 6 joiners become
 * 7 replicas one epoch at a time; 200 entries submitted from different peers commit with identical
 * heads everywhere; 2 replicas crash and the rest keep committing, then remove them (f + 1 remove
 * entries); a follower (join: false) verifies and matches the head; `verify` re-checks the store.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { waitFor } from '../_support/wait.ts'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

const net = new MemNet(7)
let genesis: MemPeer
const peers: MemPeer[] = []
const note = (i: number): { kind: string, data: Uint8Array } => ({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ i })) })

function heads (ps: MemPeer[]): Set<string> { return new Set(ps.map(p => `${p.node.status().height}:${p.node.status().head}`)) }

before(async () => {
  await ready()
})

after(async () => { await net.stopAll() })

test('seven replicas: joins, 200 entries with identical heads', { timeout: 120_000 }, async () => {
  const key = await seededKey('genesis')
  const gid = peerIdFromPrivateKey(key).toString()
  genesis = await net.add('genesis', { genesisPeerId: gid, removeAfterMs: 3000, syncIntervalMs: 500 }, { key })
  peers.push(genesis)
  for (let i = 1; i < 7; i++) peers.push(await net.add(`peer ${i}`, { genesisPeerId: gid, removeAfterMs: 3000, syncIntervalMs: 500 }))
  await waitFor(() => peers.every(p => p.node.status().replicas.length === 7 && p.node.status().replica), { timeout: 90_000, message: () => `7 replicas (${peers.map(p => p.node.status().replicas.length).join(',')})` })
  const s = genesis.node.status()
  assert.equal(s.f, 2)
  assert.equal(s.protocol, 'probft')
  assert.ok(s.epoch >= 1 && s.epoch <= 6, `joins committed together share an epoch change (epoch ${s.epoch})`)
  const results = await Promise.all(Array.from({ length: 200 }, async (_, i) => await peers[i % 7].node.submit(note(i))))
  assert.equal(results.length, 200)
  assert.ok(results.every(r => r.applied && r.kind === 'note'))
  const top = Math.max(...results.map(r => r.slot))
  await waitFor(() => peers.every(p => p.node.status().height >= top) && heads(peers).size === 1, { timeout: 30_000, message: () => `identical heads: ${[...heads(peers)].join(' ')}` })
  const all = await peers[3].node.log(0, 10_000)
  const notes = all.filter(e => e.kind === 'note').map(e => (JSON.parse(new TextDecoder().decode(e.data)) as { i: number }).i).sort((a, b) => a - b)
  assert.deepEqual(notes, Array.from({ length: 200 }, (_, i) => i), 'every entry exactly once')
  assert.ok(new Set(results.map(r => r.slot)).size < 200, 'entries are batched: fewer blocks than entries')
  for (const p of peers) assert.equal(p.node.anomalies.conflictingDecision, 0)
})

test('a follower verifies the chain and matches the head', { timeout: 60_000 }, async () => {
  const follower = await net.add('follower', { genesisPeerId: genesis.id, join: false, syncIntervalMs: 500 })
  await waitFor(() => follower.node.status().head === genesis.node.status().head, { timeout: 30_000, message: 'the follower to catch up' })
  assert.equal(follower.node.status().replica, false)
  const v = await follower.node.verify()
  assert.equal(v.head, genesis.node.status().head)
  // its own entry still commits (sent to two replicas)
  const c = await follower.node.submit(note(1000))
  assert.equal(c.author, follower.id)
  peers.push(follower)
})

test('two replicas crash: the rest keep committing, then remove them', { timeout: 120_000 }, async () => {
  const [a, b] = [peers[5], peers[6]]
  await net.crash(a.id)
  await net.crash(b.id)
  const live = peers.filter(p => p !== a && p !== b)
  const more = await Promise.all(Array.from({ length: 20 }, async (_, i) => await live[i % live.length].node.submit(note(2000 + i))))
  assert.equal(more.length, 20)
  await waitFor(() => live.every(p => p.node.status().replicas.length === 5), { timeout: 60_000, message: () => `removal of the crashed replicas (${live.map(p => p.node.status().replicas.length).join(',')})` })
  const again = await live[1].node.submit(note(3000))
  await waitFor(() => live.every(p => p.node.status().height >= again.slot) && heads(live).size === 1, { timeout: 30_000, message: 'identical heads after removal' })
  const v = await live[2].node.verify()
  assert.equal(v.head, live[2].node.status().head)
})
