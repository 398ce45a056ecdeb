/**
 * The mesh dialer's limits on one WebRTC dial (mesh-dialer.ts `progressDial`), on a fake clock:
 * once the ICE candidate exchange began, the dial must finish within `iceMs` whatever later steps
 * it reports (a peer connection that died there keeps receiving trickled candidates and never
 * finishes); before that, only the idle limit applies. And `WebRTCDialAborts` ends a transport dial
 * for every caller, which is what turns "the dialer gave up" into "the dial ended"; a link whose
 * peer connection already closed is closed as it opens.
 */
import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p, Transport } from '@libp2p/interface'
import { validateConfig } from '../../core/net/config.ts'
import { MeshDialer } from '../../core/net/mesh-dialer.ts'
import { ICE_STEP, iceStageMs, progressDial } from '../../core/net/progress-dial.ts'
import { WebRTCDialAborts, targetPeer } from '../../core/net/webrtc-dial-aborts.ts'

const PEER = '12D3KooWJ3soK2rsCsi2Lv2jHjE9Map7Vp3Tjs4Z21sHGmbpgtwp'
const RELAY = '12D3KooWEzYX9CuSdGBBK6giy5naTjdP6u5qefwfXDtHanArHAsM'
const ADDR = multiaddr(`/ip4/127.0.0.1/tcp/1/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`)

/** A dial that reports the given steps when told to and ends only when its signal aborts. */
function hangingDial (): { libp2p: Pick<Libp2p, 'dial'>, step: (type: string) => void } {
  let report: (e: { type: string }) => void = () => {}
  const libp2p = {
    dial: async (_addrs: unknown, opts: { signal: AbortSignal, onProgress: (e: { type: string }) => void }) => {
      report = opts.onProgress
      return await new Promise<never>((_resolve, reject) => { opts.signal.addEventListener('abort', () => { reject(new Error('aborted by signal')) }, { once: true }) })
    }
  } as unknown as Pick<Libp2p, 'dial'>
  return { libp2p, step: type => { report({ type }) } }
}

async function settle<T> (p: Promise<T>): Promise<{ ok: true, value: T } | { ok: false, err: Error } | undefined> {
  let out: { ok: true, value: T } | { ok: false, err: Error } | undefined
  p.then(value => { out = { ok: true, value } }, (err: Error) => { out = { ok: false, err } })
  for (let i = 0; i < 5; i++) await Promise.resolve()
  return out
}

/** `out` is a dial given up by its limits: a `DialStalledError` with `afterIce` = `afterIce`. */
function assertStalled (out: Awaited<ReturnType<typeof settle>>, afterIce: boolean, message?: string): void {
  assert.ok(out != null && !out.ok, message ?? 'the dial was given up')
  assert.equal(out.err.name, 'DialStalledError')
  assert.equal((out.err as Error & { afterIce: boolean }).afterIce, afterIce)
}

test('after the ICE exchange began, a dial with no link within iceMs is given up (DialStalledError, afterIce), even while it reports new steps', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
  t.after(() => { mock.timers.reset() })
  const { libp2p, step } = hangingDial()
  const progress = { stage: 'start' }
  const dial = progressDial(libp2p, [ADDR], { idleMs: 5000, iceMs: 2500, capMs: 20_000, progress })
  step('webrtc:open-signaling-stream')
  mock.timers.tick(300)
  step(ICE_STEP)
  // steps keep coming (each resets the idle limit), but they do not extend the ICE stage
  mock.timers.tick(1000)
  step('webrtc:add-ice-candidate')
  mock.timers.tick(1000)
  step('webrtc:end-of-ice-candidates')
  mock.timers.tick(499)
  assert.equal(await settle(dial), undefined, 'still running 2499 ms after ICE began')
  mock.timers.tick(1)
  assertStalled(await settle(dial), true, 'given up 2500 ms after ICE began')
  assert.match(progress.stage, /^webrtc:end-of-ice-candidates at 2300 ms$/)
})

test('before the ICE exchange, only the idle limit applies (not afterIce), and it restarts at each new step', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
  t.after(() => { mock.timers.reset() })
  const { libp2p, step } = hangingDial()
  const dial = progressDial(libp2p, [ADDR], { idleMs: 5000, iceMs: 2500, capMs: 20_000 })
  mock.timers.tick(4000)
  step('webrtc:dial-relay')
  mock.timers.tick(4999)
  assert.equal(await settle(dial), undefined, 'a new step 4 s in restarted the idle limit')
  mock.timers.tick(1)
  assertStalled(await settle(dial), false, 'given up 5000 ms after the last step')
})

