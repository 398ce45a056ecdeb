/**
 * The ledger shell between several replicas over an in-memory network with seeded delays (no
 * libp2p; test/ledger/live.test.ts runs it over real MeshNodes): a genesis peer and 6 joiners become
 * 7 replicas one epoch at a time; 200 entries submitted from different peers commit with identical
 * heads everywhere; 2 replicas crash and the rest keep committing, then remove them (f + 1 remove
 * entries); a follower (join: false) verifies and matches the head; `verify` re-checks the store.
 * On the discrete-event clock (_event-clock.ts): every deadline below is virtual ms, so the crash
 * case's `removeAfterMs` and probes pass without real waits (it took ~26 s of npm test before).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EventClock } from './_event-clock.ts'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

const clock = new EventClock()
const net = new MemNet(7, 3, clock)
const settled = clock.settled.bind(clock)
/** `waitFor` in virtual time: `cond` polled every 50 virtual ms, `timeout` virtual ms at most */
const waitFor = async (cond: () => boolean, o: { timeout: number, message: string | (() => string) }): Promise<void> => { await clock.until(cond, o.timeout, o.message) }
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
  genesis = await settled(net.add('genesis', { genesisPeerId: gid, removeAfterMs: 3000, syncIntervalMs: 500 }, { key }))
  peers.push(genesis)
  for (let i = 1; i < 7; i++) peers.push(await settled(net.add(`peer ${i}`, { genesisPeerId: gid, removeAfterMs: 3000, syncIntervalMs: 500 })))
  await waitFor(() => peers.every(p => p.node.status().replicas.length === 7 && p.node.status().replica), { timeout: 90_000, message: () => `7 replicas (${peers.map(p => p.node.status().replicas.length).join(',')})` })
  const s = genesis.node.status()
  assert.equal(s.f, 2)
  assert.equal(s.protocol, 'probft')
  assert.ok(s.epoch >= 1 && s.epoch <= 6, `joins committed together share an epoch change (epoch ${s.epoch})`)
  const results = await settled(Promise.all(Array.from({ length: 200 }, async (_, i) => await peers[i % 7].node.submit(note(i)))), 120_000)
  assert.equal(results.length, 200)
  assert.ok(results.every(r => r.applied && r.kind === 'note'))
  const top = Math.max(...results.map(r => r.slot))
  await waitFor(() => peers.every(p => p.node.status().height >= top) && heads(peers).size === 1, { timeout: 30_000, message: () => `identical heads: ${[...heads(peers)].join(' ')}` })
  const all = await settled(peers[3].node.log(0, 10_000))
  const notes = all.filter(e => e.kind === 'note').map(e => (JSON.parse(new TextDecoder().decode(e.data)) as { i: number }).i).sort((a, b) => a - b)
  assert.deepEqual(notes, Array.from({ length: 200 }, (_, i) => i), 'every entry exactly once')
  assert.ok(new Set(results.map(r => r.slot)).size < 200, 'entries are batched: fewer blocks than entries')
  for (const p of peers) assert.equal(p.node.anomalies.conflictingDecision, 0)
})

test('a replica with a link to the genesis peer only: its frames are forwarded, commits go on', { timeout: 60_000 }, async () => {
  const lonely = peers[1]
  for (const p of peers) if (p !== lonely && p !== genesis) net.cut.add(`${lonely.id}>${p.id}`)
  try {
    // its router refreshes its link set every 500 ms: until then it still sends on the cut links
    // (lost), and a block decided within that window never needs the genesis peer's forwarding
    await waitFor(() => [...lonely.node.directPeers()].every(p => p === genesis.id), { timeout: 10_000, message: 'the cut-off replica to see only its link to the genesis peer' })
    const done = await settled(Promise.all(Array.from({ length: 20 }, async (_, i) => await peers[i % 2 === 0 ? 1 : 4].node.submit(note(500 + i)))), 60_000)
    const top = Math.max(...done.map(d => d.slot))
    await waitFor(() => peers.every(p => p.node.status().height >= top) && heads(peers).size === 1, { timeout: 30_000, message: 'identical heads' })
    assert.ok(lonely.node.routing.viaOthers > 0, 'the cut-off replica sent through the genesis peer')
    assert.ok(genesis.node.routing.forwarded > 0, 'the genesis peer forwarded')
  } finally {
    net.cut.clear()
  }
})

test('a config entry applies on every peer at the same slot; a bad value is refused before submission', { timeout: 60_000 }, async () => {
  const { writeConfig } = await import('../../core/ledger/entries.ts')
  const seen = peers.map(() => [] as Array<{ key: string, value: unknown, slot: number }>)
  peers.forEach((p, i) => { p.node.addEventListener('config', e => { seen[i].push(e.detail) }) })
  await assert.rejects(settled(peers[1].node.submit({ kind: 'config', data: writeConfig({ key: 'mesh.maxPeers', value: 0 }) })), (err: Error) => err.name === 'EntryRefusedError')
  await assert.rejects(settled(peers[1].node.submit({ kind: 'config', data: writeConfig({ key: 'nope', value: 1 }) })), (err: Error) => err.name === 'EntryRefusedError')
  const c = await settled(peers[2].node.submit({ kind: 'config', data: writeConfig({ key: 'mesh.maxPeers', value: 12 }) }))
  await waitFor(() => seen.every(s => s.length === 1), { timeout: 30_000, message: 'the config event on every peer' })
  for (const s of seen) assert.deepEqual(s[0], { key: 'mesh.maxPeers', value: 12, slot: c.slot })
  for (const p of peers) assert.equal(p.node.config('mesh.maxPeers'), 12)
})

