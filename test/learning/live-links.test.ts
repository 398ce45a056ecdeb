/**
 * A coordinator dials the joined learners it has no direct link to before it selects
 * (core/learning/live/links.ts). Over `_mem.ts`'s in-memory mesh, where an `unlinked` pair has only
 * a limited (relayed) link until `link` makes a direct one, and its in-memory ledger, with real
 * tfjs training on small MNIST shards:
 * - a learner that joined but is linked to no one yet is selected in every round once a link can
 *   be made (without the dial, round 1 ran without it: the defect live-hostile.test.ts found);
 * - a learner no link can be made to is left out and counted, the rounds commit without it, and a
 *   coordinator does not dial it again within `LINK_RETRY_MS`;
 * - round 1's coordinator waits for its links to every learner in its view (`startupLinkMs`,
 *   service.ts), so a learner linked only after the draw is known still takes part in round 1.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { LiveLearning, type LearningMesh } from '../../core/learning/live/index.ts'
import { LearnerLinks, LINK_RETRY_MS, MAX_LINK_DIALS } from '../../core/learning/live/links.ts'
import { committedRounds, liveTask, MemLearners } from './_learners.ts'
import { MemLedger, MemMesh, PEERS } from './_mem.ts'
import { waitFor } from '../_support/wait.ts'

const task = liveTask(6)
const WAIT = 150_000

let learners: MemLearners
before(async () => { learners = await MemLearners.load(9) })
after(async () => { await learners.stop() })

/** `startupLinkMs` 0 unless given: the first two tests are about the pre-select dial, not round 1's wait for links */
function peer (i: number, mesh: MemMesh, ledger: MemLedger, rounds: number, roundTimeoutMs: number, startupLinkMs = 0): LiveLearning {
  return learners.add(i, mesh, ledger, { task, rounds, minLearners: 4, pollMs: 20, roundTimeoutMs, linkWaitMs: 500, startupLinkMs })
}

const rounds = committedRounds

/** peer `i` has only limited links to every other peer */
function isolate (mesh: MemMesh, i: number): void {
  for (const p of PEERS.slice(0, 4)) if (p !== PEERS[i]) mesh.unlinked.add(MemMesh.pair(PEERS[i], p))
}

describe('a coordinator dials unlinked learners before it selects (in-memory mesh and ledger)', { timeout: 400_000 }, () => {
  test('a joined learner linked to no one yet is selected once a link can be made', async () => {
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    isolate(mesh, 3)
    const peers = [0, 1, 2, 3].map(i => peer(i, mesh, ledger, 2, 900_000))
    for (const p of peers) await p.start()
    await waitFor(() => rounds(ledger).length >= 2, { timeout: WAIT, message: () => `2 rounds committed; committed ${rounds(ledger).length}` })
    for (const r of rounds(ledger).slice(0, 2)) {
      assert.equal(r.participants.length, 4, `round ${r.round} (coordinator ${r.coordinator.slice(-6)}): every learner, the unlinked one included: ${r.participants.map(p => p.slice(-6)).join(' ')}`)
    }
    const first = rounds(ledger)[0]
    const coord = peers.find(p => p.status().peerId === first.coordinator) as LiveLearning
    assert.ok(coord.stats.learnersDialled >= 1, 'the coordinator dialled the learner(s) it lacked a link to')
    assert.equal(coord.stats.learnersUnreachable, 0)
    const dialledBy = mesh.dials.filter(([from]) => from === first.coordinator).map(([, to]) => to)
    if (first.coordinator === PEERS[3]) assert.deepEqual([...new Set(dialledBy)].sort(), PEERS.slice(0, 3).sort(), 'the unlinked coordinator dialled every other learner')
    else assert.deepEqual([...new Set(dialledBy)], [PEERS[3]], 'only the unlinked learner was dialled')
    for (const p of peers) await p.stop()
  })

  test('a learner no link can be made to is left out and counted; the rounds commit; it is not redialled within LINK_RETRY_MS', async () => {
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    const lonely = PEERS[2]
    isolate(mesh, 2)
    mesh.linkable = (from, to) => from !== lonely && to !== lonely
    // should the unreachable learner be drawn, its rounds fail (it reaches no one): the next in the
    // draw takes over after this round timeout
    const peers = [0, 1, 2, 3].map(i => peer(i, mesh, ledger, 2, 15_000))
    const t0 = Date.now()
    for (const p of peers) await p.start()
    await waitFor(() => rounds(ledger).length >= 2, { timeout: WAIT, message: () => `2 rounds committed without the unreachable learner; committed ${rounds(ledger).length}` })
    const elapsed = Date.now() - t0
    for (const r of rounds(ledger).slice(0, 2)) {
      assert.ok(!r.participants.includes(lonely), `round ${r.round}: the unreachable learner is not a participant`)
      assert.equal(r.participants.length, 3, `round ${r.round}: the three linked learners`)
      const coord = peers.find(p => p.status().peerId === r.coordinator) as LiveLearning
      assert.ok(coord.stats.learnersUnreachable >= 1, `round ${r.round}'s coordinator counted the learner it left out`)
    }
    // each coordinator dials a learner that could not be linked at most once per LINK_RETRY_MS
    const bound = 1 + Math.floor(elapsed / LINK_RETRY_MS)
    for (const from of PEERS.slice(0, 4)) {
      const n = mesh.dials.filter(([f, to]) => f === from && to === lonely).length
      assert.ok(n <= bound, `${from.slice(-6)} dialled the unreachable learner ${n} times in ${elapsed} ms (at most ${bound})`)
    }
    for (const p of peers) await p.stop()
  })
})

