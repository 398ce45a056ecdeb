/**
 * A direct WebRTC link to a peer process that is SIGKILLed closes by itself within a bound, even
 * when nothing else tells us the peer died (core/net/silent-links.ts, docs/mesh.md "Dead WebRTC
 * links"). The mesh's usual first sign, the bootstrap announcing that the peer's bootstrap link
 * closed (mesh-node.ts `checkGone`), is taken out of play by stopping the bootstrap before the
 * kill; the peer's TTL (a minute) is longer than the wait. Left to itself, node-datachannel closes
 * such a link only when its SCTP association gives up, 13.8–14.6 s after the kill here; this node
 * pings every second with a 3 s timeout, so a silent link is found by one failed ping and one failed
 * confirmation (≤ 1 + 3 + 1.5 s). The wait below allows 10 s: generous for the rule, short of the
 * native close.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createMeshNode, type MeshNode, type MeshNodeInit } from '../../core/net/index.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { cleanup, startCli, stopAll, type CliProcess } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

const INIT: MeshNodeInit = { discoveryIntervalMs: 1000, topologyIntervalMs: 1000, peerTtlMs: 60_000 }
let boot: MeshNode
let a: MeshNode
let child: CliProcess

before(async () => {
  boot = await createMeshNode({ ...INIT, role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  await boot.start()
  a = await createMeshNode({ ...INIT, bootstrap: [boot.getMultiaddrs()[0]], pingIntervalMs: 1000, dialTimeoutMs: 3000 })
  await a.start()
  child = startCli(['peer', '--bootstrap', boot.getMultiaddrs()[0], '--no-ledger', '--job-capacity', '0', '--json'])
})

after(async () => {
  await cleanup(stopAll, async () => { await a.stop() }, async () => { await boot.stop() }, releaseWebRTC)
})

test('a killed peer\'s direct link closes within a bound, with no bootstrap to announce it', async t => {
  const m = await child.waitForOutput(/\{"event":"listening"[^\n]*\}/)
  const id = (JSON.parse(m[0]) as { peerId: string }).peerId
  const direct = (): ReturnType<MeshNode['libp2p']['getConnections']> => a.libp2p.getConnections().filter(c => c.remotePeer.toString() === id && c.remoteAddr.toString().includes('/webrtc'))
  await waitFor(() => direct().some(c => c.status === 'open' && c.rtt != null) && a.members().includes(id), { timeout: 60_000, message: () => `a proven WebRTC link from the in-process peer to the child, and the child in its view (member: ${a.members().includes(id)})` })
  // no bootstrap left to announce the child's death: only the link itself can tell
  await boot.stop()
  await waitFor(() => a.libp2p.getConnections().every(c => c.remotePeer.toString() !== boot.peerId.toString()), { timeout: 10_000, message: 'the bootstrap link gone' })
  assert.ok(direct().some(c => c.status === 'open'), 'the direct link outlives the bootstrap')
  const closedBefore = a.stats.silentLinksClosed
  child.child.kill('SIGKILL')
  const killedAt = Date.now()
  await waitFor(() => direct().every(c => c.status !== 'open'), {
    timeout: 10_000,
    message: () => `the link to the killed peer to close (${direct().map(c => c.status).join(', ')} after ${Date.now() - killedAt} ms; ping failures ${a.stats.pingFailures})`
  })
  const closedAfter = Date.now() - killedAt
  const bySilentRule = a.stats.silentLinksClosed > closedBefore
  t.diagnostic(`closed ${closedAfter} ms after the kill, ${bySilentRule ? 'by the silent-link rule' : 'by the WebRTC stack itself'}`)
  // The rule cannot close the link sooner than one ping timeout plus a confirmation after the last
  // echo (≥ 3 + 1.5 − 1 s after the kill here). Sometimes the native stack gets there first: on
  // loopback a killed process's UDP port answers with ICMP port-unreachable, which can fail ICE at
  // once (seen once in a clean-clone CI: closed, not counted, ~1–2 s after the kill). That is a
  // closed link too; a close without the rule later than the rule could act would mean the rule
  // closed it without counting it.
  if (!bySilentRule) assert.ok(closedAfter < 3500, `closed ${closedAfter} ms after the kill, not counted as silent: by then only the silent-link rule should have closed it`)
  assert.ok(a.members().includes(id), 'still in the view: closing a link is not a departure (its TTL has not passed)')
})
