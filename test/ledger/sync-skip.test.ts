/**
 * The periodic sync pull is left out while a replica keeps deciding (core/ledger/ledger-node.ts):
 * a synced replica whose own instance decided a slot within `syncIntervalMs` is at the mesh's
 * head, and a pull would only open a stream to learn that (at n = 16, 7–9 pulls per decision).
 * Over the in-memory network, seeded, 4 replicas: while notes are decided one after another, the
 * replicas skip their periodic pulls (counted, `frames.syncSkips`): at most one pull in 4 rounds; once
 * the ledger idles, the pulls come back (they are the safety net for missed gossip).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { waitFor } from '../_support/wait.ts'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

const net = new MemNet(43)
before(async () => { await ready() })
after(async () => { await net.stopAll() })

const counts = (peers: MemPeer[]): Array<{ pulls: number, skips: number }> => peers.map(p => ({ pulls: p.node.status().frames?.syncPulls ?? 0, skips: p.node.status().frames?.syncSkips ?? 0 }))

test('replicas that keep deciding skip the periodic pull; idle, they pull again', { timeout: 120_000 }, async () => {
  const key = await seededKey('sync skip genesis')
  const init = { genesisPeerId: peerIdFromPrivateKey(key).toString(), removeAfterMs: 600_000, syncIntervalMs: 500 }
  const peers = [await net.add('sync skip genesis', init, { key })]
  for (let i = 1; i < 4; i++) peers.push(await net.add(`sync skip ${i}`, init))
  await waitFor(() => peers.every(p => p.node.status().replica && p.node.status().replicas.length === 4 && p.node.synced), { timeout: 60_000, message: 'four synced replicas' })

  // deciding: notes one at a time until every replica has been through 4 periodic rounds (pulled or
  // skipped; maintain() runs about once a second, so how many fall in a fixed time varies)
  const c0 = counts(peers)
  const delta = (): Array<{ pulls: number, skips: number }> => counts(peers).map((c, i) => ({ pulls: c.pulls - c0[i].pulls, skips: c.skips - c0[i].skips }))
  const deadline = Date.now() + 60_000
  for (let i = 0; !delta().every(c => c.pulls + c.skips >= 4); i++) {
    assert.ok(Date.now() < deadline, `4 periodic rounds on every replica within 60 s: ${JSON.stringify(delta())}`)
    await peers[i % 4].node.submit({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ i })) }, { timeoutMs: 30_000 })
  }
  const c1 = counts(peers)
  const busy = delta()
  // the first round may come before the replica's first decision of the loop: at most one pull
  assert.ok(busy.every(c => c.pulls <= 1 && c.skips >= 3), `every replica skipped its periodic pulls while deciding: ${JSON.stringify(busy)}`)

  // idle: nothing decided for more than syncIntervalMs, so the pulls come back
  await waitFor(() => counts(peers).every((c, i) => c.pulls >= c1[i].pulls + 2), { timeout: 30_000, message: () => `idle replicas pull again: ${JSON.stringify(counts(peers))}` })
})
