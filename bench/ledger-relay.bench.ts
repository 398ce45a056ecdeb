/**
 * `npm run bench -- ledger-relay [--n 7] [--entries N] [--seed S] [--out NAME]`
 *
 * Frames per decision when followers submit (issue 15: a follower's microblock arrived twice at
 * every replica, because it went to two replicas and both relayed it). One mesh of 7 replicas
 * (f = 2, ProBFT) and two followers over the in-memory network of the ledger tests (the real
 * LedgerNode, seeded delays; frame counts do not depend on the machine's load, which wall-clock
 * figures here would): follower A uses the rule now in routing.ts (`followerFanout` 1: one first
 * copy, relayed once), follower B the rule before (`followerFanout` 2, the baseline). Each submits
 * `--entries` notes one at a time (each its own microblock and, the ledger being otherwise idle,
 * its own decision), A then B, with re-sends off so both phases count the same thing. Per phase:
 * inbound frames per decision by kind over every peer (`status().frames`, frame-tally.ts), and the
 * microblock frames the replicas received per follower microblock. `--n` above 16 raises the
 * genesis replica cap to n. Writes bench/results/ledger-relay.json (or `--out NAME`) with
 * `os.loadavg()` and how long forming took.
 */
import os from 'node:os'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { LedgerStatus } from '../core/ledger/types.ts'
import { FRAME_MICROBLOCK, readFrame, readMicroblock } from '../core/ledger/codec.ts'
import { MemNet, ready, seededKey, type MemPeer } from '../test/ledger/_memnet.ts'
import { waitFor } from '../test/_support/wait.ts'
import { writeResult } from './_results.ts'

const argv = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1]
}
const entries = Number(arg('entries') ?? 30)
const seed = Number(arg('seed') ?? 1)
const n = Number(arg('n') ?? 7)
const out = arg('out') ?? 'ledger-relay'

await ready()
const loadavgStart = os.loadavg().map(l => +l.toFixed(2))
const net = new MemNet(seed)
const key = await seededKey(`relay bench genesis ${seed}`)
const gid = peerIdFromPrivateKey(key).toString()
// re-sends off (a loaded machine may take longer than resendMs to commit; both phases alike)
const init = { genesisPeerId: gid, syncIntervalMs: 500, resendMs: 600_000, maxReplicas: Math.max(16, n) }
const replicas: MemPeer[] = [await net.add(`relay bench genesis ${seed}`, init, { key })]
for (let i = 1; i < n; i++) replicas.push(await net.add(`relay bench peer ${i} ${seed}`, init))
const followers = {
  now: await net.add(`relay bench follower A ${seed}`, { ...init, join: false, followerFanout: 1 }),
  before: await net.add(`relay bench follower B ${seed}`, { ...init, join: false, followerFanout: 2 })
}
const all = [...replicas, followers.now, followers.before]

// microblock frames each replica received, by author (the test's instrumentation: relay.test.ts)
const byAuthor = new Map<string, number>()
for (const p of replicas) {
  const onFrame = p.node.onFrame.bind(p.node)
  p.node.onFrame = (from, bytes, accountable) => {
    try {
      const f = readFrame(bytes)
      if (f.type === FRAME_MICROBLOCK) { const a = readMicroblock(f.microblock).author; byAuthor.set(a, (byAuthor.get(a) ?? 0) + 1) }
    } catch { /* not counted: the node itself rejects it */ }
    onFrame(from, bytes, accountable)
  }
}

const t0 = performance.now()
try {
  await waitFor(() => replicas.every(p => p.node.status().replicas.length === n && p.node.status().replica) &&
    Object.values(followers).every(f => f.node.status().height === replicas[0].node.status().height),
  { timeout: 600_000, message: () => `${n} replicas (${replicas.map(p => p.node.status().replicas.length).join(',')}) and the followers synced` })

  const formMs = Math.round(performance.now() - t0)
  console.log(`${n} replicas formed in ${formMs} ms`)
  const snapshot = (): LedgerStatus[] => all.map(p => p.node.status())
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
  const phase = async (name: keyof typeof followers): Promise<Record<string, unknown>> => {
    const f = followers[name]
    // let the previous phase's relayed copies land first
    await waitFor(() => net.inFlight === 0, { timeout: 30_000, message: 'the network to go quiet' })
    const a = snapshot(); const mb0 = byAuthor.get(f.id) ?? 0; const sent0 = f.frames.sent
    const h0 = replicas[0].node.status().height
    const t = performance.now()
    for (let i = 0; i < entries; i++) await f.node.submit({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ phase: name, i })) }, { timeoutMs: 120_000 })
    const ms = performance.now() - t
    await waitFor(() => net.inFlight === 0, { timeout: 30_000, message: 'the network to go quiet' })
    const b = snapshot()
    const decisions = Math.max(1, replicas[0].node.status().height - h0)
    const kinds = [...new Set(b.flatMap(x => Object.keys(x.frames?.byKind ?? {})))].sort()
    const total = (s: LedgerStatus[], k: string): number => sum(s.map(x => x.frames?.byKind[k] ?? 0))
    const byKind = Object.fromEntries(kinds.map(k => [k, +((total(b, k) - total(a, k)) / decisions).toFixed(2)]))
    const frames = sum(kinds.map(k => total(b, k) - total(a, k)))
    const microblocks = entries // one at a time: one microblock each
    return {
      followerFanout: f.node.init.followerFanout,
      entries, decisions,
      framesPerDecision: +(frames / decisions).toFixed(2),
      framesPerDecisionByKind: byKind,
      followerFramesSent: f.frames.sent - sent0,
      microblockFramesAtReplicasPerMicroblock: +(((byAuthor.get(f.id) ?? 0) - mb0) / microblocks).toFixed(2),
      wallMs: Math.round(ms),
      loadavg1: +os.loadavg()[0].toFixed(2)
    }
  }
  const now = await phase('now')
  const before = await phase('before')
  const result = {
    n, f: replicas[0].node.status().f, sampleSize: replicas[0].node.status().sampleSize, quorum: replicas[0].node.status().quorum, protocol: replicas[0].node.status().protocol, seed, formMs,
    network: 'in-memory (test/ledger/_memnet.ts), seeded delays 0-3 ms; the real LedgerNode',
    now, before,
    ratioFramesPerDecision: +((now.framesPerDecision as number) / (before.framesPerDecision as number)).toFixed(3),
    ratioMicroblockFrames: +((now.microblockFramesAtReplicasPerMicroblock as number) / (before.microblockFramesAtReplicasPerMicroblock as number)).toFixed(3),
    loadavgStart, loadavgEnd: os.loadavg().map(l => +l.toFixed(2))
  }
  console.log(JSON.stringify(result, null, 2))
  console.log(writeResult(out, result))
} finally {
  await net.stopAll()
}
