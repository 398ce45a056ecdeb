/**
 * Scratch (issue 15): splits V8 .cpuprofile files (bench/_cpu-prof-preload.mjs) into where a peer's
 * time went. Each sample is charged to the first frame, leaf upwards, that names an owner:
 * VRF (core/vrf), signatures (our signature wrappers, node:crypto's verify), encoding (our codecs,
 * protons, lib0, uint8arraylist), storage (LevelDB), gossipsub, libp2p transport (noise, yamux,
 * websockets, tcp), other libp2p, the ledger and consensus (core/ledger, core/consensus), the mesh
 * and state (core/net, core/state, yjs), then V8's own GC / idle / program entries. Library frames
 * without an owner (noble's field math, node internals) go to the owner above them.
 * Prints per profile: ms and share per owner, and the top self-time functions.
 *
 *   node --import tsx bench/_cpu-profile-split.ts /tmp/prof16/*.cpuprofile
 */
import { readFileSync } from 'node:fs'

interface Frame { functionName: string, url: string, lineNumber: number }
interface Node { id: number, callFrame: Frame, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

const OWNERS: Array<[string, (f: Frame) => boolean]> = [
  ['gc', f => f.functionName === '(garbage collector)'],
  ['idle', f => f.functionName === '(idle)'],
  ['program', f => f.functionName === '(program)'],
  ['vrf', f => f.url.includes('/core/vrf/')],
  ['signatures', f => /native-ed25519|ed25519-canonical|webcrypto-ed25519|internal\/crypto\/sig/.test(f.url)],
  ['encoding', f => /codec\.ts|protons-runtime|\/lib0\/|uint8arraylist|\/cborg\//.test(f.url)],
  ['storage', f => /classic-level|abstract-level|level-transcoder|store\.ts|leveldb/i.test(f.url)],
  ['gossipsub', f => /libp2p-gossipsub|@libp2p\/gossipsub|@libp2p\/pubsub/.test(f.url)],
  ['transport', f => /libp2p-noise|libp2p-yamux|@libp2p\/(noise|yamux|websockets|tcp|webrtc)|\/ws\/lib|node-datachannel/.test(f.url)],
  ['libp2p', f => /node_modules\/(@libp2p|libp2p|it-|@multiformats|multiformats|p-queue|race-signal|@chainsafe)/.test(f.url)],
  ['ledger', f => /\/core\/(ledger|consensus)\/|node-runtime\/ledger\//.test(f.url)],
  ['mesh/state', f => /\/core\/(net|state|metrics)\/|node-runtime\/(state|net)|\/yjs\/|y-protocols/.test(f.url)],
  ['ours, other', f => /\/(core|node-runtime)\//.test(f.url) && !f.url.includes('node_modules')]
]

for (const file of process.argv.slice(2)) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(p.nodes.map(x => [x.id, x]))
  const parent = new Map<number, number>()
  for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id)
  const ownerOf = new Map<number, string>()
  const owner = (id: number): string => {
    const hit = ownerOf.get(id)
    if (hit != null) return hit
    let cur: number | undefined = id
    let o = 'other'
    while (cur != null) {
      const f = byId.get(cur)!.callFrame
      const m = OWNERS.find(([, test]) => test(f))
      if (m != null) { o = m[0]; break }
      cur = parent.get(cur)
    }
    ownerOf.set(id, o)
    return o
  }
  const ms = new Map<string, number>()
  const self = new Map<string, number>()
  /** per owner: the innermost frame of our own code on the stack (who asked for the work) */
  const callers = new Map<string, Map<string, number>>()
  const ourFrame = (id: number): string => {
    let cur: number | undefined = id
    while (cur != null) {
      const f = byId.get(cur)!.callFrame
      if (/\/(core|node-runtime)\//.test(f.url) && !f.url.includes('node_modules')) return `${f.functionName || '(anon)'} ${f.url.replace(/^.*\/wt\/[^/]+\//, '')}`
      cur = parent.get(cur)
    }
    return '(no frame of ours: an event from the network or a timer inside a library)'
  }
  /** the innermost node_modules package on the stack */
  const pkg = (id: number): string => {
    let cur: number | undefined = id
    while (cur != null) {
      const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(byId.get(cur)!.callFrame.url)
      if (m != null) return m[1]
      cur = parent.get(cur)
    }
    return '-'
  }
  const pkgs = new Map<string, number>()
  let total = 0
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000 // a sample's time runs until the next one
    const id = p.samples[i]
    total += dt
    const o = owner(id)
    ms.set(o, (ms.get(o) ?? 0) + dt)
    if (['libp2p', 'transport', 'gossipsub', 'gc', 'encoding'].includes(o)) {
      let m = callers.get(o)
      if (m == null) { m = new Map(); callers.set(o, m) }
      const c = ourFrame(id)
      m.set(c, (m.get(c) ?? 0) + dt)
    }
    const pk = pkg(id)
    pkgs.set(pk, (pkgs.get(pk) ?? 0) + dt)
    const f = byId.get(id)!.callFrame
    const key = `${f.functionName || '(anon)'} ${f.url.replace(/^.*\/(node_modules\/|wt\/[^/]+\/)/, '')}:${f.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + dt)
  }
  const busy = total - (ms.get('idle') ?? 0)
  console.log(`\n${file}: ${Math.round(total)} ms profiled, ${Math.round(busy)} ms busy`)
  for (const [o, t] of [...ms].sort((a, b) => b[1] - a[1])) console.log(`  ${o.padEnd(12)} ${t.toFixed(0).padStart(7)} ms  ${(100 * t / total).toFixed(1).padStart(5)} % of all  ${o === 'idle' ? '' : (100 * t / busy).toFixed(1).padStart(5) + ' % of busy'}`)
  console.log('  by innermost package:')
  for (const [k, t] of [...pkgs].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`    ${t.toFixed(0).padStart(6)} ms  ${(100 * t / busy).toFixed(1).padStart(5)} %  ${k}`)
  for (const [o, m] of callers) {
    console.log(`  ${o}: the innermost frame of ours`)
    for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`    ${t.toFixed(0).padStart(6)} ms  ${k}`)
  }
  console.log('  top self time:')
  for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`    ${t.toFixed(0).padStart(6)} ms  ${k}`)
}
