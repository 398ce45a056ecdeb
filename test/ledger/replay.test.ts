/**
 * A restarted peer re-announces its stored log: the ledger replays (and re-verifies) the store at
 * start and emits each block's `commit` and `config` events again with `replayed: true`, in order,
 * before anything new commits — so state built from those events (jobs, the mesh settings) is
 * rebuilt on a restarted peer. One genesis replica over the in-memory network.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { LedgerNode } from '../../core/ledger/ledger-node.ts'
import { MemoryStore } from '../../core/ledger/memory-store.ts'
import { writeConfig } from '../../core/ledger/entries.ts'
import type { CommittedEntry } from '../../core/ledger/types.ts'
import { MemNet, quorumMath, ready, seededKey } from './_memnet.ts'

const net = new MemNet(11)
before(async () => { await ready() })
after(async () => { await net.stopAll() })

test('a restarted ledger replays its store as commit and config events, in order, marked replayed', { timeout: 60_000 }, async () => {
  const key = await seededKey('replay genesis')
  const id = peerIdFromPrivateKey(key).toString()
  const store = new MemoryStore()
  const first = await net.add('replay genesis', { genesisPeerId: id }, { key, store })
  const submitted: CommittedEntry[] = []
  for (let i = 0; i < 5; i++) submitted.push(await first.node.submit({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ text: `n${i}` })) }))
  submitted.push(await first.node.submit({ kind: 'config', data: writeConfig({ key: 'mesh.maxPeers', value: 9 }) }))
  first.node.init.leaveOnStop = false
  await first.node.stop()

  const again = new LedgerNode({ genesisPeerId: id }, { transport: net.transport(id), privateKey: key, store, quorumMath })
  const commits: Array<{ height: number, entries: CommittedEntry[], replayed?: boolean }> = []
  const configs: Array<{ key: string, value: unknown, slot: number, replayed?: boolean }> = []
  again.addEventListener('commit', e => { commits.push(e.detail) })
  again.addEventListener('config', e => { configs.push(e.detail) })
  await again.start()
  try {
    assert.ok(commits.length > 0 && commits.every(c => c.replayed === true), 'replayed events, all marked')
    assert.deepEqual(commits.map(c => c.height), [...commits.map(c => c.height)].sort((a, b) => a - b), 'in height order')
    const replayed = commits.flatMap(c => c.entries)
    for (const s of submitted) {
      const r = replayed.find(e => e.slot === s.slot && e.index === s.index)
      assert.ok(r != null, `slot ${s.slot} #${s.index} replayed`)
      assert.equal(r.kind, s.kind)
      assert.deepEqual(r.data, s.data)
      assert.equal(r.applied, true)
    }
    assert.deepEqual(configs.map(c => [c.key, c.value, c.replayed]), [['mesh.maxPeers', 9, true]])
    assert.equal(configs[0].slot, submitted[5].slot)
  } finally {
    again.init.leaveOnStop = false
    await again.stop()
  }
})
