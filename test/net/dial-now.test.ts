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