test('a follower verifies the chain and matches the head', { timeout: 60_000 }, async () => {
  const follower = await settled(net.add('follower', { genesisPeerId: genesis.id, join: false, syncIntervalMs: 500 }))
  await waitFor(() => follower.node.status().head === genesis.node.status().head, { timeout: 30_000, message: 'the follower to catch up' })
  assert.equal(follower.node.status().replica, false)
  const v = await settled(follower.node.verify())
  assert.equal(v.head, genesis.node.status().head)
  // its own entry still commits (sent to one replica, which relays it)
  const c = await settled(follower.node.submit(note(1000)))
  assert.equal(c.author, follower.id)
  peers.push(follower)
})

test('two replicas crash: the rest keep committing, then remove them', { timeout: 120_000 }, async t => {
  const [a, b] = [peers[5], peers[6]]
  const t0 = clock.now()
  await settled(net.crash(a.id))
  await settled(net.crash(b.id))
  const live = peers.filter(p => p !== a && p !== b)
  const more = await settled(Promise.all(Array.from({ length: 20 }, async (_, i) => await live[i % live.length].node.submit(note(2000 + i)))), 60_000)
  assert.equal(more.length, 20)
  const t1 = clock.now()
  await waitFor(() => live.every(p => p.node.status().replicas.length === 5), { timeout: 60_000, message: () => `removal of the crashed replicas (${live.map(p => p.node.status().replicas.length).join(',')}); what each live replica knows of them: ${live.map(p => JSON.stringify({ epoch: p.node.status().epoch, crashed: [a, b].map(x => p.node.liveness.state(x.id) ?? null), probes: p.node.liveness.stats, rejected: p.node.rejected })).join(' ')}` })
  t.diagnostic(`20 entries committed ${t1 - t0} virtual ms after the crash, both removed ${clock.now() - t1} virtual ms later`)
  const again = await settled(live[1].node.submit(note(3000)))
  await waitFor(() => live.every(p => p.node.status().height >= again.slot) && heads(live).size === 1, { timeout: 30_000, message: 'identical heads after removal' })
  const v = await settled(live[2].node.verify())
  assert.equal(v.head, live[2].node.status().head)
})

test('a crashed peer restarted with its store and key catches up and matches the head', { timeout: 90_000 }, async () => {
  const crashed = peers[5]
  const live = peers.filter(p => !net.offline.has(p.id))
  const before = crashed.node.status().height
  const restarted = await settled(net.add('peer 5', { genesisPeerId: genesis.id, removeAfterMs: 3000, syncIntervalMs: 500 }, { key: crashed.key, store: crashed.store }))
  peers[5] = restarted
  assert.ok(restarted.node.status().height >= before, 'the stored chain is replayed (and re-verified) at start')
  await waitFor(() => restarted.node.status().head === live[0].node.status().head, { timeout: 60_000, message: 'the restarted peer to catch up' })
  // it was removed while away: it joins again and becomes a replica at an epoch boundary
  await waitFor(() => live.every(p => p.node.status().replicas.some(r => r.peerId === restarted.id)) && restarted.node.status().replica, { timeout: 60_000, message: 'the restarted peer to rejoin' })
  const c = await settled(restarted.node.submit(note(3500)))
  await waitFor(() => live.every(p => p.node.status().height >= c.slot) && heads([...live, restarted]).size === 1, { timeout: 30_000, message: 'identical heads with the restarted peer' })
})

test('a replica that stops gracefully leaves at the next epoch', { timeout: 60_000 }, async () => {
  const live = peers.filter(p => !net.offline.has(p.id) && p.node.status().replica)
  const leaving = live[live.length - 1]
  const n = leaving.node.status().replicas.length
  leaving.node.init.leaveOnStop = true
  await settled(leaving.node.stop())
  net.offline.add(leaving.id)
  // linked to the others, it asked (whether the commit came within the stop's 5 s or after)
  assert.ok(leaving.node.stopLeave === 'committed' || leaving.node.stopLeave === 'not committed', `leave at stop: ${leaving.node.stopLeave}`)
  const rest = live.filter(p => p !== leaving)
  await waitFor(() => rest.every(p => p.node.status().replicas.length === n - 1 && !p.node.status().replicas.some(r => r.peerId === leaving.id)), { timeout: 30_000, message: 'the leave to commit' })
  const c = await settled(rest[0].node.submit(note(4000)))
  assert.ok(c.applied)
})

test('a replica linked to no other replica skips the leave at stop (it could not commit)', { timeout: 60_000 }, async () => {
  const live = peers.filter(p => !net.offline.has(p.id) && p.node.status().replica)
  assert.ok(live.length >= 2, `replicas left: ${live.length}`)
  const alone = live[live.length - 1]
  for (const p of peers) if (p !== alone) { net.cut.add(`${alone.id}>${p.id}`); net.cut.add(`${p.id}>${alone.id}`) }
  alone.node.init.leaveOnStop = true
  await settled(alone.node.stop())
  net.offline.add(alone.id)
  assert.equal(alone.node.stopLeave, 'skipped')
})
