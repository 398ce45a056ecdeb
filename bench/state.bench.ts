/**
 * `npm run bench -- state`: shared-state costs, each next to a named baseline from the same run.
 *
 * - convergence: 5 Node peers on a real libp2p mesh (core/net, in-process) make 1,000 concurrent
 *   issue edits (creates, then field updates, spread over the peers); time from the last local
 *   edit until every document has the same state vector (the edits' own CPU time is reported apart). Baseline: the same 1,000 edits made in one doc and synced to a second
 *   in-process doc with a plain y-protocols step1/step2 exchange (no network).
 * - memory store: store/get/search operations per second on one peer. Baseline: raw Y.Map set/get.
 * - size: bytes on disk (y-leveldb data dir, compacted) and on the wire (full-state step2; the
 *   incremental gossip sent while creating) per 1,000 issues. Baseline: the JSON Lines export.
 * - authenticated writes: 1,000 single-edit transactions as signed entries (Ed25519 sign + encode on
 *   the author, decode + binding check + verify + apply on a receiver, through the real
 *   `SignedReplica`), bytes and CPU per edit. Baseline: the same updates as plain Yjs (the gossip
 *   frame before this design; apply only). Also a full catch-up: all signed entries vs one
 *   `encodeStateAsUpdate`.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { createMeshNode, type MeshNode } from '../core/net/index.ts'
import { Board } from '../core/state/board.ts'
import { meshAsStateMesh } from '../core/state/mesh-adapter.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { randomSession } from '../core/state/author.ts'
import { DEFAULT_PENDING_LIMITS } from '../core/state/pending.ts'
import { newReplicaStats, SignedReplica } from '../core/state/replica.ts'
import { MemoryStore } from '../core/state/memory.ts'
import { StateProvider } from '../core/state/provider.ts'
import { STATUSES } from '../core/state/schema.ts'
import { releaseWebRTC } from '../node-runtime/mesh/webrtc-release.ts'
import { openPersistentDoc } from '../node-runtime/state/persistence.ts'
import { median, writeResult } from './_results.ts'

const EDITS = 1000
const PEERS = 5
const RUNS = 3

function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => { a = (a + 0x6D2B79F5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296 }
}

/** 1,000 edits over `boards`: 40% creates, then status/progress updates on random issues created in this batch. */
function edits (boards: Board[], seed: number): void {
  const r = rng(seed)
  const ids: string[][] = boards.map(() => [])
  for (let i = 0; i < EDITS; i++) {
    const k = i % boards.length
    const b = boards[k]
    if (ids[k].length < 2 || r() < 0.4) ids[k].push(b.create({ title: `issue ${seed}-${i}`, priority: Math.floor(r() * 5) }).id)
    else b.update(ids[k][Math.floor(r() * ids[k].length)], { status: STATUSES[Math.floor(r() * 4)], progress: Math.floor(r() * 101) })
  }
}

function plainExchange (seed: number): number {
  const a = new Y.Doc()
  edits([new Board({ doc: a, actor: 'a' })], seed)
  const b = new Y.Doc()
  const t0 = performance.now()
  const e1 = encoding.createEncoder(); syncProtocol.writeSyncStep1(e1, b)
  const e2 = encoding.createEncoder(); syncProtocol.readSyncMessage(decoding.createDecoder(encoding.toUint8Array(e1)), e2, a, null)
  syncProtocol.readSyncMessage(decoding.createDecoder(encoding.toUint8Array(e2)), encoding.createEncoder(), b, null)
  const ms = performance.now() - t0
  if (b.getMap('issues').size !== a.getMap('issues').size) throw new Error('plain exchange did not converge')
  return ms
}

