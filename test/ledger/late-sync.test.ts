/**
 * Late peers get the chain when the genesis peer does not answer (issue 15, n = 32: peers started
 * 6–9 minutes after genesis sat at height −1, with no genesis). Over the in-memory network, seeded:
 * a genesis peer and two replicas commit a few notes; then the genesis peer's sync answers stop
 * (an overloaded bootstrap: its requests time out) while its links and gossip stay up, as a busy
 * bootstrap's do. Three late followers start: L3 is linked to the genesis peer, one replica and the
 * other two late peers; L1 and L2 only to the genesis peer and the late peers. Before the fix a peer
 * without a genesis asked only the genesis peer (whenever it was linked), once per sync interval:
 * none of the three ever got the chain. Now a pull tries other linked peers in turn (peers that
 * gossiped a record first), so L3 gets it from the replica and L1 and L2 from L3, behind it.
 *
 * Second test (n = 32: replicas closed late peers' inbound links, so late peers were linked only to
 * each other and the busy bootstrap): late followers with no link to any replica, only to the muted
 * genesis peer and each other, while gossip from the replicas still reaches them through the mesh.
 * Before the fix a pull asked linked peers only: none got the chain. Now a peer without a genesis
 * also asks the holders it heard gossip from, dialling them (`syncDials`).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { waitFor } from '../_support/wait.ts'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

const net = new MemNet(32)
const note = (i: number): { kind: string, data: Uint8Array } => ({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ late: i })) })

before(async () => { await ready() })
after(async () => { await net.stopAll() })

test('late followers behind other late peers reach the head while the genesis peer does not answer sync', { timeout: 120_000 }, async () => {
  const key = await seededKey('late genesis')
  const gid = peerIdFromPrivateKey(key).toString()
  const init = { genesisPeerId: gid, removeAfterMs: 600_000, syncIntervalMs: 1000 }
  const genesis = await net.add('late genesis', init, { key })
  const early = [genesis, await net.add('late replica a', init), await net.add('late replica b', init)]
  const show = (ps: MemPeer[]): string => ps.map(p => { const s = p.node.status(); return `${p.id.slice(-4)} e${s.epoch} h${s.height} n${s.replicas.length} pulls ${s.frames?.syncPulls}` }).join('; ')
  await waitFor(() => early.every(p => p.node.status().replica && p.node.status().replicas.length === 3), { timeout: 60_000, message: () => show(early) })
  for (let i = 0; i < 3; i++) await early[i].node.submit(note(i), { timeoutMs: 30_000 })
  const [, a, b] = early

  net.syncMuted.add(genesis.id)
  const lateIds = await Promise.all(['late 1', 'late 2', 'late 3'].map(async s => peerIdFromPrivateKey(await seededKey(s)).toString()))
  const [l1, l2, l3] = lateIds
  // L1 and L2: only the genesis peer and the late peers; L3: also replica a
  for (const l of [l1, l2]) for (const r of [a.id, b.id]) net.cut.add(`${l}>${r}`)
  net.cut.add(`${l3}>${b.id}`)
  const late = [await net.add('late 1', { ...init, join: false }), await net.add('late 2', { ...init, join: false }), await net.add('late 3', { ...init, join: false })]
  assert.deepEqual(late.map(p => p.id), lateIds)

  // the head moves on while they catch up (gossip reaches them from the publisher only when linked)
  await early[1].node.submit(note(3), { timeoutMs: 30_000 })
  const all = [...early, ...late]
  await waitFor(() => {
    const heads = new Set(all.map(p => `${p.node.status().height}:${p.node.status().head}`))
    return heads.size === 1 && late.every(p => p.node.status().height >= 0)
  }, { timeout: 60_000, interval: 100, message: () => show(all) })
  // the genesis peer answered none of their pulls, and L1/L2 reach nobody with the chain but L3 (and the genesis peer)
  assert.equal(genesis.node.status().height, late[0].node.status().height)
  for (const p of late) assert.equal(p.node.status().replica, false)
})

test('late followers linked to no replica dial a chain holder they heard gossip from', { timeout: 120_000 }, async () => {
  const net2 = new MemNet(33)
  try {
    const { init, early } = await threeReplicas(net2, 'unlinked')
    await early[1].node.submit(note(10), { timeoutMs: 30_000 })
    const late = await lateBehindMutedGenesis(net2, ['unlinked late 1', 'unlinked late 2'], init, early)
    // new records are gossiped (by each slot's leader) while they wait: they learn who holds the
    // chain. Three slots in a row, so a replica other than the genesis peer leads at least one
    for (let i = 0; i < 3; i++) await early[1 + (i % 2)].node.submit(note(11 + i), { timeoutMs: 30_000 })
    const all = [...early, ...late]
    await waitFor(() => {
      const heads = new Set(all.map(p => `${p.node.status().height}:${p.node.status().head}`))
      return heads.size === 1 && late.every(p => p.node.status().height >= 0)
    }, { timeout: 60_000, interval: 100, message: () => show(all) })
    // the chain came over a link the pull dialled (the muted genesis peer answered nothing)
    assert.ok(late.some(p => (p.node.status().frames?.syncDials ?? 0) > 0), show(late))
  } finally {
    await net2.stopAll()
  }
})

/**
 * Third test (n = 20, `ledger6`): no record was gossiped while late peers waited, so none was named
 * a holder, and every pull went to the saturated bootstrap and timed out. Here the late follower is
 * linked only to the muted genesis peer, and nothing is committed while it waits. Before the fix its
 * pulls asked only the genesis peer (height −1 for good); now it also asks the mesh's members from
 * its topology view, dialling them, and the genesis peer, once silent, comes after them.
 */