describe('round 1 waits for its coordinator\'s links (startupLinkMs)', { timeout: 300_000 }, () => {
  test('a learner whose link forms after the draw is known still takes part in round 1', async () => {
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    isolate(mesh, 3)
    // no dial of ours links learner 3 (each fails at once)…
    mesh.linkable = () => false
    const peers = [0, 1, 2, 3].map(i => peer(i, mesh, ledger, 1, 900_000, 60_000))
    for (const p of peers) await p.start()
    // …until the draw is known and round 1's coordinator has dialled it (or, being it, the others)
    // again and again while it waits (links.ts `redial`: a first failure does not end its tries);
    // then its links form. Without the wait, round 1's coordinator had selected the other three by then
    const first = (): string | undefined => peers[0].status().order[0]
    const redials = (): number => mesh.dials.filter(([f, t]) => f === first() && (f === PEERS[3] || t === PEERS[3])).length
    await waitFor(() => peers.every(p => p.status().learners.length === 4 && p.status().order.length > 0) && redials() >= 3, {
      timeout: WAIT, message: () => `the draw known and learner 3 dialled again by round 1's coordinator; ${redials()} dial(s) of ${mesh.dials.length}`
    })
    assert.equal(rounds(ledger).length, 0)
    for (const p of PEERS.slice(0, 3)) mesh.unlinked.delete(MemMesh.pair(PEERS[3], p))
    await waitFor(() => rounds(ledger).length >= 1, { timeout: WAIT, message: 'round 1 committed' })
    const r1 = rounds(ledger)[0]
    assert.equal(r1.participants.length, 4, `round 1 took every learner: ${r1.participants.map(p => p.slice(-6)).join(' ')}`)
    const coord = peers.find(p => p.status().peerId === r1.coordinator) as LiveLearning
    assert.equal(coord.stats.startupLinks?.unlinked, 0, 'it began once linked to every learner')
    assert.ok((coord.stats.startupLinks?.waitedMs ?? 0) > 0, `it waited: ${JSON.stringify(coord.stats.startupLinks)}`)
    for (const p of peers.filter(p => p !== coord)) assert.equal(p.stats.startupLinks, null, 'only round 1\'s coordinator waits')
    for (const p of peers) await p.stop()
  })
})

describe('LearnerLinks', () => {
  test('failed dials are remembered for LINK_RETRY_MS only: what it holds is bounded, not every learner ever dialled', async () => {
    let now = 0
    const dialled: string[] = []
    const mesh: Pick<LearningMesh, 'peerId' | 'links' | 'link'> = { peerId: 'self', links: () => [], link: async peer => { dialled.push(peer); return false } }
    const links = new LearnerLinks(mesh, () => now, 500)
    const wait = async (cond: () => boolean): Promise<void> => { while (!cond()) { now += 100; await new Promise(resolve => setImmediate(resolve)) } }
    let most = 0
    for (let wave = 0; wave < 20; wave++) {
      const learners = Array.from({ length: MAX_LINK_DIALS }, (_, i) => `w${wave}p${i}`)
      const out = await links.ensure(learners, () => false, wait)
      assert.deepEqual(out.unreachable, learners, `wave ${wave}: none could be linked`)
      assert.deepEqual(links.missing(learners, () => false), [], 'not dialled again within LINK_RETRY_MS')
      most = Math.max(most, links.failing)
      now += LINK_RETRY_MS
    }
    assert.equal(dialled.length, 20 * MAX_LINK_DIALS)
    assert.equal(most, MAX_LINK_DIALS, 'one wave held at a time')
    assert.deepEqual(links.missing(['w0p0'], () => false), ['w0p0'], 'an old failure no longer holds a learner back')
    assert.equal(links.failing, 0)
  })
  test('learners left unlinked are counted by the mesh\'s dial state then (unlinkedWhy), without the step\'s time', async () => {
    let now = 0
    const state: Record<string, string> = { a: 'no-address', b: 'dialling:webrtc:sent-sdp-offer at 812 ms', c: 'failed:webrtc:sent-sdp-offer at 4020 ms' }
    const mesh: Pick<LearningMesh, 'peerId' | 'links' | 'link' | 'dialState'> = { peerId: 'self', links: () => [], link: async () => false, dialState: p => state[p] ?? 'idle' }
    const links = new LearnerLinks(mesh, () => now, 500)
    const wait = async (cond: () => boolean): Promise<void> => { while (!cond()) { now += 100; await new Promise(resolve => setImmediate(resolve)) } }
    await links.ensure(['a', 'b', 'c', 'd'], () => false, wait)
    assert.deepEqual(links.unlinkedWhy, { 'no-address': 1, 'dialling:webrtc:sent-sdp-offer': 1, 'failed:webrtc:sent-sdp-offer': 1, idle: 1 })
    // between rounds too, and the key set stays bounded however many distinct states come
    now += LINK_RETRY_MS
    for (let i = 0; i < 100; i++) state[`x${i}`] = `failed:step${i}`
    assert.deepEqual(links.prelink(['a0', 'SELF', 'rest', 'zed'], () => false), ['zed'], 'between rounds only larger ids than \'self\' are dialled')
    links.prelink(Array.from({ length: 100 }, (_, i) => `x${i}`), () => false)
    await waitFor(() => Object.values(links.unlinkedWhy).reduce((a, b) => a + b, 0) >= 5 + MAX_LINK_DIALS, { timeout: 5000 })
    assert.ok(Object.keys(links.unlinkedWhy).length <= 32)
  })
})
