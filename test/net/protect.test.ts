/**
 * `MeshDialer.protect` (used by the ledger for an epoch's replicas), against a scripted libp2p: a
 * protected peer the dialer knows is dialled even when the policy's target is met, and an inbound
 * link from it is not closed over the hard cap, where an unprotected one is. Only the smaller id of
 * a pair dials (two simultaneous WebRTC dials between one pair fail together).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Connection, Libp2p } from '@libp2p/interface'
import { validateConfig } from '../../core/net/config.ts'
import { MeshDialer } from '../../core/net/mesh-dialer.ts'
import { TopologyView } from '../../core/net/topology.ts'

async function id (): Promise<string> { return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString() }

test('protected peers are dialled beyond the target and kept over the hard cap', async () => {
  // the smaller id of a pair dials (as the dial policy): here we are the smallest
  const all = (await Promise.all(Array.from({ length: 7 }, async () => await id()))).sort()
  const self = all[0]
  const others = all.slice(1)
  const addr = (p: string): string => `/ip4/127.0.0.1/tcp/1/ws/p2p/${others[0]}/p2p-circuit/webrtc/p2p/${p}`
  const conns: Array<Partial<Connection> & { closed?: boolean }> = []
  const link = (p: string, direction: 'inbound' | 'outbound'): Partial<Connection> & { closed?: boolean } => {
    const c: Partial<Connection> & { closed?: boolean } = {
      remotePeer: { toString: () => p } as never, remoteAddr: multiaddr(addr(p)), direction, status: 'open', limits: undefined,
      close: async () => { c.closed = true; c.status = 'closed' }
    }
    return c
  }
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
  // hard cap for maxPeers 1 is 3 links: we have 3; an inbound 4th is closed unless protected
  const intruder = link(others[5], 'inbound')
  conns.push(intruder)
  dialer.connectionOpened(intruder as Connection)
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(intruder.closed, true, 'an unprotected inbound link over the cap is closed')
  dialer.protect([others[3], others[4], others[1]])
  const friend = link(others[1], 'inbound')
  conns.push(friend)
  dialer.connectionOpened(friend as Connection)
  await new Promise(resolve => setImmediate(resolve))
  assert.notEqual(friend.closed, true, 'a protected inbound link over the cap stays')
  dialer.stop()
})