async function waitEqual (docs: Y.Doc[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const sv = (d: Y.Doc): string => Buffer.from(Y.encodeStateVector(d)).toString('hex')
  for (;;) {
    if (docs.every(d => sv(d) === sv(docs[0]) && d.store.pendingStructs == null)) return
    if (Date.now() > deadline) throw new Error('peers did not converge in time')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

async function meshConvergence (): Promise<{ runsMs: number[], editMs: number[], gossipBytes: number }> {
  const boot = await createMeshNode({ role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  await boot.start()
  const addr = boot.getMultiaddrs()[0]
  const nodes: MeshNode[] = []
  const providers: StateProvider[] = []
  try {
    for (let i = 0; i < PEERS; i++) {
      const n = await createMeshNode({ bootstrap: [addr], discoveryIntervalMs: 1000, topologyIntervalMs: 1000, peerTtlMs: 6000 })
      await n.start()
      const p = new StateProvider({ doc: new Y.Doc() }, { mesh: meshAsStateMesh(n) })
      await p.start()
      nodes.push(n); providers.push(p)
    }
    // wait for a full direct mesh so the timing measures replication, not connection setup
    const deadline = Date.now() + 120_000
    while (!nodes.every(n => new Set(n.links().filter(l => l.transport === 'webrtc').map(l => l.peerId)).size >= PEERS - 1)) {
      if (Date.now() > deadline) throw new Error('mesh did not form')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const boards = providers.map((p, i) => new Board({ doc: p.doc, actor: `peer${i}` }))
    const runsMs: number[] = []
    const editMs: number[] = []
    for (let run = 0; run < RUNS; run++) {
      const t0 = performance.now()
      edits(boards, 2000 + run)
      const t1 = performance.now()
      await waitEqual(providers.map(p => p.doc), 120_000)
      editMs.push(t1 - t0)
      runsMs.push(performance.now() - t1)
    }
    return { runsMs, editMs, gossipBytes: providers.reduce((s, p) => s + p.stats.bytesSent, 0) }
  } finally {
    for (const p of providers) await p.stop()
    for (const n of nodes) await n.stop()
    await boot.stop()
    releaseWebRTC()
  }
}

function memoryOps (): Record<string, number> {
  const N = 5000
  const mem = new MemoryStore({ doc: new Y.Doc(), actor: 'bench' })
  const opsPerSec = (ms: number, n: number): number => Math.round(n / (ms / 1000))
  const t0 = performance.now(); for (let i = 0; i < N; i++) mem.store('ns', `key/${i}`, { i, text: 'value' })
  const store = opsPerSec(performance.now() - t0, N)
  const t1 = performance.now(); for (let i = 0; i < N; i++) mem.get('ns', `key/${i}`)
  const get = opsPerSec(performance.now() - t1, N)
  const t2 = performance.now(); for (let i = 0; i < 20; i++) mem.search({ pattern: `key/${i}*` })
  const search = opsPerSec(performance.now() - t2, 20)
  const raw = new Y.Doc().getMap('m')
  const t3 = performance.now(); for (let i = 0; i < N; i++) raw.set(`key/${i}`, { i, text: 'value' })
  const rawSet = opsPerSec(performance.now() - t3, N)
  const t4 = performance.now(); for (let i = 0; i < N; i++) raw.get(`key/${i}`)
  const rawGet = opsPerSec(performance.now() - t4, N)
  return { storePerSec: store, getPerSec: get, searchPerSecOver5000Keys: search, baselineYMapSetPerSec: rawSet, baselineYMapGetPerSec: rawGet }
}

async function sizes (): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'nc-state-bench-'))
  try {
    const p = await openPersistentDoc(dir)
    const board = new Board({ doc: p.doc, actor: 'bench' })
    const r = rng(5)
    let incremental = 0
    p.doc.on('update', (u: Uint8Array) => { incremental += u.length + 3 })
    for (let i = 0; i < 1000; i++) board.create({ title: `issue number ${i}`, description: 'a short description of the work', priority: Math.floor(r() * 5), labels: ['bench'] })
    const full = Y.encodeStateAsUpdate(p.doc).length
    const jsonl = new TextEncoder().encode(board.exportJsonl()).length
    await p.compact()
    await p.close()
    const disk = Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0])
    return { diskBytesPer1000Issues: disk, wireFullStateBytesPer1000Issues: full, wireIncrementalBytesPer1000Creates: incremental, baselineJsonlBytesPer1000Issues: jsonl }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function authenticated (): Promise<Record<string, number>> {
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key).toString()
  const replicaOf = (doc: Y.Doc, id: string): SignedReplica => SignedReplica.for({
    doc, signer: { peerId: id, sign: data => key.sign(data) }, session: randomSession(), acceptAuthor: () => true,
    pendingLimits: DEFAULT_PENDING_LIMITS, stats: newReplicaStats(), log: () => {}
  })
  const doc = new Y.Doc()
  const author = replicaOf(doc, peerId)
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => { updates.push(u) })
  edits([new Board({ doc, actor: 'bench' })], 77)
  const signMs: number[] = []; const entries: Uint8Array[] = []
  for (let run = 0; run < RUNS; run++) {
    const signer = run === 0 ? author : replicaOf(new Y.Doc(), peerId) // a fresh log each run, same updates
    const t0 = performance.now()
    for (const u of updates) entries.push(await signer.author(u))
    signMs.push(performance.now() - t0)
  }
  const signed = entries.slice(0, updates.length)
  const verifyMs: number[] = []; const plainMs: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const receiver = replicaOf(new Y.Doc(), 'receiver-' + String(run))
    const t0 = performance.now()
    for (const e of signed) await receiver.receive('author', [e], 0)
    verifyMs.push(performance.now() - t0)
    if (receiver.log.size !== signed.length) throw new Error('signed entries did not all apply')
    const b = new Y.Doc()
    const t1 = performance.now()
    for (const u of updates) Y.applyUpdate(b, u)
    plainMs.push(performance.now() - t1)
  }
  const n = updates.length
  const plainBytes = updates.reduce((s, u) => s + u.length + 3, 0)
  const signedBytes = signed.reduce((s, e) => s + e.length + 4, 0)
  return {
    edits: n,
    signedBytesPerEdit: Math.round(signedBytes / n),
    baselinePlainBytesPerEdit: Math.round(plainBytes / n),
    ratioBytes: Number((signedBytes / plainBytes).toFixed(2)),
    signMsPerEdit: Number((median(signMs) / n).toFixed(4)),
    receiveMsPerEdit: Number((median(verifyMs) / n).toFixed(4)),
    baselinePlainApplyMsPerEdit: Number((median(plainMs) / n).toFixed(4)),
    ratioReceiveCpu: Number((median(verifyMs) / median(plainMs)).toFixed(1)),
    catchUpSignedBytes: signedBytes,
    baselineCatchUpStateBytes: Y.encodeStateAsUpdate(doc).length
  }
}

const auth = await authenticated()
console.log('authenticated writes', auth)
const plain = [0, 1, 2].map(i => plainExchange(1000 + i))
const mesh = await meshConvergence()
const meshMs = median(mesh.runsMs)
const plainMs = median(plain)
const result = {
  convergence: {
    peers: PEERS, edits: EDITS,
    meshMedianMs: Math.round(meshMs), meshRunsMs: mesh.runsMs.map(Math.round),
    localEditMedianMs: Math.round(median(mesh.editMs)),
    baselinePlainYProtocolsMedianMs: Number(plainMs.toFixed(2)),
    ratioMeshToBaseline: Number((meshMs / plainMs).toFixed(1)),
    providerBytesSentAllRuns: mesh.gossipBytes
  },
  authenticatedWrites: auth,
  memory: memoryOps(),
  size: await sizes()
}
console.table({ convergence: result.convergence.meshMedianMs, baseline: result.convergence.baselinePlainYProtocolsMedianMs, ratio: result.convergence.ratioMeshToBaseline })
console.log(JSON.stringify(result, null, 2))
console.log('wrote', writeResult('state', result))
