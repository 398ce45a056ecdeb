/**
 * `MeshDialer.protect` (used by the ledger for an epoch's replicas), against a scripted libp2p: a
 * protected peer the dialer knows is dialled even when the policy's target is met, and an inbound
 * link from it is not closed over the hard cap, where an unprotected one is. Only the smaller id of
 * a pair dials (two simultaneous WebRTC dials between one pair fail together). The paced experiment
 * (`pacedProtectedDials`): at most `maxParallelDials` dials in flight, the larger id taking over
 * after 2 × dialTimeoutMs, protected peers first in the dial policy.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Connection, Libp2p } from '@libp2p/interface'
import { validateConfig } from '../../core/net/config.ts'
import { MeshDialer } from '../../core/net/mesh-dialer.ts'
import { chooseDials } from '../../core/net/dial-policy.ts'
import { TopologyView } from '../../core/net/topology.ts'

async function id (): Promise<string> { return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString() }

const webrtcAddr = (p: string, relay: string): string => `/ip4/127.0.0.1/tcp/1/ws/p2p/${relay}/p2p-circuit/webrtc/p2p/${p}`
type FakeLink = Partial<Connection> & { closed?: boolean }
/** An open WebRTC link to `p` (signalled through `relay`) that records its close. */
function fakeLink (p: string, relay: string, direction: 'inbound' | 'outbound'): FakeLink {
  const c: FakeLink = {
    remotePeer: { toString: () => p } as never, remoteAddr: multiaddr(webrtcAddr(p, relay)), direction, status: 'open', limits: undefined,
    close: async () => { c.closed = true; c.status = 'closed' }
  }
  return c
}

test('protected peers are dialled beyond the target and kept over the hard cap', async () => {
  // the smaller id of a pair dials (as the dial policy): here we are the smallest
  const all = (await Promise.all(Array.from({ length: 7 }, async () => await id()))).sort()
  const self = all[0]
  const others = all.slice(1)
  const addr = (p: string): string => webrtcAddr(p, others[0])
  const conns: FakeLink[] = []
  const link = (p: string, direction: 'inbound' | 'outbound'): FakeLink => fakeLink(p, others[0], direction)
  const dialled: string[] = []
  const fake = {
    peerId: { toString: () => self },
    getConnections: (peer?: { toString: () => string }) => conns.filter(c => c.status === 'open' && (peer == null || c.remotePeer?.toString() === peer.toString())),
    dial: async (addrs: Array<{ toString: () => string }>) => {
      const p = addrs[0].toString().split('/p2p/').pop() as string
      dialled.push(p)
      const c = link(p, 'outbound')
      conns.push(c)
      return c
    }
  } as unknown as Libp2p
  const config = validateConfig({ maxPeers: 1, dialTimeoutMs: 1000 })
  const stats = { dialFailures: 0, dialSuccesses: 0 }
  const dialer = new MeshDialer(fake, config, stats, Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as never)
  dialer.start()
  for (const p of others) dialer.discovered(p, [addr(p)])
  conns.push(link(others[0], 'outbound')) // the target (1 link) is met
  const view = new TopologyView(self, 60_000)
  dialer.maintain(view)
  await new Promise(resolve => setImmediate(resolve))
  assert.deepEqual(dialled, [], 'target met: the policy dials nobody')
  dialer.protect([others[3], others[4]])
  dialer.maintain(view)
  await new Promise(resolve => setImmediate(resolve))
  assert.deepEqual(dialled.sort(), [others[3], others[4]].sort(), 'protected peers are dialled anyway')
  // hard cap for maxPeers 1 is 3 links to unprotected peers; protected links do not count
  // (we hold 1 unprotected + 2 protected): two more unprotected inbound links are kept, the third is closed
  const kept = [link(others[5], 'inbound'), link(others[2], 'inbound')]
  for (const c of kept) { conns.push(c); dialer.connectionOpened(c as Connection) }
  await new Promise(resolve => setImmediate(resolve))
  assert.deepEqual(kept.map(c => c.closed === true), [false, false], 'unprotected inbound links up to the hard cap stay (protected ones not counted)')
  const intruder = link(others[1], 'inbound')
  conns.push(intruder)
  dialer.connectionOpened(intruder as Connection)
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(intruder.closed, true, 'an unprotected inbound link over the cap is closed')
  intruder.status = 'closed'
  dialer.protect([others[3], others[4], others[1]])
  const friend = link(others[1], 'inbound')
  conns.push(friend)
  dialer.connectionOpened(friend as Connection)
  await new Promise(resolve => setImmediate(resolve))
  assert.notEqual(friend.closed, true, 'a protected inbound link over the cap stays')
  dialer.stop()
})

test('a replica with more replica links than the hard cap still accepts links from non-replicas (late peers, n = 32)', async () => {
  // n = 32 in small: maxPeers 1 (hard cap 3) and 6 protected replica links, more than the cap. Before
  // the fix every inbound link from a non-replica was closed at once (the cap counted the replica
  // links), so peers that joined after the replicas formed linked only each other.
  const all = (await Promise.all(Array.from({ length: 11 }, async () => await id()))).sort()
  const self = all[0]
  const replicas = all.slice(1, 7)
  const late = all.slice(7)
  const conns: FakeLink[] = []
  const link = (p: string, direction: 'inbound' | 'outbound'): FakeLink => fakeLink(p, replicas[0], direction)
  const fake = {
    peerId: { toString: () => self },
    getConnections: (peer?: { toString: () => string }) => conns.filter(c => c.status === 'open' && (peer == null || c.remotePeer?.toString() === peer.toString())),
    dial: async () => { throw new Error('no dials in this test') }
  } as unknown as Libp2p
  const dialer = new MeshDialer(fake, validateConfig({ maxPeers: 1, dialTimeoutMs: 1000 }), { dialFailures: 0, dialSuccesses: 0, overCapClosed: 0 }, Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as never)
  dialer.start()
  dialer.protect(replicas)
  for (const r of replicas) conns.push(link(r, 'outbound'))
  const inbound = late.map(p => link(p, 'inbound'))
  for (const c of inbound) { conns.push(c); dialer.connectionOpened(c as Connection) }
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(dialer.unprotectedLinks(), 3, 'three late peers linked (the hard cap for maxPeers 1)')
  assert.deepEqual(inbound.map(c => c.closed === true), [false, false, false, true], 'the first three late peers are kept, the fourth is over the cap')
  dialer.stop()
})

