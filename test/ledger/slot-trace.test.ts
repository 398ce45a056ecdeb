/**
 * The slot timeline's source (core/ledger/slot-trace.ts) and its reader (bench/_slot-phases.ts):
 * 4 in-memory ProBFT replicas on the discrete-event clock, each traced; for a decided slot every
 * replica's steps come in the protocol's order (proposal in or out before its PREPARE, its COMMIT
 * after q − 1 PREPAREs of others, its decision after q − 1 COMMITs), the leader alone sent the
 * PROPOSE, votes went to the VRF sample, and `slotRows` lines the replicas up in the same order.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { SlotStep } from '../../core/ledger/slot-trace.ts'
import { slotRows, type TraceLine } from '../../bench/_slot-phases.ts'
import { EventClock } from './_event-clock.ts'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

test('every replica\'s steps of a decided slot, in order; slotRows lines them up', { timeout: 60_000 }, async () => {
  await ready()
  const clock = new EventClock()
  const net = new MemNet(31, 3, clock)
  const lines: TraceLine[] = []
  const traced = (peer: string) => (s: number, v: number, k: SlotStep, r?: number): void => { lines.push({ peer, s, v, k, t: clock.now(), ...(r != null ? { r } : {}) }) }
  const peers: MemPeer[] = []
  try {
    const key = await seededKey('trace genesis')
    const init = { genesisPeerId: peerIdFromPrivateKey(key).toString(), syncIntervalMs: 500 }
    peers.push(await clock.settled(net.add('trace genesis', init, { key, trace: traced('p0') })))
    for (let i = 1; i < 4; i++) peers.push(await clock.settled(net.add(`trace ${i}`, init, { trace: traced(`p${i}`) })))
    await clock.until(() => peers.every(p => p.node.status().replicas.length === 4 && p.node.status().replica), 60_000, '4 replicas')
    const { quorum, sampleSize } = peers[0].node.status()
    const c = await clock.settled(peers[2].node.submit({ kind: 'note', data: new TextEncoder().encode('{"traced":1}') }))
    await clock.until(() => peers.every(p => p.node.status().height >= c.slot), 30_000, 'every replica decided')
    const at = lines.filter(l => l.s === c.slot)
    const first = (peer: string, k: SlotStep): number | undefined => at.find(l => l.peer === peer && l.k === k)?.t
    const leaders = new Set(at.filter(l => l.k === 'proposeOut').map(l => l.peer))
    assert.equal(leaders.size, 1, 'one leader proposed')
    for (const peer of ['p0', 'p1', 'p2', 'p3']) {
      const decided = first(peer, 'decided')
      const commitOut = first(peer, 'commitOut')
      const prepareOut = first(peer, 'prepareOut')
      assert.ok(decided != null && commitOut != null && prepareOut != null, `${peer}: ${JSON.stringify(at.filter(l => l.peer === peer))}`)
      const proposal = leaders.has(peer) ? first(peer, 'proposeOut') : first(peer, 'proposeIn')
      assert.ok(proposal != null && proposal <= prepareOut && prepareOut <= commitOut && commitOut <= decided, `${peer} in order`)
      const steps = at.filter(l => l.peer === peer).map(l => l.k)
      // q PREPAREs (its own among them) before its COMMIT, q COMMITs before its decision (or a DECISION)
      assert.ok(steps.slice(0, steps.indexOf('commitOut')).filter(k => k === 'prepareIn').length >= quorum - 1, `${peer}: ${steps.join(' ')}`)
      assert.ok(steps.slice(0, steps.indexOf('decided')).filter(k => k === 'commitIn').length >= quorum - 1 || steps.includes('decisionIn'), `${peer}: ${steps.join(' ')}`)
      for (const l of at.filter(l => l.peer === peer && (l.k === 'prepareOut' || l.k === 'commitOut'))) assert.equal(l.r, sampleSize, 'votes go to the sample')
    }
    const [row] = slotRows(lines, [c.slot], new Map(), quorum)
    assert.equal(row.replicas, 4)
    const m = row.median
    assert.ok(m.proposeIn != null && m.commitOut != null && m.decided != null && m.quorumPrepareIn != null)
    assert.ok(m.proposeIn <= m.commitOut && m.quorumPrepareIn <= m.commitOut && m.commitOut <= m.decided, JSON.stringify(row))
  } finally {
    await net.stopAll()
  }
})
