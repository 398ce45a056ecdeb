/**
 * node-datachannel's RTCPeerConnection polyfill holds every data channel the remote opened, even
 * after it closed (issue 21); `releaseHeldChannel` (node-runtime/mesh/datachannel-release.ts),
 * run by `DataChannelTracker` on close, lets go of them. Two real polyfill peer connections in
 * this process, wired to each other: one side opens, uses and closes channels, the other echoes.
 * The first test pins the upstream behaviour (when it fails, upstream fixed it and the releaser
 * can go); the second shows the release.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { RTCPeerConnection } from 'node-datachannel/polyfill'
import { DataChannelTracker, setChannelReleaser } from '../../core/net/datachannel-tracker.ts'
import { releaseHeldChannel } from '../../node-runtime/mesh/datachannel-release.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'

const CHANNELS = 30
let opened = 0
const pcs: RTCPeerConnection[] = []

after(() => {
  for (const pc of pcs) pc.close()
  setChannelReleaser(undefined)
  releaseWebRTC()
})

/**
 * A connected pair; `b` echoes every message on every channel `a` opens. Candidates are handed
 * over only once the receiving side has the remote description (as @libp2p/webrtc's signalling
 * does). Under load, libdatachannel now and then refuses the answer ("Got a remote candidate without
 * ICE transport": 15 of 1,000 pairings at load 4) or a pairing never connects (1 in 1,000); neither
 * is what these tests are about, so a pairing that fails is replaced by a fresh one (at most 4
 * tries; the last one's error is thrown).
 */
async function pair (): Promise<{ a: RTCPeerConnection, b: RTCPeerConnection }> {
  let last: unknown
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await tryPair()
    } catch (err) {
      last = err
    }
  }
  throw last
}

async function tryPair (): Promise<{ a: RTCPeerConnection, b: RTCPeerConnection }> {
  const a = new RTCPeerConnection({ iceServers: [] })
  const b = new RTCPeerConnection({ iceServers: [] })
  pcs.push(a, b)
  const relay = (from: RTCPeerConnection, to: RTCPeerConnection): () => void => {
    const queued: RTCIceCandidate[] = []
    let ready = false
    from.onicecandidate = e => {
      if (e.candidate == null) return
      if (ready) to.addIceCandidate(e.candidate).catch(() => {})
      else queued.push(e.candidate)
    }
    return () => { ready = true; for (const c of queued.splice(0)) to.addIceCandidate(c).catch(() => {}) }
  }
  const toB = relay(a, b)
  const toA = relay(b, a)
  b.addEventListener('datachannel', e => { const { channel } = e as RTCDataChannelEvent; channel.onmessage = (e: MessageEvent) => { channel.send(e.data as ArrayBuffer) } })
  // b announces the init channel when it likes, maybe after a saw it open: wait for both
  const farInit = new Promise(resolve => {
    b.addEventListener('datachannel', e => { if ((e as RTCDataChannelEvent).channel.label === 'init') resolve(undefined) })
  })
  const init = a.createDataChannel('init')
  try {
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription as RTCSessionDescriptionInit)
    toB()
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription as RTCSessionDescriptionInit)
    toA()
    const opened = new Promise(resolve => { if (init.readyState === 'open') resolve(undefined); else init.addEventListener('open', resolve, { once: true }) })
    await step('the pair connected', Promise.all([opened, farInit]))
  } catch (err) {
    a.close(); b.close()
    throw err
  }
  return { a, b }
}

/** Resolves with `p`, or rejects naming `what` when it takes over 10 s (a step that hangs says which). */
async function step<T> (what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what}: no event in 10 s`)) }, 10_000) })
  try { return await Promise.race([p, late]) } finally { clearTimeout(timer) }
}

/** Opens a channel from `a`, makes one round trip over it and closes it; resolves once `far` saw it close. */
async function useAndClose (a: RTCPeerConnection, far: RTCPeerConnection): Promise<void> {
  // matched by label: another channel's 'datachannel' event (the init channel's comes when it
  // likes) must not take this one's place
  const label = `c${++opened}`
  const farClosed = new Promise(resolve => {
    const onChannel = (e: Event): void => {
      const { channel } = e as RTCDataChannelEvent
      if (channel.label !== label) return
      far.removeEventListener('datachannel', onChannel)
      channel.addEventListener('close', resolve, { once: true })
    }
    far.addEventListener('datachannel', onChannel)
  })
  const ch = a.createDataChannel(label)
  await step('open', new Promise(resolve => ch.addEventListener('open', resolve, { once: true })))
  const echoed = new Promise(resolve => ch.addEventListener('message', resolve, { once: true }))
  ch.send(new Uint8Array(8))
  await step('echo', echoed)
  ch.close()
  await step('far close', farClosed)
  // the far side's tracker runs from its own close listener, added before ours: let it finish
  await new Promise(resolve => setImmediate(resolve))
}

async function held (pc: RTCPeerConnection): Promise<number> {
  const p = (await pc.getStats()).get('P') as { dataChannelsOpened: number }
  return p.dataChannelsOpened
}

test('upstream: the polyfill keeps every closed channel the remote opened (what the releaser works around)', async () => {
  const { a, b } = await pair()
  for (let i = 0; i < CHANNELS; i++) await useAndClose(a, b)
  assert.equal(await held(b), CHANNELS + 1, 'the init channel and every closed one')
  assert.equal(await held(a), 1, 'the opener removed its own closed channels')
})

test('with the releaser, the tracker lets go of each closed channel the remote opened', async () => {
  setChannelReleaser(releaseHeldChannel)
  const { a, b } = await pair()
  const tracker = new DataChannelTracker()
  const conn = { muxer: { peerConnection: b } }
  tracker.watch(conn)
  for (let i = 0; i < CHANNELS; i++) await useAndClose(a, b)
  assert.deepEqual(tracker.inbound(conn), { open: 0, closed: CHANNELS, held: 0 })
  assert.equal(await held(b), 1, 'only the init channel, opened before the tracker watched')
})
