/**
 * Probe (issue 17, learning9): what a peer sees of its direct WebRTC link to a peer process that is
 * SIGKILLed. An in-process bootstrap and peer A; `novacron peer` as a child process; once A holds a
 * WebRTC link to the child, the child is killed and A's connections to it, the RTCPeerConnection's
 * states and its data channels are printed every 250 ms for `--watch` seconds.
 *
 *   npx tsx bench/_killed-link-probe.ts [--no-gone] [--watch 40]
 *
 * `--no-gone` turns off the mesh's "bootstrap unlisted it → one ping" rule (mesh-node.ts
 * `checkGone`), so what is left is what libp2p / node-datachannel notice on their own.
 */
import '../node-runtime/polyfills.mjs'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMeshNode, type MeshNodeInit } from '../core/net/index.ts'
import { releaseWebRTC } from '../node-runtime/mesh/webrtc-release.ts'
import { waitFor } from '../test/_support/wait.ts'

const argv = process.argv.slice(2)
const noGone = argv.includes('--no-gone')
const watchS = Number(argv[argv.indexOf('--watch') + 1] ?? 40) || 40
const INIT: MeshNodeInit = { discoveryIntervalMs: 1000, topologyIntervalMs: 1000, dialTimeoutMs: 6000 }
const root = new URL('..', import.meta.url).pathname

const boot = await createMeshNode({ ...INIT, role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
await boot.start()
const a = await createMeshNode({ ...INIT, bootstrap: [boot.getMultiaddrs()[0]] })
if (noGone) (a as unknown as { checkGone: () => void }).checkGone = () => {}
await a.start()
const child = spawn(`${root}bin/novacron.mjs`, ['peer', '--bootstrap', boot.getMultiaddrs()[0], '--no-ledger', '--job-capacity', '0', '--json'], {
  cwd: root, env: { ...process.env, NOVACRON_HOME: mkdtempSync(join(tmpdir(), 'nc-kill-')) }, stdio: ['pipe', 'pipe', 'inherit']
})
let out = ''
child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
const childId = (await waitFor(() => /"peerId":"(\w+)"/.exec(out)?.[1], { timeout: 60_000, message: 'child peer id' }))
const webrtc = (): ReturnType<typeof a.libp2p.getConnections> => a.libp2p.getConnections().filter(c => c.remotePeer.toString() === childId && c.remoteAddr.toString().includes('webrtc'))
await waitFor(() => webrtc().some(c => c.status === 'open'), { timeout: 60_000, message: 'a WebRTC link A → child' })
await waitFor(() => webrtc().some(c => c.rtt != null), { timeout: 30_000, message: 'a ping over it' })
const conn = webrtc()[0]
const pc = (conn as unknown as { muxer?: { peerConnection?: RTCPeerConnection } }).muxer?.peerConnection
console.log(`linked; killing the child (${childId.slice(-6)}) now`)
const t0 = Date.now()
for (const ev of ['connectionstatechange', 'iceconnectionstatechange', 'signalingstatechange']) pc?.addEventListener(ev, () => { console.log(`${String(Date.now() - t0).padStart(6)} ms  event ${ev}: ${pc.connectionState}/${pc.iceConnectionState}`) })
conn.addEventListener?.('close', () => { console.log(`${String(Date.now() - t0).padStart(6)} ms  conn close event`) })
child.kill('SIGKILL')
let last = ''
if (argv.includes('--open-test')) {
  for (const delay of [500, 3000]) {
    setTimeout(() => {
      const t = Date.now()
      conn.newStream('/novacron/keepalive/1.0.0', { signal: AbortSignal.timeout(750) }).then(
        () => { console.log(`newStream at +${delay} ms resolved after ${Date.now() - t} ms`) },
        (err: Error) => { console.log(`newStream at +${delay} ms rejected after ${Date.now() - t} ms: ${err.name} ${err.message}`) })
    }, delay)
  }
}
while (Date.now() - t0 < watchS * 1000) {
  const conns = a.libp2p.getConnections().filter(c => c.remotePeer.toString() === childId)
  const line = [
    `conns ${conns.map(c => `${c.remoteAddr.toString().includes('webrtc') ? 'webrtc' : 'other'}:${c.status}`).join(',') || 'none'}`,
    `linkStatus ${conn.status}`,
    `pc ${pc?.connectionState}/${pc?.iceConnectionState}`,
    `member ${a.members().includes(childId)}`,
    `pingFailures ${a.stats.pingFailures}`
  ].join(' · ')
  if (line !== last) { console.log(`${String(Date.now() - t0).padStart(6)} ms  ${line}`); last = line }
  await new Promise(resolve => setTimeout(resolve, 250))
}
await a.stop()
await boot.stop()
releaseWebRTC()
process.exit(0)
