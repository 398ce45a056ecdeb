/**
 * The version handshake (core/net/wire-version.ts).
 * - Unit: reading a peer's version from identify's agent string and protocols; the gate's
 *   refusal, back-off (doubling, capped), forgetting, bound, and its gater methods.
 * - Live: a bootstrap mesh node on 127.0.0.1 and stock libp2p nodes (test/_support/stock-node.ts)
 *   announcing another wire version, none, or NovaCron protocols without a version (a build from
 *   before the handshake): the first and last are refused (links closed, event, counters, later
 *   links kept out), the unversioned one stays linked. A peer whose bootstrap runs another wire
 *   version is told so, naming the bootstrap; `novacron peer` prints it (`peer:refused`).
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { agentString, createMeshNode, readPeerVersion, VersionGate, WIRE_VERSION, type MeshNode, type RefusedPeer } from '../../core/net/index.ts'
import { createStockNode, type StockNode } from '../_support/stock-node.ts'
import { waitFor } from '../_support/wait.ts'
import { startCli, stopAll } from '../_support/processes.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PEER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

test('a peer\'s version is read from its agent string, or from NovaCron protocols without one', () => {
  assert.deepEqual(readPeerVersion(agentString('0.1.0', 'node'), []), { wire: WIRE_VERSION, build: '0.1.0', agent: `novacron/0.1.0 wire/${WIRE_VERSION} node` })
  assert.equal(readPeerVersion('novacron/0.3.0-rc.1 wire/7', []).wire, 7)
  assert.equal(readPeerVersion('novacron/0.3.0 wire/7 browser', []).build, '0.3.0')
  // a pre-handshake build: libp2p's default agent, our protocols
  const old = readPeerVersion('js-libp2p/3.3.11 UserAgent=v20.19.0', ['/ipfs/id/1.0.0', '/novacron/keepalive/1.0.0'])
  assert.equal(old.wire, 1)
  assert.match(old.build, /before the version handshake/)
  // not a NovaCron peer, or one that does not say: unversioned
  assert.equal(readPeerVersion('js-libp2p/3.3.11', ['/ipfs/id/1.0.0']).wire, undefined)
  assert.equal(readPeerVersion(undefined, []).wire, undefined)
  assert.equal(readPeerVersion('novacron/x wire/abc', []).wire, undefined)
  assert.equal(readPeerVersion('novacron/0.1.0 wire/1234567', []).wire, undefined, 'an absurd version is not read as one')
  assert.equal(readPeerVersion('x'.repeat(10_000), []).agent.length, 200, 'the agent is kept bounded')
})

test('the gate refuses another wire version with a back-off that doubles to a cap, and lets an upgraded peer in', () => {
  let now = 1_000_000
  const gate = new VersionGate({ wire: 2, refuseMs: 1000, refuseMaxMs: 3000, bootstraps: new Set([PEER]), now: () => now })
  assert.equal(gate.check(PEER, 'novacron/0.1.0 wire/2 node', []), undefined, 'same version: let in')
  assert.equal(gate.check(PEER, 'js-libp2p/3', []), undefined, 'unversioned: let in')
  const r = gate.check(PEER, 'novacron/0.0.9 wire/1 node', []) as RefusedPeer
  assert.equal(r.wire, 1)
  assert.equal(r.ours, 2)
  assert.equal(r.bootstrap, true)
  assert.match(r.message, new RegExp(`bootstrap ${PEER} runs NovaCron wire 1 \\(0\\.0\\.9\\); this peer runs wire 2`))
  assert.match(r.message, /upgrade the bootstrap/)
  assert.equal(r.until - r.at, 1000)
  const gater = gate.gaterMethods() as { denyDialPeer: (p: PeerId) => boolean, denyInboundEncryptedConnection: (p: PeerId) => boolean }
  const id = peerIdFromString(PEER)
  assert.equal(gater.denyDialPeer(id), true)
  assert.equal(gater.denyInboundEncryptedConnection(id), true)
  now += 1000
  assert.equal(gate.isRefused(PEER), false, 'the back-off ran out: it may be tried again')
  assert.equal((gate.check(PEER, 'novacron/0.0.9 wire/1', []) as RefusedPeer).until - now, 2000, 'second refusal: doubled')
  assert.equal((gate.check(PEER, 'novacron/0.0.9 wire/1', []) as RefusedPeer).until - now, 3000, 'third: capped')
  assert.equal(gate.list()[0].count, 3)
  assert.equal(gate.check(PEER, 'novacron/0.2.0 wire/2', []), undefined, 'upgraded: let in')
  assert.equal(gate.isRefused(PEER), false)
  assert.deepEqual(gate.list(), [], 'and forgotten')
})

test('the gate remembers a bounded number of refused peers, the oldest forgotten first', () => {
  const gate = new VersionGate({ wire: 2, maxRemembered: 3 })
  for (let i = 0; i < 10; i++) gate.check(`peer-${i}`, 'novacron/0.0.1 wire/1', [])
  assert.deepEqual(gate.list().map(r => r.peerId), ['peer-7', 'peer-8', 'peer-9'])
  assert.equal(gate.isRefused('peer-0'), false)
})

const stocks: StockNode[] = []
const meshes: MeshNode[] = []
after(async () => {
  await Promise.all(stocks.map(async s => { await s.stop() }))
  await Promise.all(meshes.map(async m => { await m.stop() }))
})

async function bootstrap (): Promise<{ boot: MeshNode, refused: RefusedPeer[] }> {
  const boot = await createMeshNode({ role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'], build: '0.1.0' })
  meshes.push(boot)
  const refused: RefusedPeer[] = []
  boot.addEventListener('peer:refused', e => { refused.push(e.detail) })
  await boot.start()
  return { boot, refused }
}

async function stock (opts: Parameters<typeof createStockNode>[0] = {}): Promise<StockNode> {
  const s = await createStockNode(opts)
  stocks.push(s)
  await s.start()
  return s
}

const linked = (a: MeshNode, b: StockNode): boolean => a.libp2p.getConnections(b.peerId).some(c => c.status === 'open')

test('live: a peer announcing another wire version is refused, its link closed, and kept out during its back-off', async () => {
  const { boot, refused } = await bootstrap()
  const old = await stock({ userAgent: 'novacron/0.0.9 wire/1 node' })
  await old.dial(multiaddr(boot.getMultiaddrs()[0]))
  await waitFor(() => refused.length === 1, { message: 'the old peer refused' })
  assert.equal(refused[0].peerId, old.peerId.toString())
  assert.equal(refused[0].wire, 1)
  assert.equal(refused[0].build, '0.0.9')
  assert.equal(refused[0].bootstrap, false)
  await waitFor(() => !linked(boot, old) && old.getConnections(boot.peerId).length === 0, { message: 'its link closed on both sides' })
  assert.equal(boot.stats.versionRefused, 1)
  assert.equal(boot.metrics.get('novacron_peer_disconnects_total')?.get({ reason: 'version' }), 1)
  assert.deepEqual(boot.refusedPeers().map(r => r.peerId), [old.peerId.toString()])
  // during its back-off it cannot link again: the bootstrap refuses it at the encryption step
  // (the dialler may see its side of the upgrade finish before the close reaches it)
  let reopened = 0
  boot.libp2p.addEventListener('connection:open', e => { if (e.detail.remotePeer.equals(old.peerId)) reopened++ })
  await old.dial(multiaddr(boot.getMultiaddrs()[0])).then(() => {}, () => {})
  await waitFor(() => old.getConnections(boot.peerId).length === 0, { message: 'the second try closed' })
  assert.equal(reopened, 0, 'no link opened on the bootstrap')
  assert.equal(refused.length, 1, 'refused at the gater, not identified again')
})

test('live: a NovaCron build from before the handshake is refused as wire 1; a stock libp2p peer is not', async () => {
  const { boot, refused } = await bootstrap()
  const old = await stock()
  await old.handle('/novacron/keepalive/1.0.0', stream => { void stream.close() })
  const plain = await stock()
  await old.dial(multiaddr(boot.getMultiaddrs()[0]))
  await plain.dial(multiaddr(boot.getMultiaddrs()[0]))
  await waitFor(() => refused.length === 1, { message: 'the pre-handshake build refused' })
  assert.equal(refused[0].peerId, old.peerId.toString())
  assert.equal(refused[0].wire, 1)
  assert.match(refused[0].message, /before the version handshake/)
  // the stock peer was identified (its agent is known to the bootstrap) and is still linked
  await waitFor(async () => (await boot.libp2p.peerStore.get(plain.peerId)).metadata.has('AgentVersion'), { message: 'the stock peer identified' })
  assert.equal(linked(boot, plain), true)
  assert.equal(refused.length, 1)
})

test('live: a peer whose bootstrap runs another wire version is told so, naming the bootstrap', async () => {
  const hub = await stock({ userAgent: 'novacron/9.0.0 wire/99 node', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  const addr = hub.getMultiaddrs().find(a => a.toString().includes('/ws'))?.toString()
  assert.ok(addr != null)
  const peer = await createMeshNode({ role: 'peer', bootstrap: [addr], listen: [], build: '0.1.0' })
  meshes.push(peer)
  const refused: RefusedPeer[] = []
  peer.addEventListener('peer:refused', e => { refused.push(e.detail) })
  await peer.start()
  await waitFor(() => refused.length >= 1, { message: 'the bootstrap refused' })
  assert.equal(refused[0].bootstrap, true)
  assert.equal(refused[0].wire, 99)
  assert.match(refused[0].message, new RegExp(`^bootstrap 12D3\\S+ runs NovaCron wire 99 \\(9\\.0\\.0\\); this peer runs wire ${WIRE_VERSION}: link closed`))
  await waitFor(() => hub.getConnections(peer.peerId).length === 0, { message: 'the link closed' })
})

test('cli: `novacron peer` says which bootstrap runs another wire version, and keeps running', async () => {
  const hub = await stock({ userAgent: 'novacron/9.0.0 wire/99 node', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  const addr = hub.getMultiaddrs().find(a => a.toString().includes('/ws'))?.toString() ?? ''
  const dir = mkdtempSync(join(tmpdir(), 'novacron-wire-'))
  try {
    const peer = startCli(['peer', '--bootstrap', addr, '--data-dir', join(dir, 'peer'), '--json'])
    await peer.waitForOutput(/"event":"peer:refused"/)
    const refused = peer.stdout.split('\n').filter(l => l.includes('"event":"peer:refused"')).map(l => JSON.parse(l) as RefusedPeer & { event: string })[0]
    assert.equal(refused.peerId, hub.peerId.toString())
    assert.equal(refused.bootstrap, true)
    assert.equal(refused.wire, 99)
    assert.equal(refused.ours, WIRE_VERSION)
    assert.match(refused.message, /upgrade the bootstrap/)
    assert.equal(peer.exitCode, null, 'the peer keeps running (it retries the bootstrap after the back-off)')
    assert.equal(await peer.stop(), 0)
  } finally {
    await stopAll()
    rmSync(dir, { recursive: true, force: true })
  }
})
