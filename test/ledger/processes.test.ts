/**
 * The ledger in real processes, the part that fits `npm test` (the 7-replica run with SIGKILLs,
 * restarts, removal and joins is processes.slow.test.ts; 4 replicas took 9 min here at load 41):
 * `novacron start` and a `novacron peer` with data dirs: the peer's join commits as pending (a single
 * replica admits joiners two at a time, core/ledger/admission.ts), so it follows as a follower; 30
 * notes submitted from both commit and every peer's
 * `novacron ledger status --json` shows the same head (and without flags it asks the running peer); `novacron config set mesh.maxPeers 6` is
 * committed and applied to every peer's MeshNode, `config set mesh.maxPeers -- -1` is refused with
 * the validator's typed error and nothing is submitted; 200 notes from a JSON Lines file
 * (`ledger submit --file`) commit in fewer decisions than entries and are in every log; `novacron ledger verify` on a stopped peer
 * checks its store, and after one record is tampered with it exits 1 naming that height.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Level } from 'level'
import type { LedgerStatus } from '../../core/ledger/types.ts'
import { heightKey } from '../../core/ledger/store-rules.ts'
import { decodeRecord, encodeRecord } from '../../node-runtime/ledger/record-codec.ts'
import { LedgerCluster } from '../_support/ledger-cluster.ts'
import { startCli } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

// one home for the cluster and the CLI calls, so a command without flags finds the running peers
const home = mkdtempSync(join(tmpdir(), 'novacron-ledger-home-'))

async function cli (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const p = startCli(args, { NOVACRON_HOME: home })
  const code = await p.exited
  return { code, stdout: p.stdout, stderr: p.stderr }
}

describe('ledger: start + 1 peer process', { timeout: 600_000 }, () => {
  const cluster = new LedgerCluster({ env: { NOVACRON_HOME: home } })

  before(async () => {
    await cluster.startBoot()
    await cluster.startPeer()
  })
  after(async () => {
    await cluster.stop()
    rmSync(home, { recursive: true, force: true })
  })

  test('the peer\'s join waits as pending; 30 notes from both peers commit; every CLI status shows the same head', async () => {
    const peers = cluster.live()
    await waitFor(async () => {
      const log = await cluster.op(peers[0], 'ledger.log', { from: 0, limit: 100 }) as Array<{ kind: string, author: string, summary: string }>
      return log.some(e => e.kind === 'join' && e.author === peers[1].peerId && /pending/.test(e.summary))
    }, { timeout: 120_000, interval: 250, message: "the peer's join committed as pending" })
    const results = await Promise.all(Array.from({ length: 30 }, async (_, i) => await cluster.submit(peers[i % peers.length], `note ${i}`)))
    assert.equal(new Set(results.map(r => `${r.slot}.${r.index}`)).size, 30)
    await cluster.waitSameHead(Math.max(...results.map(r => r.slot)))
    // the two CLI calls are two moments: a decision may land between them, so ask until they agree
    let statuses: LedgerStatus[] = []
    await waitFor(async () => {
      statuses = await Promise.all(peers.map(async p => {
        const r = await cli(['ledger', 'status', '--json', '--data-dir', p.dataDir])
        assert.equal(r.code, 0, r.stderr)
        return JSON.parse(r.stdout) as LedgerStatus
      }))
      return new Set(statuses.map(s => s.head)).size === 1
    }, { timeout: 60_000, interval: 250, message: () => `one head in every CLI status; now ${statuses.map(s => `${s.height}:${s.head.slice(0, 8)}`).join(' ')}` })
    assert.equal(statuses[0].replicas.length, 1, 'no epoch of 2: the second peer is a follower')
    assert.deepEqual(statuses.map(s => s.replica), [true, false])
    assert.deepEqual(statuses.map(s => s.admission?.pendingJoiner), [peers[1].peerId, peers[1].peerId], 'every status names the pending joiner')
    const text = await cli(['ledger', 'status', '--data-dir', peers[0].dataDir])
    assert.match(text.stdout, new RegExp(`pending joiner +${peers[1].peerId} \\(admitted with the next joiner\\)`), text.stdout)
    // without flags the CLI asks the running peer, as `issues` does, and names it on stderr
    const plain = await cli(['ledger', 'status', '--json'])
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stderr, /^novacron: using peer '\S+' \(pid \d+, /)
    assert.ok(peers.some(p => plain.stderr.includes(p.dataDir)), plain.stderr)
    assert.equal(typeof (JSON.parse(plain.stdout) as LedgerStatus).head, 'string')
    // a submit through the CLI prints its slot and latency
    const sub = await cli(['ledger', 'submit', '--kind', 'note', '--data', '{"text":"from the cli"}', '--json', '--data-dir', peers[1].dataDir])
    assert.equal(sub.code, 0, sub.stderr)
    const e = JSON.parse(sub.stdout) as { slot: number, latencyMs: number, kind: string }
    assert.equal(e.kind, 'note')
    assert.ok(e.slot > 0 && e.latencyMs >= 0)
    // a JSON Lines file through the CLI: every line commits, in few decisions, and is in the log
    const file = join(home, 'notes.jsonl')
    writeFileSync(file, Array.from({ length: 200 }, (_, i) => JSON.stringify({ text: `bulk ${i}` })).join('\n') + '\n\n')
    const bulk = await cli(['ledger', 'submit', '--file', file, '--json', '--data-dir', peers[1].dataDir])
    assert.equal(bulk.code, 0, bulk.stderr)
    const r = JSON.parse(bulk.stdout) as { entries: number, firstSlot: number, lastSlot: number, slots: number }
    assert.equal(r.entries, 200)
    assert.ok(r.slots < 200 && r.lastSlot >= r.firstSlot, `200 entries batched into ${r.slots} decisions`)
    let missing: string[] = []
    let seen = ''
    await waitFor(async () => {
      const log = await cli(['ledger', 'log', '--from', String(r.firstSlot), '--limit', '1000', '--json', '--data-dir', peers[0].dataDir])
      seen = `exit ${String(log.code)}: ${log.stdout.slice(0, 300)} ${log.stderr.slice(0, 300)}`
      const texts = new Set((JSON.parse(log.stdout) as Array<{ data: string }>).map(e => e.data))
      missing = Array.from({ length: 200 }, (_, i) => JSON.stringify({ text: `bulk ${i}` })).filter(t => !texts.has(t))
      return missing.length === 0
    }, { timeout: 60_000, interval: 500, message: () => `${missing.length} bulk notes missing from peer 0's log, e.g. ${missing[0]}; the log: ${seen}` })
  })

  test('config set mesh.maxPeers 6 is committed and applied on every peer; -1 is refused before submitting', async () => {
    const peers = cluster.live()
    const ok = await cli(['config', 'set', 'mesh.maxPeers', '6', '--json', '--data-dir', peers[1].dataDir])
    assert.equal(ok.code, 0, ok.stderr)
    const slot = (JSON.parse(ok.stdout) as { slot: number }).slot
    await waitFor(async () => {
      const applied = await Promise.all(peers.map(async p => await cluster.op(p, 'ledger.applied') as Record<string, unknown>))
      return applied.every(a => a['mesh.maxPeers.current'] === 6)
    }, { timeout: 60_000, message: 'mesh.maxPeers 6 applied on every peer' })
    for (const p of peers) assert.match(p.proc.stdout, new RegExp(`"event":"ledger:config","key":"mesh.maxPeers","value":6,"slot":${slot},"applied":true`))
    const get = await cli(['config', 'get', 'mesh.maxPeers', '--json', '--data-dir', peers[0].dataDir])
    assert.deepEqual(JSON.parse(get.stdout), { 'mesh.maxPeers': 6 })

    const height = (await cluster.statusOf(peers[0])).height
    const bad = await cli(['config', 'set', '--json', '--data-dir', peers[1].dataDir, 'mesh.maxPeers', '--', '-1'])
    assert.equal(bad.code, 1)
    // --json errors carry the error's name (docs/cli.md); the human line is the message alone
    assert.equal((JSON.parse(bad.stderr) as { error: { name: string } }).error.name, 'EntryRefusedError')
    const log = await cluster.op(peers[0], 'ledger.log', { from: height + 1, limit: 100 }) as Array<{ kind: string, data: string }>
    assert.ok(!log.some(e => e.kind === 'config' && e.data.includes('-1')), 'nothing was submitted')
  })

  test('ledger verify on a stopped peer checks its store; a tampered record exits 1 naming its height', async () => {
    const [boot, peer] = cluster.live()
    const running = await cli(['ledger', 'verify', '--json', '--data-dir', peer.dataDir])
    assert.equal(running.code, 0, running.stderr)
    const online = JSON.parse(running.stdout) as { height: number, head: string }
    assert.equal((await cluster.statusOf(boot)).admission?.pendingJoiner, peer.peerId)
    assert.equal(await peer.proc.stop(), 0)
    // a graceful stop withdraws the pending join (a `leave`), so the next joiner is not admitted with a peer that is gone
    let pending: string | undefined = peer.peerId
    await waitFor(async () => { pending = (await cluster.statusOf(boot)).admission?.pendingJoiner; return pending === undefined },
      { timeout: 30_000, interval: 250, message: () => `the stopped peer's pending join withdrawn; the boot still names ${String(pending)}` })
    const left = await cluster.op(boot, 'ledger.log', { from: online.height, limit: 1000 }) as Array<{ kind: string, author: string, summary: string }>
    assert.ok(left.some(e => e.kind === 'leave' && e.author === peer.peerId && /pending join withdrawn/.test(e.summary)), JSON.stringify(left.slice(-3)))
    const offline = await cli(['ledger', 'verify', '--json', '--data-dir', peer.dataDir])
    assert.equal(offline.code, 0, offline.stderr)
    const v = JSON.parse(offline.stdout) as { height: number, head: string, genesisFrom: string }
    assert.ok(v.height >= online.height)
    assert.equal(v.genesisFrom, 'data-dir')
    // flip one byte of block 3's certificate-covered value behind the store's back
    const db = new Level<Uint8Array, Uint8Array>(join(peer.dataDir, 'ledger'), { keyEncoding: 'view', valueEncoding: 'view' })
    const blocks = db.sublevel('b', { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as { get: (k: Uint8Array) => Promise<Uint8Array>, put: (k: Uint8Array, v: Uint8Array) => Promise<void> }
    const r = decodeRecord(await blocks.get(heightKey(3)))
    r.block[r.block.length - 1] ^= 1
    await blocks.put(heightKey(3), encodeRecord(r))
    await db.close()
    const tampered = await cli(['ledger', 'verify', '--json', '--data-dir', peer.dataDir])
    assert.equal(tampered.code, 1)
    const err = (JSON.parse(tampered.stderr) as { error: { name: string, message: string } }).error
    assert.equal(err.name, 'LedgerVerifyError')
    assert.match(err.message, /height 3/)
  })
})
