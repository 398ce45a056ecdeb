/**
 * LinkSweeper (core/net/link-sweeper.ts): which links a maintenance pass closes, and how a peer our
 * bootstrap stopped listing is judged. Plain objects stand in for connections and a scripted `ping`
 * for the keep-alive (the real LinkHealth classifies them); the live behaviour is covered by
 * test/net/mesh.test.ts, departure.test.ts and datachannel-release.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection } from '@libp2p/interface'
import { LinkSweeper, deadLinkGraceMs } from '../../core/net/link-sweeper.ts'
import { LinkHealth } from '../../core/net/link-health.ts'
import { validateConfig } from '../../core/net/config.ts'
import { waitFor } from '../_support/wait.ts'

const RELAY = '/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWHXR8HYW3w36jSJPdoA9NxsA22GgctbCP4XBLKGwzzNFN'
const PEER = '12D3KooWDWjt7WDpp2bnxtxQe8NhoXGV8hKUFzGYWCnQs5VtQ2jY'

type FakeConn = Connection & { aborted?: Error, closed: boolean }

function conn (id: string, opened: number, opts: { rtt?: number, peer?: string } = {}): FakeConn {
  const peer = opts.peer ?? PEER
  const c = {
    id,
    remotePeer: { toString: () => peer },
    remoteAddr: multiaddr(`${RELAY}/p2p-circuit/webrtc/p2p/${peer}`),
    limits: undefined,
    status: 'open',
    direction: 'outbound',
    timeline: { open: opened },
    rtt: opts.rtt,
    closed: false,
    aborted: undefined as Error | undefined,
    abort (err: Error) { c.aborted = err; c.status = 'closed' },
    async close () { c.closed = true; c.status = 'closed' }
  }
  return c as unknown as FakeConn
}

function sweeper (conns: FakeConn[], opts: { held?: Map<object, number>, answers?: boolean, started?: boolean } = {}) {
  const config = validateConfig({ dialTimeoutMs: 2_000, pingIntervalMs: 5_000, maxHeldChannels: 10 })
  const stats = { duplicateLinksClosed: 0, deadLinks: 0, recycledLinks: 0 }
  const left: string[] = []
  let viewChanges = 0
  const pings: Array<Promise<unknown>> = []
  const s = new LinkSweeper({
    getConnections: peer => conns.filter(c => c.status === 'open' && (peer == null || c.remotePeer.toString() === peer)),
    health: new LinkHealth(),
    channels: { inbound: c => { const held = opts.held?.get(c); return held == null ? undefined : { open: 0, closed: held, held } } },
    ping: async (_c, timeoutMs) => {
      const p = opts.answers === true ? Promise.resolve(1) : Promise.reject(new Error(`no keep-alive echo within ${timeoutMs} ms`))
      pings.push(p.catch(() => {}))
      return await p
    },
    config: () => config,
    stats,
    isStarted: () => opts.started ?? true,
    leave: id => { left.push(id); return true },
    viewChanged: () => { viewChanges++ },
    log: Object.assign(() => {}, { enabled: false, trace: () => {}, error: () => {}, newScope: () => { throw new Error('unused') } }) as never
  })
  return { s, stats, left, pings, viewChanges: () => viewChanges }
}

test('a sweep closes an unproven duplicate beside a proven link, and a link that never carried data', () => {
  const now = Date.now()
  const proven = conn('proven', now - 60_000, { rtt: 3 })
  const duplicate = conn('duplicate', now - 60_000)
  const other = '12D3KooWHXR8HYW3w36jSJPdoA9NxsA22GgctbCP4XBLKGwzzNFM'
  const deadLink = conn('dead', now - 60_000, { peer: other })
  const young = conn('young', now, { peer: '12D3KooWDWjt7WDpp2bnxtxQe8NhoXGV8hKUFzGYWCnQs5VtQ2jZ' })
  const { s, stats } = sweeper([proven, duplicate, deadLink, young])
  s.sweep()
  assert.equal(proven.aborted, undefined)
  assert.match(String(duplicate.aborted?.message), /duplicate of a proven direct link/)
  assert.match(String(deadLink.aborted?.message), /no data over this WebRTC link after 6000 ms/)
  assert.equal(young.aborted, undefined, 'a link within its grace period is left alone')
  assert.deepEqual(stats, { duplicateLinksClosed: 1, deadLinks: 1, recycledLinks: 0 })
})

test('a sweep recycles a link holding more closed data channels than its budget, and only that one', () => {
  const now = Date.now()
  const heavy = conn('heavy', now - 60_000, { rtt: 2 })
  const light = conn('light', now - 60_000, { rtt: 2, peer: '12D3KooWHXR8HYW3w36jSJPdoA9NxsA22GgctbCP4XBLKGwzzNFM' })
  const { s, stats } = sweeper([heavy, light], { held: new Map<object, number>([[heavy, 11], [light, 10]]) })
  s.sweep()
  assert.equal(heavy.closed, true)
  assert.equal(light.closed, false, 'at the budget is not over it')
  assert.equal(stats.recycledLinks, 1)
})

test('a peer our bootstrap dropped with no link of ours is gone at once', () => {
  const { s, left, viewChanges } = sweeper([])
  s.checkGone(PEER)
  assert.deepEqual(left, [PEER])
  assert.equal(viewChanges(), 0, 'the caller announces the view it is already changing')
})

test('over a link of ours, a ping decides: no answer closes the link and drops the peer; an answer keeps both', async () => {
  const silent = conn('silent', Date.now() - 60_000, { rtt: 2 })
  const dropped = sweeper([silent], { answers: false })
  dropped.s.checkGone(PEER)
  await waitFor(() => dropped.left.length === 1, { timeout: 5_000, message: 'the silent peer dropped' })
  assert.match(String(silent.aborted?.message), /stopped answering/)
  assert.equal(dropped.viewChanges(), 1)

  const live = conn('live', Date.now() - 60_000, { rtt: 2 })
  const kept = sweeper([live], { answers: true })
  kept.s.checkGone(PEER)
  assert.equal(kept.pings.length, 1)
  await Promise.all(kept.pings)
  assert.deepEqual(kept.left, [])
  assert.equal(live.aborted, undefined)
})

test('a stopped node closes no duplicate and drops no peer after a failed ping', async () => {
  const now = Date.now()
  const proven = conn('proven', now - 60_000, { rtt: 3 })
  const duplicate = conn('duplicate', now - 60_000)
  const { s, left, stats } = sweeper([proven, duplicate], { started: false, answers: false })
  s.closeRedundant(PEER)
  assert.equal(duplicate.aborted, undefined)
  assert.equal(stats.duplicateLinksClosed, 0)
  s.checkGone(PEER)
  await waitFor(() => proven.aborted != null, { timeout: 5_000, message: 'the failed ping handled' })
  assert.deepEqual(left, [], 'the view is not touched once stopped')
})

test('the dead-link grace: two dial timeouts at least, the ping interval counted only up to two more', () => {
  assert.equal(deadLinkGraceMs({ dialTimeoutMs: 6_000, pingIntervalMs: 10_000 }), 16_000, 'the defaults: an interval and a dial timeout')
  assert.equal(deadLinkGraceMs({ dialTimeoutMs: 5_000, pingIntervalMs: 2_000 }), 10_000, 'a short interval: two dial timeouts')
  assert.equal(deadLinkGraceMs({ dialTimeoutMs: 5_000, pingIntervalMs: 600_000 }), 15_000, 'a 10-minute interval does not keep a dead link 10 minutes')
})
