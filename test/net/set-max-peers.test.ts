/**
 * `MeshNode.setMaxPeers`: the run-time setter a committed `mesh.maxPeers` ledger entry uses. Real
 * nodes (a bootstrap and 4 peers over WebSockets + WebRTC in this process): peers started with
 * maxPeers 1 dial no further once linked; after `setMaxPeers(3)` on each they reach the full mesh
 * (3 direct links each), which only the new target makes them dial for. (No wait for the first
 * links before raising: under a load of ~60 on 2 cores that precondition alone took over 60 s.) Bad values are the same
 * `ConfigError` as at start-up, and leave the config unchanged.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { MeshNode } from '../../core/net/index.ts'
import { directPeers, startRelayMesh, type RelayMesh } from '../_support/relay-mesh.ts'
import { waitFor } from '../_support/wait.ts'

let mesh: RelayMesh
let peers: MeshNode[] = []

before(async () => {
  mesh = await startRelayMesh(4, 1)
  peers = mesh.peers
})

after(async () => { await mesh?.stop() })

test('bad values are a ConfigError and change nothing', () => {
  for (const bad of [0, -1, 2.5, 257, Number.NaN, '6' as unknown as number]) {
    assert.throws(() => { peers[0].setMaxPeers(bad) }, { name: 'ConfigError' })
  }
  assert.equal(peers[0].config.maxPeers, 1)
  assert.ok(Object.isFrozen(peers[0].config))
})

test('raising maxPeers at run time makes every peer dial up to the full mesh', { timeout: 300_000 }, async () => {
  for (const p of peers) p.setMaxPeers(3)
  assert.ok(peers.every(p => p.config.maxPeers === 3))
  await waitFor(() => peers.every(p => directPeers(p).size === 3), {
    timeout: 240_000,
    message: () => `full mesh; links now ${peers.map(p => directPeers(p).size).join(',')}`
  })
})