test('a late follower linked only to a genesis peer that never answers sync gets the chain from a replica it knows of', { timeout: 120_000 }, async () => {
  const net3 = new MemNet(34)
  try {
    const { init, early } = await threeReplicas(net3, 'mute hub')
    for (let i = 0; i < 2; i++) await early[1 + i].node.submit(note(20 + i), { timeoutMs: 30_000 })
    const [late] = await lateBehindMutedGenesis(net3, ['mute hub late'], init, early)
    const all = [...early, late]
    await waitFor(() => {
      const heads = new Set(all.map(p => `${p.node.status().height}:${p.node.status().head}`))
      return heads.size === 1 && late.node.status().height >= 0
    }, { timeout: 30_000, interval: 100, message: () => show(all) })
    // the chain came over a link the pull dialled to a replica: the genesis peer answered nothing
    assert.ok((late.node.status().frames?.syncDials ?? 0) > 0, show([late]))
    assert.equal(early.slice(1).some(r => !net3.unlinked.has(`${late.id}>${r.id}`)), true)
  } finally {
    await net3.stopAll()
  }
})

/**
 * Fourth: a hub whose answer did not come is asked after the others for SILENT_MS (30 s), not first
 * in every pull: each timed-out request is one it still has to read, and 10 s of the newcomer's
 * pull. The late follower's first pull finds only the muted genesis peer (its topology view is
 * still empty); by the next one it knows the replicas. Before, the genesis peer came first in every
 * pull of a peer without a genesis, so it was asked again before a replica gave the chain.
 */
test('a genesis peer whose sync answer did not come is asked after the peers that may answer', { timeout: 60_000 }, async () => {
  const net4 = new MemNet(35)
  try {
    const { init, early } = await threeReplicas(net4, 'silent hub')
    const [genesis] = early
    net4.unseen = true
    const [late] = await lateBehindMutedGenesis(net4, ['silent hub late'], init, early)
    const asked = (): number => net4.asked.get(`${late.id}>${genesis.id}`) ?? 0
    await waitFor(() => asked() >= 1, { timeout: 10_000, interval: 5, message: () => show([late]) })
    net4.unseen = false
    await waitFor(() => late.node.status().height >= 0, { timeout: 30_000, interval: 50, message: () => show([late]) })
    assert.equal(asked(), 1, `requests to the genesis peer; ${show([late])}`)
  } finally {
    await net4.stopAll()
  }
})

const show = (ps: MemPeer[]): string => ps.map(p => { const s = p.node.status(); return `${p.id.slice(-4)} e${s.epoch} h${s.height} pulls ${s.frames?.syncPulls} dials ${s.frames?.syncDials}` }).join('; ')

/** A genesis peer and two replicas (seeds named after `name`), all three replicas of the epoch. */
async function threeReplicas (n: MemNet, name: string): Promise<{ init: { genesisPeerId: string, removeAfterMs: number, syncIntervalMs: number }, early: MemPeer[] }> {
  const key = await seededKey(`${name} genesis`)
  const init = { genesisPeerId: peerIdFromPrivateKey(key).toString(), removeAfterMs: 600_000, syncIntervalMs: 1000 }
  const early = [await n.add(`${name} genesis`, init, { key }), await n.add(`${name} replica a`, init), await n.add(`${name} replica b`, init)]
  await waitFor(() => early.every(p => p.node.status().replicas.length === 3), { timeout: 60_000, message: () => show(early) })
  return { init, early }
}

/**
 * Mutes the genesis peer's sync answers (its links and gossip stay up, as a busy bootstrap's do),
 * then starts followers (seeds `names`, join off) that no replica but the genesis peer links to.
 */
async function lateBehindMutedGenesis (n: MemNet, names: string[], init: { genesisPeerId: string }, early: MemPeer[]): Promise<MemPeer[]> {
  n.syncMuted.add(early[0].id)
  const late: MemPeer[] = []
  for (const name of names) {
    const id = peerIdFromPrivateKey(await seededKey(name)).toString()
    for (const r of early.slice(1)) n.unlinked.add(`${id}>${r.id}`)
    late.push(await n.add(name, { ...init, join: false }))
  }
  return late
}
