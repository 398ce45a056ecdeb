/**
 * Removal means "stopped answering" (core/ledger/liveness.ts): a quiet or slow replica that answers
 * its probes is never reported; one that answers nothing is, only after the silence AND 3 missed
 * probes; probe timeouts follow the measured round trip. Then, over the in-memory network: a replica
 * reachable only through the genesis peer stays in the set through a long idle time (its probes are
 * forwarded), one whose direct links silently lose frames stays too (probes after a miss also go
 * through another replica), and a replica removed while alive joins again.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Liveness, MAX_PROBE_TIMEOUT_MS, MIN_PROBE_TIMEOUT_MS, MISSES } from '../../core/ledger/liveness.ts'
import { writeRemove } from '../../core/ledger/entries.ts'
import { EventClock } from './_event-clock.ts'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

function harness (silenceMs = 15_000, linkRtt?: number): { l: Liveness, clock: { t: number }, probes: Array<{ peer: string, nonce: number, at: number }> } {
  const clock = { t: 0 }
  const probes: Array<{ peer: string, nonce: number, at: number }> = []
  const l = new Liveness({ now: () => clock.t, silenceMs: () => silenceMs, linkRttMs: () => linkRtt, probe: (peer, nonce) => { probes.push({ peer, nonce, at: clock.t }) } })
  return { l, clock, probes }
}

describe('liveness (unit, fake clock)', () => {
  test('a quiet peer is probed after half the silence; a dead one is reported after the silence and 3 missed probes', () => {
    const { l, clock, probes } = harness(15_000)
    l.track(['a', 'b'])
    const deadAt: number[] = []
    for (clock.t = 0; clock.t <= 60_000; clock.t += 1000) {
      if (l.check().includes('a')) deadAt.push(clock.t)
      // b answers every probe 200 ms later (the ack arrives before the next pass)
      const last = probes.filter(p => p.peer === 'b').at(-1)
      if (last != null && last.at === clock.t) { clock.t += 200; l.ack('b', last.nonce); clock.t -= 200 }
    }
    assert.ok(probes.some(p => p.peer === 'a'), 'a was probed')
    assert.equal(probes.find(p => p.peer === 'a')?.at, 7500 + 500, 'first probe once silent for half of 15 s (at the next 1 s pass)')
    assert.ok(deadAt.length > 0 && deadAt[0] >= 15_000, `a reported dead only after 15 s of silence (at ${deadAt[0]})`)
    assert.ok(l.state('a')!.misses >= MISSES)
    assert.equal(l.state('b')?.misses, 0, 'b answers')
  })

  test('a slow replica that answers late is never reported; its probe timeout grows with its RTT, within bounds', () => {
    const { l, clock, probes } = harness(5000)
    l.track(['slow'])
    for (clock.t = 0; clock.t <= 120_000; clock.t += 1000) {
      assert.deepEqual(l.check(), [], `reported at ${clock.t}`)
      // each probe is answered 3.5 s after it left (a loaded machine), later than the first timeouts
      for (const p of probes) if (clock.t - p.at === 3000) { clock.t += 500; l.ack('slow', p.nonce); clock.t -= 500 }
    }
    assert.ok(probes.length > 5)
    assert.ok(l.state('slow')!.srtt! > 3000, `the round trip was measured (${l.state('slow')?.srtt})`)
    assert.equal(l.timeoutMs('slow'), MAX_PROBE_TIMEOUT_MS, 'its timeout: 4 × RTT, capped')
    assert.ok(l.timeoutMs('slow') <= MAX_PROBE_TIMEOUT_MS)
    const fast = harness(5000, 2).l
    fast.track(['x'])
    assert.equal(fast.timeoutMs('x'), MIN_PROBE_TIMEOUT_MS, 'a 2 ms link still waits the minimum')
  })

  test('any frame clears a peer; a new epoch keeps a continuing peer\'s silence, starts a new one\'s, drops a gone one', () => {
    const { l, clock } = harness(4000)
    l.track(['a'])
    for (clock.t = 0; clock.t <= 30_000; clock.t += 1000) { assert.deepEqual(l.check(), []); l.heard('a') }
    for (; clock.t <= 60_000; clock.t += 1000) l.check()
    assert.deepEqual(l.check(), ['a'])
    assert.equal(l.stoppedAnswering('a'), true)
    l.track(['a', 'b'])
    assert.deepEqual(l.check(), ['a'], 'still dead in the next epoch: its removal is asked again at once')
    assert.equal(l.state('b')?.silentMs, 0, 'a new member starts with a fresh silence')
    assert.equal(l.stoppedAnswering('b'), false)
    l.heard('a')
    assert.equal(l.stoppedAnswering('a'), false, 'a frame clears it')
    l.track(['b'])
    assert.equal(l.state('a'), undefined, 'a peer out of the set is no longer tracked')
    l.heard('zz') // an untracked peer is ignored
    assert.equal(l.state('zz'), undefined)
  })
})

describe('liveness over the in-memory ledger', () => {
  // a discrete-event clock (_event-clock.ts): idle spells of several removeAfterMs pass in virtual
  // time (they took ~40 s of real time); every deadline below is virtual ms
  const clock = new EventClock()
  const net = new MemNet(11, 3, clock)
  const until = clock.until.bind(clock)
  const settled = clock.settled.bind(clock)
  const peers: MemPeer[] = []
  const init = (gid: string): { genesisPeerId: string, removeAfterMs: number, syncIntervalMs: number } => ({ genesisPeerId: gid, removeAfterMs: 2000, syncIntervalMs: 500 })
  before(async () => {
    await ready()
    const key = await seededKey('live genesis')
    const gid = peerIdFromPrivateKey(key).toString()
    peers.push(await settled(net.add('live genesis', init(gid), { key })))
    for (let i = 1; i < 5; i++) peers.push(await settled(net.add(`live peer ${i}`, init(gid))))
    await until(() => peers.every(p => p.node.status().replicas.length === 5 && p.node.status().replica), 60_000, '5 replicas')
  })
  after(async () => { await net.stopAll() })

  test('a replica linked to the genesis peer only stays a replica through a long idle time (probes are forwarded)', { timeout: 60_000 }, async () => {
    const lonely = peers[2]
    const epoch = peers[0].node.status().epoch
    for (const p of peers) if (p !== lonely && p !== peers[0]) net.cut.add(`${lonely.id}>${p.id}`)
    try {
      // idle for several removeAfterMs: no entries, no consensus frames, only probes (peer 1 probes its
      // 4 quiet peers every ~2 s each: 24 probes span ~12 s, 6 × removeAfterMs)
      const probesBefore = peers[1].node.liveness.stats.probes
      const acksBefore = peers[1].node.liveness.stats.acks
      await until(() => peers[1].node.liveness.stats.probes >= probesBefore + 24, 60_000, 'probes over a long idle time')
      assert.ok(peers[1].node.liveness.stats.acks - acksBefore >= 16, 'probes were answered, forwarded ones included')
      assert.equal(peers[0].node.status().epoch, epoch, 'no membership change while everyone answers')
      assert.ok(peers.every(p => p.node.status().replicas.some(r => r.peerId === lonely.id)))
      const log = await settled(peers[0].node.log(0, 10_000))
      assert.ok(!log.some(e => e.kind === 'remove'), 'nobody asked to remove an answering replica')
    } finally {
      net.cut.clear()
    }
  })

  test('a replica whose direct links lose every frame (yet look up) still answers probes sent over a second path', { timeout: 60_000 }, async () => {
    const lonely = peers[3]
    const epoch = peers[0].node.status().epoch
    for (const p of peers) {
      if (p === lonely || p === peers[0]) continue
      net.blackhole.add(`${lonely.id}>${p.id}`)
      net.blackhole.add(`${p.id}>${lonely.id}`)
    }
    try {
      const probesBefore = peers[1].node.liveness.stats.probes
      await until(() => peers[1].node.liveness.stats.probes >= probesBefore + 24, 60_000, 'probes over a long idle time')
      assert.equal(peers[0].node.status().epoch, epoch, 'no membership change')
      assert.ok(peers[1].node.liveness.state(lonely.id)!.misses < 3, `misses ${peers[1].node.liveness.state(lonely.id)?.misses}`)
      const log = await settled(peers[0].node.log(0, 10_000))
      assert.ok(!log.some(e => e.kind === 'remove'), 'nobody asked to remove it')
    } finally {
      net.blackhole.clear()
    }
  })

  test('a replica removed while alive joins again', { timeout: 60_000 }, async () => {
    const victim = peers[4]
    // f + 1 = 2 replicas ask (as if it had been silent); it is removed at the next epoch
    await settled(Promise.all([peers[0], peers[1]].map(async p => await p.node.submit({ kind: 'remove', data: writeRemove({ peerId: victim.id, reason: 'test' }) }))))
    await until(() => !peers[0].node.status().replicas.some(r => r.peerId === victim.id), 20_000, 'removed')
    // a removed peer cannot act as a replica: refused locally (NotReplicaError) when it already knows,
    // else by the chain's rule at commit; it re-joins at once, so its request may also be ordered
    // after it is a replica again, and only then is it applied
    const outcome = await settled(victim.node.submit({ kind: 'remove', data: writeRemove({ peerId: peers[1].id, reason: 'test' }) }).then(() => null, (err: Error) => err))
    if (outcome == null) assert.ok(victim.node.status().replica, 'applied only once it is a replica again')
    else assert.ok(outcome.name === 'NotReplicaError' || (outcome.name === 'EntryRefusedError' && /only replicas of the epoch/.test(outcome.message)), `${outcome.name}: ${outcome.message}`)
    await until(() => peers.every(p => p.node.status().replicas.some(r => r.peerId === victim.id)) && victim.node.status().replica, 30_000, 'joined again')
    const log = await settled(peers[0].node.log(0, 10_000))
    const joins = log.filter(e => e.kind === 'join' && e.author === victim.id && e.applied)
    assert.equal(joins.length, 2, 'joined, removed, joined again')
  })
})
