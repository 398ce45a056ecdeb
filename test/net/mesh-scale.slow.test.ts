/**
 * The 20-peer mesh of the benchmark, as a test (slow suite: `npm run test:slow`): a
 * bootstrap and 20 headless peers started at once in one process, with the defaults a
 * `novacron peer` runs. Every peer must reach full membership — the case that once never
 * converged because gossipsub's IP-colocation penalty graylisted every peer beyond the tenth on
 * 127.0.0.1 at the bootstrap. How fast is the benchmark's business (bench/mesh.bench.ts); the
 * deadline here only bounds a hang on a loaded machine.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createMeshNode, TOPOLOGY_TOPIC, type MeshNode } from '../../core/net/index.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { waitFor } from '../_support/wait.ts'

const N = 20
const nodes: MeshNode[] = []
let boot: MeshNode
let peers: MeshNode[] = []

before(async () => {
  boot = await createMeshNode({ role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  nodes.push(boot)
  await boot.start()
  peers = await Promise.all(Array.from({ length: N }, async () => await createMeshNode({ bootstrap: [boot.getMultiaddrs()[0]] })))
  nodes.push(...peers)
  await Promise.all(peers.map(async p => { await p.start() }))
})

after(async () => {
  await Promise.all(nodes.map(async n => { await n.stop() }))
  releaseWebRTC()
})

test(`${N} peers started at once all reach full membership`, async () => {
  await waitFor(() => peers.every(p => p.members().length === N), { timeout: 120_000, interval: 250, message: `full membership of ${N} peers (members per peer: see the failure)` })
    .catch((err: Error) => {
      // what a stuck peer looks like from both ends, for whoever reads the failure
      const pubsub = boot.libp2p.services.pubsub as unknown as { getScore: (id: string) => number, getSubscribers: (t: string) => Array<{ toString: () => string }> }
      const stuck = peers.filter(p => p.members().length < N).map(p => {
        const id = p.peerId.toString()
        return `${id.slice(-6)}: members ${p.members().length}, links ${p.links().map(l => l.transport).join('+')}, score at bootstrap ${pubsub.getScore(id).toFixed(1)}, bootstrap sees its subscription ${pubsub.getSubscribers(TOPOLOGY_TOPIC).some(s => s.toString() === id)}, it sees the bootstrap's ${p.libp2p.services.pubsub.getSubscribers(TOPOLOGY_TOPIC).some(s => s.toString() === boot.peerId.toString())}`
      })
      throw new Error(`${err.message}: ${peers.map(p => p.members().length).join(',')}; stuck: ${stuck.join('; ')}`)
    })
  // the gossipsub implementation behind the public interface exposes the score
  const pubsub = boot.libp2p.services.pubsub as unknown as { getScore: (id: string) => number }
  for (const p of peers) assert.ok(pubsub.getScore(p.peerId.toString()) >= 0, 'the bootstrap does not penalise co-located peers')
})

// Not asserted here: that every one of the 20 in-process peers reaches its target degree. On the
// shared 2-core machine (load average 7–15 while this was written) a few peers of a 20-peer
// in-process mesh still had no direct link after 4 minutes — WebRTC dials stall behind the one
// starved event loop or hang after ICE (docs/mesh.md, Known limits). The benchmark records the
// degree reached (bench/mesh.bench.ts, in-process and one process per peer); it is an open problem.