test('paced protected dials (pacedProtectedDials): at most maxParallelDials in flight, the larger id takes over; the default dials all at once', async () => {
  const all = (await Promise.all(Array.from({ length: 8 }, async () => await id()))).sort()
  const self = all[3] // three peers with smaller ids (they dial us first), four with larger ones (we dial them)
  const others = all.filter(p => p !== self)
  const addr = (p: string): string => `/ip4/127.0.0.1/tcp/1/ws/p2p/${others[0]}/p2p-circuit/webrtc/p2p/${p}`
  const pending = new Map<string, (ok: boolean) => void>()
  const dialled: string[] = []
  const fake = {
    peerId: { toString: () => self },
    getConnections: () => [],
    // a dial that settles only when the test says so (a failure each time here: no link forms)
    dial: async (addrs: Array<{ toString: () => string }>) => {
      const p = addrs[0].toString().split('/p2p/').pop() as string
      dialled.push(p)
      await new Promise<boolean>(resolve => pending.set(p, resolve))
      throw new Error('dial failed')
    }
  } as unknown as Libp2p
  const settle = async (): Promise<void> => {
    for (const [p, f] of [...pending]) { pending.delete(p); f(false) }
    for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
  }
  const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as never
  const view = new TopologyView(self, 600_000)
  const realNow = Date.now
  let now = realNow()
  Date.now = () => now
  try {
    // seven protected peers, none linked: the policy's pick (maxPeers 1) and the protected loop share two dial slots
    const dialer = new MeshDialer(fake, validateConfig({ maxPeers: 1, dialTimeoutMs: 1000, maxParallelDials: 2, pacedProtectedDials: true }), { dialFailures: 0, dialSuccesses: 0 }, log)
    dialer.start()
    for (const p of others) dialer.discovered(p, [addr(p)])
    dialer.protect(others)
    dialer.maintain(view)
    assert.equal(dialled.length, 2, `two dials in flight, not ${dialled.length} (${dialled.join(' ')})`)
    dialer.maintain(view)
    assert.equal(dialled.length, 2, 'no third dial while two are in flight')
    await settle()
    // the larger ids wait 2 × dialTimeoutMs without a link; the smaller ones are retried after dialTimeoutMs
    now += 1100
    dialer.maintain(view)
    await settle()
    // peers with a smaller id than ours dial us first; we take over after 2 s without a link. Which
    // of the peers due then gets one of the two slots first depends on the ids (least recently
    // failed, then `spread`), so a smaller-id peer may wait a round or two behind the larger ids'
    // retries: step on until it is dialled, a bounded number of rounds (the slots rotate through
    // every peer due, so 7 peers need at most 4 rounds of 2 dials)
    const smaller = others.filter(p => p < self)
    const byUs = (): boolean => dialled.some(p => smaller.includes(p))
    for (let round = 0; round < 4 && !byUs(); round++) {
      now += 1100
      dialer.maintain(view)
      await settle()
    }
    assert.ok(byUs(), `a smaller-id peer is dialled by us once it has gone 2 s without a link (${dialled.length} dials: ${dialled.map(p => p < self ? 'smaller' : 'larger').join(' ')})`)
    dialer.stop()

    // the default: every protected peer with a larger id than ours at once
    // (beyond maxParallelDials), a smaller one only through the policy's own pick (its one link here)
    await settle()
    dialled.length = 0
    const eager = new MeshDialer(fake, validateConfig({ maxPeers: 1, dialTimeoutMs: 1000, maxParallelDials: 2 }), { dialFailures: 0, dialSuccesses: 0 }, log)
    eager.start()
    for (const p of others) eager.discovered(p, [addr(p)])
    eager.protect(others)
    eager.maintain(view)
    const larger = others.filter(p => p > self)
    assert.ok(larger.every(p => dialled.includes(p)), 'eager: all four larger ids at once')
    assert.ok(dialled.filter(p => smaller.includes(p)).length <= 1, 'eager: no smaller id beyond the policy pick')
    eager.stop()
    await settle()
  } finally {
    Date.now = realNow
  }
})

test('dial policy: preferred (protected) peers come before all others', () => {
  const base = { self: 'a', now: 10_000, maxPeers: 2, maxParallel: 2, connected: new Set<string>(), dialing: new Set<string>(), lastFailure: new Map<string, number>(), otherSideDelayMs: 3000, retryMs: 3000 }
  const candidates = ['b', 'c', 'd', 'e'].map(p => ({ peerId: p, firstSeen: 0, degree: 0 }))
  assert.deepEqual(chooseDials({ ...base, candidates, preferred: new Set(['d', 'e']) }).sort(), ['d', 'e'])
  // a preferred peer with a full degree still comes before an unpreferred one with room
  assert.deepEqual(chooseDials({ ...base, maxPeers: 1, maxParallel: 1, candidates: [{ peerId: 'b', firstSeen: 0, degree: 0 }, { peerId: 'c', firstSeen: 0, degree: 5 }], preferred: new Set(['c']) }), ['c'])
})
