/**
 * Scratch (issue 15): what longer keep-alive intervals cost — how long a join and a departure take
 * to be seen — for the defaults (topology 5 s, discovery 10 s, peer TTL 15 s) and for twice those
 * (`--variants default,slow`), side by side in one run, ABAB… with `--repeats`. What they save is
 * measured on real processes by bench/_idle-mesh-probe.ts (variant `slowkeep`).
 *
 * Each run: a bootstrap and `--n` headless peers in this process (real libp2p, WebSockets to the
 * bootstrap, WebRTC between peers, target degree 2 as test/net/membership.test.ts), once every
 * view is full, measured for:
 * - join: a late peer starts → it knows every peer and every peer knows it (ms);
 * - departure, link closed: a peer's libp2p stops (a closed tab) → it has left every view (ms);
 * - departure, silent: a peer stops announcing but keeps its links (a wedged peer: its libp2p
 *   `pubsub` publishes are dropped) → it has left every view (ms; the TTL's case).
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/_keepalive-cost.ts --n 6 --repeats 2 [--out keepalive-cost]
 */
import os from 'node:os'
import { createMeshNode, type MeshNode, type MeshNodeInit } from '../core/net/index.ts'
import { releaseWebRTC } from '../node-runtime/mesh/webrtc-release.ts'
import { waitFor } from '../test/_support/wait.ts'
import { median, writeResult } from './_results.ts'

const argv = process.argv.slice(2)
const arg = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const n = Number(arg('n', '6'))
const repeats = Number(arg('repeats', '2'))
const variants = arg('variants', 'default,slow').split(',')
const out = arg('out', 'keepalive-cost')

const VARIANTS: Record<string, Pick<MeshNodeInit, 'topologyIntervalMs' | 'discoveryIntervalMs' | 'peerTtlMs'>> = {
  default: {},
  slow: { topologyIntervalMs: 10_000, discoveryIntervalMs: 20_000, peerTtlMs: 30_000 }
}

interface Run { variant: string, joinMs: number, closedMs: number, silentMs: number, load: number[] }

async function measure (variant: string): Promise<Run> {
  const init: MeshNodeInit = { maxPeers: 2, dialTimeoutMs: 5000, ...VARIANTS[variant] }
  const nodes: MeshNode[] = []
  const load0 = os.loadavg()[0]
  try {
    const boot = await createMeshNode({ ...init, role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    nodes.push(boot)
    await boot.start()
    const add = async (): Promise<MeshNode> => { const p = await createMeshNode({ ...init, bootstrap: [boot.getMultiaddrs()[0]] }); nodes.push(p); return p }
    const peers = await Promise.all(Array.from({ length: n }, add))
    await Promise.all(peers.map(async p => { await p.start() }))
    await waitFor(() => peers.every(p => p.members().length === n), { timeout: 120_000, interval: 100, message: 'full membership' })

    const late = await add()
    let t0 = performance.now()
    await late.start()
    const lid = late.peerId.toString()
    await waitFor(() => late.members().length === n + 1 && peers.every(p => p.members().includes(lid)), { timeout: 120_000, interval: 50, message: 'the late joiner seen' })
    const joinMs = Math.round(performance.now() - t0)
    const all = [boot, ...peers, late]

    const closed = peers[n - 1]
    const cid = closed.peerId.toString()
    t0 = performance.now()
    await closed.libp2p.stop()
    const rest1 = all.filter(x => x !== closed)
    await waitFor(() => rest1.every(x => !x.members().includes(cid)), { timeout: 120_000, interval: 50, message: 'the closed peer gone from every view' })
    const closedMs = Math.round(performance.now() - t0)

    // silent: its publishes go nowhere from now on, its links stay up
    const silent = peers[0]
    const sid = silent.peerId.toString()
    const pubsub = silent.libp2p.services.pubsub as unknown as { publish: (...a: unknown[]) => Promise<unknown> }
    pubsub.publish = async () => ({ recipients: [] })
    t0 = performance.now()
    const rest2 = rest1.filter(x => x !== silent)
    await waitFor(() => rest2.every(x => !x.members().includes(sid)), { timeout: 180_000, interval: 50, message: 'the silent peer gone from every view' })
    const silentMs = Math.round(performance.now() - t0)
    const r = { variant, joinMs, closedMs, silentMs, load: [+load0.toFixed(2), +os.loadavg()[0].toFixed(2)] }
    console.log(JSON.stringify(r))
    return r
  } finally {
    await Promise.all(nodes.map(async x => { await x.stop().catch(() => {}) }))
  }
}

const runs: Run[] = []
for (let r = 0; r < repeats; r++) {
  for (const v of (r % 2 === 0 ? variants : [...variants].reverse())) runs.push(await measure(v))
}
releaseWebRTC()
const summary = Object.fromEntries(variants.map(v => {
  const mine = runs.filter(x => x.variant === v)
  return [v, { joinMs: median(mine.map(x => x.joinMs)), closedMs: median(mine.map(x => x.closedMs)), silentMs: median(mine.map(x => x.silentMs)) }]
}))
console.log(JSON.stringify(summary))
console.log(`wrote ${writeResult(out, { n, repeats, runs, summary })}`)
