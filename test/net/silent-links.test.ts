/**
 * SilentLinks (core/net/silent-links.ts): which failed pings lead to a confirmation, and when a link
 * is closed. Plain objects stand in for connections and a scripted `ping` for the keep-alive; the
 * real-process case (a SIGKILLed peer's link) is test/net/killed-link.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { SilentLinks } from '../../core/net/silent-links.ts'
import { waitFor } from '../_support/wait.ts'
import type { Connection } from '@libp2p/interface'

const RELAY = '/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWHXR8HYW3w36jSJPdoA9NxsA22GgctbCP4XBLKGwzzNFN'
const PEER = '12D3KooWDWjt7WDpp2bnxtxQe8NhoXGV8hKUFzGYWCnQs5VtQ2jY'

type FakeConn = Connection & { aborted?: Error }

function conn (kind: 'webrtc' | 'websocket', proven = true): FakeConn {
  const c = {
    id: `${kind}-link`,
    remotePeer: { toString: () => PEER },
    remoteAddr: multiaddr(kind === 'websocket' ? RELAY : `${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`),
    limits: undefined,
    status: 'open',
    proven,
    aborted: undefined as Error | undefined,
    abort (err: Error) { c.aborted = err; c.status = 'closed' }
  }
  return c as unknown as FakeConn
}

/** A rule whose pings answer as `answers` says, one entry per ping (true: echo, false: timeout). */
function rule (answers: boolean[], confirmations = 1): { links: SilentLinks, pings: number[], closed: number } {
  const r = { links: undefined as unknown as SilentLinks, pings: [] as number[], closed: 0 }
  r.links = new SilentLinks({
    ping: async (_c, timeoutMs) => {
      r.pings.push(timeoutMs)
      if (answers.shift() === true) return 1
      throw new Error(`no keep-alive echo within ${timeoutMs} ms`)
    },
    proven: c => (c as unknown as { proven: boolean }).proven,
    log: () => {},
    onClosed: () => { r.closed++ }
  }, { confirmTimeoutMs: 40, confirmations })
  return r
}

test('a proven direct link that fails its confirmation too is closed, typed and counted', async () => {
  const r = rule([false])
  const c = conn('webrtc')
  r.links.pingFailed(c)
  await waitFor(() => c.aborted, { timeout: 5000, message: 'the link aborted' })
  assert.equal(c.aborted?.name, 'SilentLinkError')
  assert.deepEqual(r.pings, [40], 'one confirmation, at the confirmation timeout')
  assert.equal(r.closed, 1)
})

test('a link that answers a confirmation stays open; every confirmation must fail', async () => {
  const r = rule([false, true], 2)
  const c = conn('webrtc')
  r.links.pingFailed(c)
  await waitFor(() => r.pings.length === 2, { timeout: 5000, message: 'two confirmations' })
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(c.aborted, undefined)
  assert.equal(r.closed, 0)
})

test('only proven direct WebRTC links are judged; a failure while one is being confirmed starts no second', async () => {
  const r = rule([false, false, false])
  for (const c of [conn('websocket'), conn('webrtc', false)]) r.links.pingFailed(c)
  const c = conn('webrtc')
  r.links.pingFailed(c)
  r.links.pingFailed(c)
  await waitFor(() => c.aborted, { timeout: 5000, message: 'the proven link aborted' })
  assert.equal(r.pings.length, 1, 'one confirmation for the proven direct link, none for the bootstrap or an unproven link')
})

test('a stopped rule closes nothing', async () => {
  const r = rule([false])
  r.links.stop()
  const c = conn('webrtc')
  r.links.pingFailed(c)
  await new Promise(resolve => setTimeout(resolve, 0))
  assert.equal(r.pings.length, 0)
  assert.equal(c.aborted, undefined)
})
