/**
 * The ledger topic behind MeshGuard (core/net/mesh-guard.ts), as the state and learning topics: a
 * gossiped record is checked before gossipsub delivers or forwards it, and a peer that sends records
 * that do not decode or do not verify is Rejected — counted in
 * `novacron_rejected_messages_total{protocol="novacron/ledger/1"}`, a strike, and a lower gossipsub
 * score (P4). Stale records are Ignored: dropped, nobody penalised.
 * - Verdicts of `LedgerNode.onRecord` (in memory): a committed record again → ignore; bytes that do not
 *   decode → malformed; a real record moved to the next height (its certificate is for another
 *   slot) → forged; one beyond our height → ignore (not checkable yet).
 * - Live: a genesis ledger on a real MeshNode and a stock libp2p node (test/_support/stock-node.ts)
 *   subscribed to the topic; the stock node publishes garbage and a forged record.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createMeshNode, type MeshNode } from '../../core/net/index.ts'
import { createLedger, LEDGER_TOPIC, MemoryStore, type LedgerService } from '../../core/ledger/index.ts'
import { readRecord, writeRecord } from '../../core/ledger/codec.ts'
import type { BlockRecord } from '../../core/ledger/types.ts'
import { createStockNode, type StockNode } from '../_support/stock-node.ts'
import { waitFor } from '../_support/wait.ts'
import { MemNet, quorumMath, ready, seededKey, type MemPeer } from './_memnet.ts'

const note = (i: number): { kind: string, data: Uint8Array } => ({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ i })) })

async function recordAt (store: MemoryStore, height: number): Promise<BlockRecord> {
  const r = await store.get(height)
  assert.ok(r != null, `record ${height}`)
  return r
}

describe('verdicts on gossiped records (in memory)', () => {
  const net = new MemNet(21)
  let a: MemPeer
  before(async () => {
    await ready()
    const key = await seededKey('guard genesis')
    a = await net.add('guard genesis', { genesisPeerId: peerIdFromPrivateKey(key).toString() }, { key })
  })
  after(async () => { await net.stopAll() })

  test('stale → ignore, garbage → malformed, a record at the wrong height → forged, beyond our height → ignore', async () => {
    await a.node.submit(note(1))
    await a.node.submit(note(2))
    const h = a.node.status().height
    const r = await recordAt(a.store, h)
    assert.equal(await a.node.onRecord(a.id, writeRecord(r)), 'ignore')
    assert.equal(await a.node.onRecord(a.id, Uint8Array.of(1, 2, 3)), 'malformed')
    assert.equal(await a.node.onRecord(a.id, writeRecord({ ...r, height: h + 1 })), 'forged')
    assert.equal(await a.node.onRecord(a.id, writeRecord({ ...r, height: h + 5 })), 'ignore')
    assert.equal(a.node.status().height, h)
  })
})

describe('the ledger topic is P4-scored (live)', () => {
  let boot: MeshNode
  let ledger: LedgerService
  let store: MemoryStore
  let attacker: StockNode
  const rejected = (reason: string): number => boot.metrics.get('novacron_rejected_messages_total')?.get({ protocol: LEDGER_TOPIC, reason }) ?? 0
  const score = (): number => boot.metrics.get('novacron_peer_score')?.snapshot().samples.find(s => s.labels.peer === attacker.peerId.toString())?.value ?? 0

  before(async () => {
    await ready()
    const key = await generateKeyPair('Ed25519')
    boot = await createMeshNode({ role: 'bootstrap', privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0/ws'], strikeLimit: 50 })
    await boot.start()
    store = new MemoryStore()
    ledger = createLedger({ genesisPeerId: boot.peerId.toString(), leaveOnStop: false }, { mesh: boot, privateKey: key, store, quorumMath })
    await ledger.start()
    attacker = await createStockNode()
    await attacker.start()
    attacker.services.pubsub.subscribe(LEDGER_TOPIC)
    await attacker.dial(multiaddr(boot.getMultiaddrs()[0]))
    await waitFor(() => boot.libp2p.services.pubsub.getSubscribers(LEDGER_TOPIC).some(p => p.equals(attacker.peerId)) &&
      attacker.services.pubsub.getSubscribers(LEDGER_TOPIC).some(p => p.equals(boot.peerId)), { timeout: 60_000, message: 'subscriptions exchanged' })
  })

  after(async () => {
    await attacker?.stop()
    await ledger?.stop()
    await boot?.stop()
  })

  test('garbage and forged records are rejected, counted, and lower the sender\'s gossipsub score', { timeout: 120_000 }, async () => {
    await ledger.submit(note(1))
    const h = ledger.status().height
    const real = await recordAt(store, h)
    assert.deepEqual(readRecord(writeRecord(real)).head, real.head)
    const malformed0 = rejected('malformed')
    const forged0 = rejected('forged')
    await attacker.services.pubsub.publish(LEDGER_TOPIC, Uint8Array.of(0xff, 0xff, 1))
    await attacker.services.pubsub.publish(LEDGER_TOPIC, writeRecord({ ...real, height: h + 1 }))
    await attacker.services.pubsub.publish(LEDGER_TOPIC, writeRecord({ ...real, height: h + 1, head: new Uint8Array(32).fill(9) }))
    await waitFor(() => rejected('malformed') >= malformed0 + 1 && rejected('forged') >= forged0 + 2, {
      timeout: 60_000, message: () => `rejections counted (malformed ${rejected('malformed')}, forged ${rejected('forged')})`
    })
    await waitFor(() => score() < 0, { timeout: 60_000, message: () => `attacker score below 0 (now ${score()})` })
    assert.equal(ledger.status().height, h, 'nothing forged was applied')
    assert.ok((ledger.status().rejected.badRecord ?? 0) >= 3)
  })
})
