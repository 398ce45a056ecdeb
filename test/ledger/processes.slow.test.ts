/**
 * The ledger across real processes (issue 15's Node test): `novacron start` (the genesis replica)
 * and 6 `novacron peer`s, each with a data dir, become 7 replicas (f = 2); 200 entries submitted
 * from every peer commit, and every peer's `novacron ledger status --json` shows the same head;
 * 2 peers SIGKILLed: the other 5 keep committing; one restarted from its data dir catches up to the
 * same head and `ledger verify` checks its store; the other, still dead, is removed at an epoch
 * boundary; a new peer joins and becomes a replica at an epoch boundary.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { LedgerStatus } from '../../core/ledger/types.ts'
import type { EntryJson } from '../../node-runtime/ledger/ops.ts'
import { LedgerCluster, type ClusterPeer } from '../_support/ledger-cluster.ts'
import { startCli } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

async function cliStatus (dataDir: string): Promise<LedgerStatus> {
  const p = startCli(['ledger', 'status', '--json', '--data-dir', dataDir])
  const code = await p.exited
  assert.equal(code, 0, p.stderr)
  return JSON.parse(p.stdout) as LedgerStatus
}

describe('ledger: 7 replica processes', { timeout: 900_000 }, () => {
  const cluster = new LedgerCluster()
  let killed: ClusterPeer[] = []

  before(async () => {
    await cluster.startBoot()
    for (let i = 0; i < 6; i++) await cluster.startPeer()
  })
  after(async () => { await cluster.stop() })

  test('7 replicas commit 200 entries submitted from every peer; every CLI status shows one head', async () => {
    const statuses = await cluster.waitReplicas(7)
    assert.equal(statuses[0].f, 2)
    const peers = cluster.live()
    const results = await Promise.all(Array.from({ length: 200 }, async (_, i) => await cluster.submit(peers[i % peers.length], `entry ${i}`)))
    const slots = new Set(results.map(r => `${r.slot}.${r.index}`))
    assert.equal(slots.size, 200, 'each entry has its own place in the log')
    const height = Math.max(...results.map(r => r.slot))
    const [agreed] = await cluster.waitSameHead(height)
    // the user's view: `novacron ledger status --json` on every peer shows one head (a block committed
    // between two of these calls, e.g. a membership entry, moves some heads: ask again, with a deadline)
    let viaCli: LedgerStatus[] = []
    await waitFor(async () => {
      viaCli = await Promise.all(peers.map(async p => await cliStatus(p.dataDir)))
      return new Set(viaCli.map(s => `${s.height}:${s.head}`)).size === 1
    }, { timeout: 60_000, interval: 500, message: () => `one head in every CLI status; now ${viaCli.map(s => `${s.height}:${s.head.slice(0, 8)}`).join(' ')}` })
    // the log has them all, in one order, on every peer (what was committed; commit times are local)
    const logs = await Promise.all(peers.map(async p => {
      const log = await cluster.op(p, 'ledger.log', { from: 0, limit: 1000 }) as EntryJson[]
      return JSON.stringify(log.filter(e => e.slot <= agreed.height).map(e => [e.slot, e.index, e.epoch, e.kind, e.author, e.data, e.applied]))
    }))
    assert.equal(new Set(logs).size, 1)
    const notes = JSON.parse(logs[0]) as Array<[number, number, number, string, string, string]>
    for (let i = 0; i < 200; i++) assert.ok(notes.some(e => e[3] === 'note' && e[5] === JSON.stringify({ text: `entry ${i}` })), `entry ${i} in the log`)
  })

  test('2 peers SIGKILLed: the other 5 keep committing', async () => {
    killed = cluster.live().filter(p => p.name !== 'boot').slice(-2)
    for (const p of killed) await cluster.kill(p)
    const rest = cluster.live()
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => await cluster.submit(rest[i % rest.length], `after kill ${i}`)))
    await cluster.waitSameHead(Math.max(...results.map(r => r.slot)), rest)
  })

  test('one restarted from its data dir catches up to the same head; ledger verify checks its store', async () => {
    const back = await cluster.startPeer({}, killed[0])
    const target = (await cluster.statusOf(cluster.peers[0])).height
    const [s] = await cluster.waitSameHead(target, [cluster.peers[0], back])
    const verify = startCli(['ledger', 'verify', '--json', '--data-dir', back.dataDir])
    assert.equal(await verify.exited, 0, verify.stderr)
    const v = JSON.parse(verify.stdout) as { height: number, head: string }
    assert.ok(v.height >= s.height - 1)
  })

  test('the peer still dead is removed at an epoch boundary', async () => {
    const dead = killed[1].peerId
    const boot = cluster.peers[0]
    const s = await waitFor(async () => {
      const st = await cluster.statusOf(boot)
      return st.replicas.every(r => r.peerId !== dead) ? st : null
    }, { timeout: 120_000, interval: 500, message: 'the dead peer removed' })
    const log = await cluster.op(boot, 'ledger.log', { from: 0, limit: 1000 }) as Array<{ kind: string, slot: number, data: string }>
    const removal = log.filter(e => e.kind === 'remove' && e.slot < s.epochStart).at(-1)
    assert.ok(removal != null, 'a remove entry was committed before the epoch began')
    assert.ok(s.epochStart > removal.slot, 'the new epoch starts after the slot that removed it')
  })

  test('a new peer joins and becomes a replica at an epoch boundary', async () => {
    const before = await cluster.statusOf(cluster.peers[0])
    const fresh = await cluster.startPeer()
    const s = await waitFor(async () => {
      const st = await cluster.statusOf(cluster.peers[0])
      return st.replicas.some(r => r.peerId === fresh.peerId) ? st : null
    }, { timeout: 120_000, interval: 500, message: 'the new peer a replica' })
    assert.ok(s.epoch > before.epoch)
    const info = s.replicas.find(r => r.peerId === fresh.peerId)
    assert.ok(info != null && info.since >= before.height && info.since < s.epochStart, `since ${info?.since}, epoch starts ${s.epochStart}`)
  })
})
