/**
 * Byzantine peers in real processes: 7 replicas (f = 2), 2 of them started in a test-only hostile
 * mode (NOVACRON_TEST=1 + NOVACRON_LEDGER_HOSTILE, see docs/ledger.md and core/ledger/hostile.ts,
 * the simulator's strategies). Three meshes cover the five modes two at a time: an equivocating
 * leader with conflicting votes, forged VRF proofs with garbage frames, vote flooding with forged
 * VRF. In each, entries submitted from honest peers keep committing, each within a bounded time
 * (its submit timeout), no two honest peers ever hold different entries at a slot (their logs agree
 * on every slot both have), and the honest peers count the hostile frames as rejected (or, for an
 * equivocating leader that was caught, committed the evidence and refuse its re-join). A fourth
 * mesh has two mute replicas (no proposal, no vote, probes answered): started once the 5 honest
 * peers are replicas, and what is checked of them is that honest replicas left their views (view
 * changes or leader skips). Their removal for not voting (16 decisions and 30 s by default:
 * vote-lapse.ts) is tested in memory (byzantine.test.ts, vote-lapse.test.ts); here the 60 entries
 * may commit in fewer decisions than that.
 * LEDGER_HOSTILE_MODES=a,b runs one mesh with those two modes instead.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { EntryJson } from '../../node-runtime/ledger/ops.ts'
import { LedgerCluster, type ClusterPeer } from '../_support/ledger-cluster.ts'
import { waitFor } from '../_support/wait.ts'

const PAIRS = process.env.LEDGER_HOSTILE_MODES != null
  ? [process.env.LEDGER_HOSTILE_MODES.split(',').slice(0, 2)]
  : [['equivocate', 'conflicting-votes'], ['forged-vrf', 'garbage'], ['flood', 'forged-vrf'], ['mute', 'mute']]
/** the bound on "commits resume": every honest entry commits within this after its submission */
const COMMIT_BOUND_MS = 90_000

for (const modes of PAIRS) {
  describe(`ledger: 7 replica processes, 2 hostile (${modes.join(', ')})`, { timeout: 900_000 }, () => {
    const cluster = new LedgerCluster()
    let honest: ClusterPeer[] = []
    let hostile: ClusterPeer[] = []

    before(async () => {
      await cluster.startBoot()
      for (let i = 0; i < 4; i++) honest.push(await cluster.startPeer())
      if (modes.includes('mute')) await cluster.waitReplicas(5, cluster.live(), 300_000)
      for (const mode of modes) hostile.push(await cluster.startPeer({ NOVACRON_LEDGER_HOSTILE: mode }))
      honest = [cluster.peers[0], ...honest]
    })
    after(async () => { await cluster.stop() })

    test('commits continue within a bound and honest peers agree on every slot', async () => {
      // the 5 honest peers are replicas of one epoch, and both hostile peers were admitted (joined)
      const log = async (p: ClusterPeer): Promise<EntryJson[]> => await cluster.op(p, 'ledger.log', { from: 0, limit: 1000 }) as EntryJson[]
      await waitFor(async () => {
        const st = await Promise.all(honest.map(async p => await cluster.statusOf(p)))
        if (new Set(st.map(s => s.epoch)).size !== 1 || !honest.every(h => st[0].replicas.some(r => r.peerId === h.peerId))) return false
        const joined = (await log(honest[0])).filter(e => e.kind === 'join' && e.applied).map(e => e.author)
        return hostile.every(h => joined.includes(h.peerId))
      }, { timeout: 300_000, interval: 500, message: 'honest replicas of one epoch, hostile peers admitted' })
      const results = await Promise.all(Array.from({ length: 60 }, async (_, i) => await cluster.submit(honest[i % honest.length], `under attack ${i}`, COMMIT_BOUND_MS)))
      assert.equal(new Set(results.map(r => `${r.slot}.${r.index}`)).size, 60)
      await cluster.waitSameHead(Math.max(...results.map(r => r.slot)), honest)
      const logs = await Promise.all(honest.map(log))
      const bySlot = new Map<string, string>()
      for (const l of logs) {
        for (const e of l) {
          const key = `${e.slot}.${e.index}`
          const value = `${e.kind}:${e.author}:${e.data}`
          const seen = bySlot.get(key)
          assert.ok(seen == null || seen === value, `slot ${key} differs between honest peers`)
          bySlot.set(key, value)
        }
      }
      const statuses = await Promise.all(honest.map(async p => await cluster.statusOf(p)))
      const total = statuses.reduce((a, s) => a + Object.values(s.rejected).reduce((x, y) => x + y, 0), 0)
      const evidence = logs[0].filter(e => e.kind === 'evidence' && e.applied)
      console.log(`# ${modes.join('+')}: rejected ${JSON.stringify(statuses[0].rejected)} at ${honest[0].name}, ${evidence.length} evidence entries, epoch ${statuses[0].epoch}, ${statuses[0].replicas.length} replicas`)
      if (modes.every(m => m === 'mute')) {
        // they send nothing to reject: what shows is that honest replicas left the views they led
        const left = statuses.reduce((a, s) => a + (s.timing?.viewChanges ?? 0) + (s.timing?.leaderSkips ?? 0), 0)
        console.log(`# mute: views left by the honest replicas ${left}`)
        assert.ok(left > 0, 'honest replicas left a mute leader\'s views')
      } else assert.ok(total > 0 || evidence.length > 0, 'hostile frames were counted as rejected (or equivocation evidence committed)')
      // an equivocator caught is out for good (its re-join is refused)
      for (const h of hostile) {
        if (evidence.some(e => e.summary.includes(h.peerId.slice(-6)))) assert.ok(!statuses[0].replicas.some(r => r.peerId === h.peerId), `${h.name}, caught equivocating, is no replica`)
      }
    })
  })
}
