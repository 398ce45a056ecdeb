/**
 * The idle ledger's periodic sync pull backs off (core/ledger/pull-backoff.ts): while pulls find
 * nothing, its interval doubles from `syncIntervalMs` to `syncMaxIntervalMs`; any sign of a gap puts
 * it back at once. First the rule alone; then over the in-memory network, seeded, 4 replicas and a
 * follower (`syncIntervalMs` 1 s, bound 8 s): idle, every peer's interval grows to the bound and the
 * pulls thin out; a commit resets every peer; a gossiped record from beyond the next height, and a
 * frame from a later epoch, reset a backed-off follower at once; a follower that missed the last
 * record of an idle spell (offline while it was gossiped, nothing after) still gets it, from its
 * periodic pull; and one restarted on its stored chain catches up.
 *
 * The network runs on a discrete-event clock (`_event-clock.ts`): the back-off moves on the nodes'
 * once-a-second maintenance pass, and an idle spell at an 8 s bound took ~53 s of real time; here
 * virtual time advances from one due timer to the next, and every deadline below is virtual ms.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { PullBackoff } from '../../core/ledger/pull-backoff.ts'
import { FRAME_CONSENSUS, writeFrame, writeRecord } from '../../core/ledger/codec.ts'
import { EventClock } from './_event-clock.ts'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

test('PullBackoff: doubles to its bound while nothing is missing; a gap or a new height resets it', () => {
  const b = new PullBackoff(5000, 40_000)
  assert.equal(b.intervalMs, 5000)
  const seen: number[] = []
  for (let i = 0; i < 5; i++) { b.pulled(); seen.push(b.intervalMs) }
  assert.deepEqual(seen, [10_000, 20_000, 40_000, 40_000, 40_000])
  b.gap()
  assert.equal(b.intervalMs, 5000)
  b.seeHeight(3) // the first height seen counts as a change
  b.pulled()
  b.seeHeight(3)
  assert.equal(b.intervalMs, 10_000, 'the same height is no gap')
  b.seeHeight(4)
  assert.equal(b.intervalMs, 5000, 'a new height is')
  const off = new PullBackoff(5000, 5000)
  off.pulled()
  assert.equal(off.intervalMs, 5000, 'a bound equal to the base: no back-off')
  assert.throws(() => new PullBackoff(0, 10), RangeError)
  assert.throws(() => new PullBackoff(5000, 4000), RangeError)
})

const clock = new EventClock()
const net = new MemNet(47, 3, clock)
const BASE = 1000
const BOUND = 8000
const note = (i: number): { kind: string, data: Uint8Array } => ({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ backoff: i })) })
const intervals = (ps: MemPeer[]): number[] => ps.map(p => p.node.syncBackoff.intervalMs)
const pulls = (p: MemPeer): number => p.node.status().frames?.syncPulls ?? 0

const until = clock.until.bind(clock)
const settled = clock.settled.bind(clock)

before(async () => { await ready() })
after(async () => { await net.stopAll() })

test('idle peers back their pulls off to the bound; gaps reset them; missed and restarted peers still catch up', { timeout: 180_000 }, async () => {
  const key = await seededKey('backoff genesis')
  const init = { genesisPeerId: peerIdFromPrivateKey(key).toString(), removeAfterMs: 600_000, syncIntervalMs: BASE, syncMaxIntervalMs: BOUND }
  const replicas = [await settled(net.add('backoff genesis', init, { key }))]
  for (let i = 1; i < 4; i++) replicas.push(await settled(net.add(`backoff ${i}`, init)))
  let f = await settled(net.add('backoff follower', { ...init, join: false }))
  const all = (): MemPeer[] => [...replicas, f]
  await until(() => replicas.every(p => p.node.status().replicas.length === 4 && p.node.synced) && f.node.synced, 60_000, 'four synced replicas and a synced follower')
  await settled(replicas[1].node.submit(note(0), { timeoutMs: 30_000 }))

  // idle: every interval reaches the bound, then stays there, and pulls come at most once per bound
  await until(() => intervals(all()).every(ms => ms === BOUND), 60_000, () => `idle intervals at the bound: ${JSON.stringify(intervals(all()))}`)
  const p0 = all().map(pulls)
  const t0 = clock.now()
  await until(() => all().every((p, i) => pulls(p) >= p0[i] + 1), 3 * BOUND, () => `every idle peer still pulls: ${JSON.stringify(all().map(pulls))} (from ${JSON.stringify(p0)})`)
  const spell = clock.now() - t0
  assert.deepEqual(intervals(all()), all().map(() => BOUND), 'still at the bound')
  // maintain() runs about once a second: a peer pulls at most once per BOUND − 1 s, plus the first
  const most = 1 + Math.floor(spell / (BOUND - 1000))
  assert.ok(all().every((p, i) => pulls(p) - p0[i] <= most), `backed-off pulls: ${JSON.stringify(all().map((p, i) => pulls(p) - p0[i]))} in ${spell} ms (at most ${most} each)`)

  // a commit is a new height: every peer goes back to the base (and grows again)
  await settled(replicas[2].node.submit(note(1), { timeoutMs: 30_000 }))
  await until(() => intervals(all()).every(ms => ms < BOUND), 30_000, () => `a commit reset every interval: ${JSON.stringify(intervals(all()))}`)
  await until(() => intervals(all()).every(ms => ms === BOUND), 60_000, () => `idle again: ${JSON.stringify(intervals(all()))}`)

  // signs of a gap reach a backed-off follower: a record beyond its next height, a later epoch's frame
  const h = f.node.status().height
  const ahead = await replicas[0].store.get(h)
  assert.ok(ahead != null)
  void f.node.onRecord(replicas[0].id, writeRecord({ ...ahead, height: h + 5 }))
  assert.ok(f.node.syncBackoff.intervalMs < BOUND, 'a record beyond our next height reset it')
  await until(() => f.node.syncBackoff.intervalMs === BOUND, 60_000, () => `idle again: ${f.node.syncBackoff.intervalMs}`)
  f.node.onFrame(replicas[0].id, writeFrame({ type: FRAME_CONSENSUS, epoch: f.node.status().epoch + 1, message: new Uint8Array([1]) }))
  assert.ok(f.node.syncBackoff.intervalMs < BOUND, 'a frame from a later epoch reset it')
  await until(() => f.node.syncBackoff.intervalMs === BOUND, 60_000, () => `idle again: ${f.node.syncBackoff.intervalMs}`)

  // the last record of an idle spell, missed (offline while it was gossiped): the periodic pull brings it
  const before = pulls(f)
  net.offline.add(f.id)
  await settled(replicas[3].node.submit(note(2), { timeoutMs: 30_000 }))
  const head = replicas[3].node.status().height
  await until(() => net.inFlight === 0, 10_000, 'the gossip to the offline follower settled')
  net.offline.delete(f.id)
  assert.ok(f.node.status().height < head, 'the follower missed it')
  await until(() => f.node.status().height === head, 60_000, () => `the follower caught up by its periodic pull (height ${f.node.status().height} of ${head})`)
  assert.ok(pulls(f) > before, 'by a pull')

  // restarted on its stored chain while the ledger moved on: unsynced, at the base, and it catches up
  await settled(net.crash(f.id))
  await until(() => net.inFlight === 0, 10_000, 'frames to the crashed follower settled')
  for (let i = 3; i < 5; i++) await settled(replicas[i - 3].node.submit(note(i), { timeoutMs: 30_000 }))
  f = await settled(net.add('backoff follower', { ...init, join: false }, { key: f.key, store: f.store }))
  assert.equal(f.node.syncBackoff.intervalMs, BASE)
  await until(() => f.node.synced && f.node.status().height === replicas[0].node.status().height, 60_000, () => `the restarted follower caught up (height ${f.node.status().height} of ${replicas[0].node.status().height})`)
})
