/**
 * Byzantine peers in real processes: 7 replicas (f = 2), 2 of them started in a test-only hostile
 * mode (NOVACRON_TEST=1 + NOVACRON_LEDGER_HOSTILE, see docs/ledger.md) — one per mode below.
 * Entries keep committing, and no two honest peers ever hold different entries at a slot (their
 * logs agree on every slot both have); the honest peers count the hostile frames as rejected.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { LedgerCluster, type ClusterPeer } from '../_support/ledger-cluster.ts'

const MODES = (process.env.LEDGER_HOSTILE_MODES ?? 'garbage,flood').split(',')

describe(`ledger: 7 replica processes, 2 hostile (${MODES.join(', ')})`, { timeout: 900_000 }, () => {
  const cluster = new LedgerCluster()
  let honest: ClusterPeer[] = []

  before(async () => {
    await cluster.startBoot()
    for (let i = 0; i < 4; i++) honest.push(await cluster.startPeer())
    for (const mode of MODES.slice(0, 2)) await cluster.startPeer({ NOVACRON_LEDGER_HOSTILE: mode })
    honest = [cluster.peers[0], ...honest]
  })
  after(async () => { await cluster.stop() })

  test('commits continue and honest peers agree on every slot', async () => {
    await cluster.waitReplicas(7, honest, 300_000)
    const results = await Promise.all(Array.from({ length: 60 }, async (_, i) => await cluster.submit(honest[i % honest.length], `under attack ${i}`)))
    await cluster.waitSameHead(Math.max(...results.map(r => r.slot)), honest)
    const logs = await Promise.all(honest.map(async p => await cluster.op(p, 'ledger.log', { from: 0, limit: 1000 }) as Array<{ slot: number, index: number, author: string, data: string }>))
    const bySlot = new Map<string, string>()
    for (const log of logs) {
      for (const e of log) {
        const key = `${e.slot}.${e.index}`
        const value = `${e.author}:${e.data}`
        const seen = bySlot.get(key)
        assert.ok(seen == null || seen === value, `slot ${key} differs between honest peers`)
        bySlot.set(key, value)
      }
    }
    const rejected = await Promise.all(honest.map(async p => (await cluster.statusOf(p)).rejected))
    const total = rejected.reduce((a, r) => a + Object.values(r).reduce((x, y) => x + y, 0), 0)
    assert.ok(total > 0, 'hostile frames were counted as rejected')
  })
})
