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
const pcs: RTCPeerConnection[] = []

after(() => {
  for (const pc of pcs) pc.close()
  setChannelReleaser(undefined)
  releaseWebRTC()
})

/** A connected pair; `b` echoes every message on every channel `a` opens. */
async function pair (): Promise<{ a: RTCPeerConnection, b: RTCPeerConnection }> {
  const a = new RTCPeerConnection({ iceServers: [] })
  const b = new RTCPeerConnection({ iceServers: [] })
  pcs.push(a, b)
  a.onicecandidate = e => { if (e.candidate != null) b.addIceCandidate(e.candidate).catch(() => {}) }
  b.onicecandidate = e => { if (e.candidate != null) a.addIceCandidate(e.candidate).catch(() => {}) }
  b.addEventListener('datachannel', e => { const { channel } = e as RTCDataChannelEvent; channel.onmessage = (e: MessageEvent) => { channel.send(e.data as ArrayBuffer) } })
  const init = a.createDataChannel('init')
  await a.setLocalDescription(await a.createOffer())
  await b.setRemoteDescription(a.localDescription as RTCSessionDescriptionInit)
  await b.setLocalDescription(await b.createAnswer())
  await a.setRemoteDescription(b.localDescription as RTCSessionDescriptionInit)
  await new Promise(resolve => { if (init.readyState === 'open') resolve(undefined); else init.addEventListener('open', resolve, { once: true }) })
  return { a, b }
}

/** Opens a channel from `a`, makes one round trip over it and closes it; resolves once `far` saw it close. */
async function useAndClose (a: RTCPeerConnection, far: RTCPeerConnection): Promise<void> {
  const farClosed = new Promise(resolve => {
    far.addEventListener('datachannel', e => { (e as RTCDataChannelEvent).channel.addEventListener('close', resolve, { once: true }) }, { once: true })
  })
  const ch = a.createDataChannel('')
  await new Promise(resolve => ch.addEventListener('open', resolve, { once: true }))
  const echoed = new Promise(resolve => ch.addEventListener('message', resolve, { once: true }))
  ch.send(new Uint8Array(8))
  await echoed
  ch.close()
  await farClosed
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