test('a dial that opens its link within the ICE limit is not touched by it', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
  t.after(() => { mock.timers.reset() })
  let finish: () => void = () => {}
  const conn = { id: 'c1' }
  const libp2p = {
    dial: async (_a: unknown, opts: { onProgress: (e: { type: string }) => void }) => {
      opts.onProgress({ type: ICE_STEP })
      await new Promise<void>(resolve => { finish = resolve })
      return conn
    }
  } as unknown as Pick<Libp2p, 'dial'>
  const dial = progressDial(libp2p, [ADDR], { idleMs: 5000, iceMs: 2500, capMs: 20_000 })
  mock.timers.tick(2400)
  finish()
  const out = await settle(dial)
  assert.deepEqual(out, { ok: true, value: conn })
  mock.timers.tick(10_000)
})

test('the ICE-stage limit: half a dial timeout, never under 1.5 s', () => {
  assert.equal(iceStageMs(5000), 2500)
  assert.equal(iceStageMs(6000), 3000)
  assert.equal(iceStageMs(1000), 1500)
})

test('WebRTCDialAborts ends the transport dials to one peer for every caller, and leaves the others', async () => {
  const signals: Array<{ peer: string, signal: AbortSignal }> = []
  const transport = {
    marker: 'inner',
    dial: async (ma: ReturnType<typeof multiaddr>, opts: { signal: AbortSignal }) => {
      signals.push({ peer: targetPeer(ma) ?? '', signal: opts.signal })
      return await new Promise<never>((_resolve, reject) => { opts.signal.addEventListener('abort', () => { reject(opts.signal.reason as Error) }, { once: true }) })
    },
    self (): string { return this.marker }
  }
  const aborts = new WebRTCDialAborts()
  const wrapped = aborts.wrap(() => transport as unknown as Transport)({}) as unknown as typeof transport
  assert.equal(wrapped.self(), 'inner', 'other members reach the transport as they are')
  const other = '12D3KooWQfDpk1FXXF2SuTFhWX9T4GDjTnF6SGsYyXxTv5k1v2y2'
  const callerSignal = new AbortController()
  const toPeer = wrapped.dial(ADDR, { signal: callerSignal.signal } as never)
  const toOther = wrapped.dial(multiaddr(`/ip4/127.0.0.1/tcp/1/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${other}`), {} as never)
  assert.equal(aborts.inFlight(PEER), 1)
  assert.equal(targetPeer(ADDR), PEER, 'the target, not the relay')
  const reason = new Error('stalled after ICE')
  assert.equal(aborts.abort(PEER, reason), 1)
  await assert.rejects(toPeer, (err: Error) => err === reason)
  assert.equal(callerSignal.signal.aborted, false, 'the caller\'s own signal is not touched')
  assert.equal(signals.find(s => s.peer === other)?.signal.aborted, false, 'a dial to another peer goes on')
  assert.equal(aborts.inFlight(PEER), 0)
  assert.equal(aborts.abort(PEER, reason), 0, 'nothing left to end')
  aborts.abort(other, new Error('done'))
  await assert.rejects(toOther)
})

test('a WebRTC link whose peer connection is already closed when it opens is closed at once (stillborn); a live one is kept', () => {
  const conns: Array<Partial<Connection>> = []
  const fake = { peerId: { toString: () => 'self' }, getConnections: () => conns.filter(c => c.status === 'open') } as unknown as Libp2p
  const stats = { dialFailures: 0, dialSuccesses: 0, stillbornLinks: 0 }
  const dialer = new MeshDialer(fake, validateConfig({ maxPeers: 4, dialTimeoutMs: 5000 }), stats, Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as never)
  type FakeLink = Partial<Connection> & { aborted?: Error, muxer?: unknown }
  const link = (state: string): FakeLink => {
    const c: FakeLink = {
      id: state,
      remotePeer: { toString: () => PEER } as never,
      remoteAddr: multiaddr(`/ip4/127.0.0.1/udp/9/webrtc/p2p/${PEER}`),
      direction: 'inbound',
      status: 'open',
      muxer: { peerConnection: { connectionState: state, addEventListener: () => {}, removeEventListener: () => {} } },
      abort: (err: Error) => { c.aborted = err; c.status = 'closed' }
    }
    conns.push(c)
    return c
  }
  const dead = link('closed')
  dialer.connectionOpened(dead as Connection)
  assert.ok(dead.aborted != null, 'closed at once')
  assert.equal(stats.stillbornLinks, 1)
  const live = link('connected')
  dialer.connectionOpened(live as Connection)
  assert.equal(live.aborted, undefined, 'a live link stays')
  assert.equal(stats.stillbornLinks, 1)
})
