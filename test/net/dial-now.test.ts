/**
 * `MeshDialer.dialNow` (what `MeshNode.request(..., { direct: true })` uses: the blob service asks a
 * tab that holds a result and is linked only through the relay), against a scripted libp2p: a known
 * peer without a direct link is dialled at once whatever the policy's target; two callers share one
 * dial; a linked peer is not dialled again; an unknown one gives false without a dial; a failed dial
 * gives false, and so does the next call within dialTimeoutMs, without dialling.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Connection, Libp2p } from '@libp2p/interface'
import { validateConfig } from '../../core/net/config.ts'
import { MeshDialer } from '../../core/net/mesh-dialer.ts'

async function id (): Promise<string> { return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString() }

test('dialNow dials a known peer at once, shares one dial between callers, and says whether a link is open', async () => {
  const [self, relay, tab, stranger, broken] = await Promise.all(Array.from({ length: 5 }, async () => await id()))
  const addr = (p: string): string => `/ip4/127.0.0.1/tcp/1/ws/p2p/${relay}/p2p-circuit/webrtc/p2p/${p}`
  const conns: Array<Partial<Connection>> = []
  const dialled: string[] = []
  let release: () => void = () => {}
  const fake = {
    peerId: { toString: () => self },
    getConnections: (peer?: { toString: () => string }) => conns.filter(c => c.status === 'open' && (peer == null || c.remotePeer?.toString() === peer.toString())),
    dial: async (addrs: Array<{ toString: () => string }>) => {
      const p = addrs[0].toString().split('/p2p/').pop() as string
      dialled.push(p)
      if (p === broken) throw new Error('ICE failed')
      await new Promise<void>(resolve => { release = resolve }) // the dial takes a while: both callers wait on it
      const c: Partial<Connection> = { remotePeer: { toString: () => p } as never, remoteAddr: multiaddr(addr(p)), direction: 'outbound', status: 'open', limits: undefined }
      conns.push(c)
      return c
    }
  } as unknown as Libp2p
  const dialer = new MeshDialer(fake, validateConfig({ maxPeers: 1, dialTimeoutMs: 5000 }), { dialFailures: 0, dialSuccesses: 0 }, Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as never)
  dialer.start()
  dialer.discovered(tab, [addr(tab)])
  dialer.discovered(broken, [addr(broken)])
  const first = dialer.dialNow(tab)
  const second = dialer.dialNow(tab)
  await new Promise(resolve => setImmediate(resolve))
  assert.deepEqual(dialled, [tab], 'one dial for two callers')
  assert.equal(dialer.isDialing(tab), true)
  release()
  assert.deepEqual(await Promise.all([first, second]), [true, true])
  assert.equal(await dialer.dialNow(tab), true)
  assert.deepEqual(dialled, [tab], 'a linked peer is not dialled again')
  assert.equal(await dialer.dialNow(stranger), false, 'no WebRTC address known: no dial')
  assert.equal(await dialer.dialNow(broken), false, 'a failed dial')
  assert.equal(await dialer.dialNow(broken), false, 'and no new dial right after it')
  assert.deepEqual(dialled, [tab, broken])
  dialer.stop()
})

test('a request that gives up cancels the dial only it waits on (no failure counted); a dial someone else waits on goes on', async () => {
  const [self, relay, tab, other] = await Promise.all(Array.from({ length: 4 }, async () => await id()))
  const addr = (p: string): string => `/ip4/127.0.0.1/tcp/1/ws/p2p/${relay}/p2p-circuit/webrtc/p2p/${p}`
  const conns: Array<Partial<Connection>> = []
  const dials: Array<{ peer: string, signal: AbortSignal, finish: () => void }> = []
  const fake = {
    peerId: { toString: () => self },
    getConnections: (peer?: { toString: () => string }) => conns.filter(c => c.status === 'open' && (peer == null || c.remotePeer?.toString() === peer.toString())),
    dial: async (addrs: Array<{ toString: () => string }>, opts: { signal: AbortSignal }) => {
      const p = addrs[0].toString().split('/p2p/').pop() as string
      // a slow WebRTC dial: it ends when finished, or when its signal aborts
      await new Promise<void>((resolve, reject) => {
        dials.push({ peer: p, signal: opts.signal, finish: resolve })
        opts.signal.addEventListener('abort', () => { reject(opts.signal.reason as Error) }, { once: true })
      })
      const c: Partial<Connection> = { remotePeer: { toString: () => p } as never, remoteAddr: multiaddr(addr(p)), direction: 'outbound', status: 'open', limits: undefined }
      conns.push(c)
      return c
    }
  } as unknown as Libp2p
  const stats = { dialFailures: 0, dialSuccesses: 0 }
  const dialer = new MeshDialer(fake, validateConfig({ maxPeers: 1, dialTimeoutMs: 60_000 }), stats, Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as never)
  dialer.start()
  dialer.discovered(tab, [addr(tab)])
  dialer.discovered(other, [addr(other)])
  const tick = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

  // two requests wait on one dial: the first giving up leaves it running, the second cancels it
  const a = new AbortController()
  const b = new AbortController()
  const first = dialer.dialNow(tab, a.signal)
  const second = dialer.dialNow(tab, b.signal)
  await tick()
  assert.equal(dials.length, 1)
  a.abort(new Error('request timed out'))
  assert.equal(await first, false, 'the caller that gave up is answered at once')
  await tick()
  assert.equal(dials[0].signal.aborted, false, 'another request still waits on the dial')
  b.abort(new Error('request timed out'))
  assert.equal(await second, false)
  await tick()
  assert.equal(dials[0].signal.aborted, true, 'the last request giving up cancels the dial')
  assert.equal(dialer.isDialing(tab), false)
  assert.equal(stats.dialFailures, 0, 'a cancelled dial is not a failure of the peer')

  // so the next request dials again at once (no back-off after a failure)
  const c = new AbortController()
  const third = dialer.dialNow(tab, c.signal)
  await tick()
  assert.equal(dials.length, 2, 'dialled again')
  dials[1].finish()
  assert.equal(await third, true)

  // a dial a caller without a signal (the policy's kind) also waits on is not cancelled
  const d = new AbortController()
  const fourth = dialer.dialNow(other, d.signal)
  const kept = dialer.dialNow(other)
  await tick()
  assert.equal(dials.length, 3)
  d.abort(new Error('request timed out'))
  assert.equal(await fourth, false)
  await tick()
  assert.equal(dials[2].signal.aborted, false, 'kept for the caller that did not give up')
  dials[2].finish()
  assert.equal(await kept, true)
  assert.equal(await dialer.dialNow(tab, AbortSignal.abort()), true, 'a linked peer needs no dial, even for an aborted caller')
  dialer.stop()
})

test('our dial to a smaller id is cancelled once that peer\'s own link here is identified (it would only hang until its timeout); not when it only opened, not to a larger id', { timeout: 10_000 }, async () => {
  const ids = (await Promise.all(Array.from({ length: 4 }, async () => await id()))).sort()
  // self sits between: `smaller` wins against self, self wins against `larger`
  const [smaller, self, larger, relay] = [ids[0], ids[1], ids[2], ids[3]]
  const addr = (p: string): string => `/ip4/127.0.0.1/tcp/1/ws/p2p/${relay}/p2p-circuit/webrtc/p2p/${p}`
  const conns: Array<Partial<Connection>> = []
  const dials: Array<{ peer: string, signal: AbortSignal }> = []
  const fake = {
    peerId: { toString: () => self },
    getConnections: (peer?: { toString: () => string }) => conns.filter(c => c.status === 'open' && (peer == null || c.remotePeer?.toString() === peer.toString())),
    // a dial the other side refused: it never completes, only its signal ends it (as @libp2p/webrtc's initiator)
    dial: async (addrs: Array<{ toString: () => string }>, opts: { signal: AbortSignal }) => {
      dials.push({ peer: addrs[0].toString().split('/p2p/').pop() as string, signal: opts.signal })
      return await new Promise<never>((_resolve, reject) => { opts.signal.addEventListener('abort', () => { reject(opts.signal.reason as Error) }, { once: true }) })
    }
  } as unknown as Libp2p
  const stats = { dialFailures: 0, dialSuccesses: 0, lostDialsCancelled: 0 }
  const dialer = new MeshDialer(fake, validateConfig({ maxPeers: 4, dialTimeoutMs: 60_000 }), stats, Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as never)
  dialer.start()
  dialer.discovered(smaller, [addr(smaller)])
  dialer.discovered(larger, [addr(larger)])
  const tick = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }
  const inbound = (p: string): Connection => {
    const c: Partial<Connection> = { remotePeer: { toString: () => p } as never, remoteAddr: multiaddr(`/ip4/127.0.0.1/udp/9/webrtc/p2p/${p}`), direction: 'inbound', status: 'open', limits: undefined }
    conns.push(c)
    return c as Connection
  }

  const toSmaller = dialer.dialNow(smaller)
  const toLarger = dialer.dialNow(larger)
  await tick()
  assert.deepEqual(dials.map(d => d.peer).sort(), [larger, smaller].sort())
  // the smaller id's dial to us opens its link: ours goes on until data crossed it (a half-made link
  // opens too, and never carries a byte)
  const fromSmaller = inbound(smaller)
  dialer.connectionOpened(fromSmaller)
  await tick()
  assert.equal(dials.find(d => d.peer === smaller)?.signal.aborted, false, 'not cancelled by a link that only opened')
  assert.equal(stats.lostDialsCancelled, 0)
  // identify completed over it: ours to it is cancelled, and its caller finds the link
  dialer.linkIdentified(fromSmaller)
  assert.equal(await toSmaller, true, 'the caller waiting on the lost dial is answered with the open link')
  assert.equal(dials.find(d => d.peer === smaller)?.signal.aborted, true, 'our dial to the smaller id was cancelled')
  assert.equal(dialer.isDialing(smaller), false)
  assert.equal(stats.lostDialsCancelled, 1)
  assert.equal(stats.dialFailures, 0, 'not a failure of the peer\'s')
  assert.equal(dialer.dialState(smaller), 'linked')
  // an inbound link from a larger id does not cancel our dial to it: ours is the one that stays
  const fromLarger = inbound(larger)
  dialer.connectionOpened(fromLarger)
  dialer.linkIdentified(fromLarger)
  await tick()
  assert.equal(dials.find(d => d.peer === larger)?.signal.aborted, false, 'our dial to the larger id goes on')
  assert.equal(stats.lostDialsCancelled, 1)
  dialer.stop()
  assert.equal(await toLarger, true)
})
