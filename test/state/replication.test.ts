/**
 * Replication over a real libp2p mesh (core/net, in-process): three Node peers editing the same
 * board and memory concurrently with seeded random edits converge to identical state; a peer that
 * edits while offline converges after it reconnects; a peer restarted from its data dir keeps its
 * state; a Byzantine peer's junk frames and schema-breaking entries are dropped or skipped.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import * as Y from 'yjs'
import { createMeshNode, type MeshNode } from '../../core/net/index.ts'
import { Board } from '../../core/state/board.ts'
import { encodeBatch, STATE_PROTOCOL, STATE_TOPIC } from '../../core/state/codec.ts'
import { meshAsStateMesh } from '../../core/state/mesh-adapter.ts'
import { MemoryStore } from '../../core/state/memory.ts'
import { StateProvider } from '../../core/state/provider.ts'
import { STATUSES } from '../../core/state/schema.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { loadOrCreateIdentity } from '../../node-runtime/mesh/identity.ts'
import { withState } from '../../node-runtime/state/client.ts'
import { startStateService, type StateService } from '../../node-runtime/state/service.ts'
import { waitFor } from '../_support/wait.ts'
import { seeded, seededBytes } from './_helpers.ts'
import { attackerDoc, signedAs } from './_attacker.ts'

interface Peer { name: string, mesh: MeshNode, doc: Y.Doc, provider?: StateProvider, service?: StateService, board: Board, memory: MemoryStore }

let bootstrap: MeshNode
let bootAddr: string
const peers: Peer[] = []
const dirs: string[] = []

async function meshNode (privateKey?: MeshNode['config']['privateKey']): Promise<MeshNode> {
  const node = await createMeshNode({ privateKey, bootstrap: [bootAddr], maintainIntervalMs: 200, discoveryIntervalMs: 500, topologyIntervalMs: 500, peerTtlMs: 5000 })
  await node.start()
  return node
}

async function startPeer (name: string, seed: number, doc = new Y.Doc(), privateKey?: MeshNode['config']['privateKey']): Promise<Peer> {
  const mesh = await meshNode(privateKey)
  const provider = new StateProvider({ doc, resyncIntervalMs: 2000 }, { mesh: meshAsStateMesh(mesh) })
  await provider.start()
  return { name, mesh, doc, provider, board: new Board({ doc, actor: name, random: seededBytes(seed) }), memory: new MemoryStore({ doc, actor: name }) }
}

async function stopPeer (p: Peer): Promise<void> {
  await p.provider?.stop()
  await p.service?.stop()
  await p.mesh.stop()
}

const snapshot = (p: Peer): string => JSON.stringify({ issues: p.board.readAll(), memory: p.memory.list() })

async function converged (ps: Peer[], timeout = 90_000): Promise<void> {
  await waitFor(() => ps.every(p => snapshot(p) === snapshot(ps[0])), { timeout, interval: 100, message: `convergence of ${ps.map(p => p.name).join(', ')}` })
}

/** One seeded random edit: create, update a field, comment, link, or a memory write. */
function randomEdit (p: Peer, r: () => number): void {
  const issues = p.board.list()
  const pick = (): string => issues[Math.floor(r() * issues.length)].id
  const x = r()
  try {
    if (issues.length < 3 || x < 0.25) p.board.create({ title: `${p.name} ${Math.floor(r() * 1e6)}`, priority: Math.floor(r() * 5) })
    else if (x < 0.5) p.board.update(pick(), { status: STATUSES[Math.floor(r() * 4)], progress: Math.floor(r() * 101) })
    else if (x < 0.65) p.board.comment(pick(), `note ${Math.floor(r() * 1e6)} from ${p.name}`)
    else if (x < 0.8) p.board.link(pick(), r() < 0.5 ? 'depends-on' : 'related', pick())
    else p.memory.store('ns', `k${Math.floor(r() * 10)}`, { by: p.name, n: Math.floor(r() * 1e6) }, r() < 0.3 ? { ttlMs: 3_600_000 } : {})
  } catch (err) {
    // Refusals (a cycle, a self-link) are part of random editing; anything else is a failure.
    if (!['DependencyCycleError'].includes((err as Error).name)) throw err
  }
}

describe('state replication over libp2p', () => {
  before(async () => {
    bootstrap = await createMeshNode({ role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    await bootstrap.start()
    bootAddr = bootstrap.getMultiaddrs().find(a => a.includes('/ws/')) as string
    for (const [i, name] of ['a', 'b', 'c'].entries()) peers.push(await startPeer(name, i + 1))
  })
  after(async () => {
    for (const p of peers) await stopPeer(p)
    await bootstrap?.stop()
    releaseWebRTC() // node-datachannel's native threads would keep the process alive
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  test('three peers with concurrent seeded random edits converge to identical state', async () => {
    const rs = peers.map((_, i) => seeded(100 + i))
    for (let round = 0; round < 40; round++) {
      for (const [i, p] of peers.entries()) randomEdit(p, rs[i])
      if (round % 8 === 0) await new Promise(resolve => setImmediate(resolve)) // let the network interleave
    }
    await converged(peers)
    assert.ok(peers[0].board.list().length >= 9)
    assert.deepEqual(peers[0].board.invalid(), [])
  })

  test('awareness: each peer sees the others online', async () => {
    for (const p of peers) p.provider?.awareness.setLocalState({ peerId: p.mesh.peerId.toString(), name: p.name, view: 'board', kind: 'node' })
    await waitFor(() => peers.every(p => (p.provider?.awareness.getStates().size ?? 0) >= 3), { timeout: 90_000, message: "awareness of 3 peers" })
  })

  test('a peer that edits while disconnected catches up after reconnecting', async () => {
    const c = peers[2]
    await c.provider?.stop(); await c.mesh.stop()
    const offline = c.board.create({ title: 'written offline' })
    const online = peers[0].board.create({ title: 'written meanwhile' })
    peers[0].board.update(online.id, { priority: 0 })
    const fresh = await startPeer('c', 3, c.doc, c.mesh.config.privateKey) // the same peer (identity), back online
    peers[2] = fresh
    await converged(peers)
    assert.equal(peers[0].board.get(offline.id).title, 'written offline')
    assert.equal(fresh.board.get(online.id).priority, 0)
  })

  test('a Node peer restarted from its data dir keeps its state and rejoins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nc-state-repl-')); dirs.push(dir)
    const mesh = await meshNode()
    const service = await startStateService({ dataDir: dir, actor: 'd', mesh: meshAsStateMesh(mesh) })
    const d: Peer = { name: 'd', mesh, doc: service.doc, service, board: new Board({ doc: service.doc, actor: 'd' }), memory: new MemoryStore({ doc: service.doc, actor: 'd' }) }
    peers.push(d)
    await converged(peers)
    const count = d.board.list().length
    const held = service.provider?.replica.log.size ?? 0
    assert.ok(held > 0)
    await service.stop(); await mesh.stop()
    peers[0].board.create({ title: 'while d was down' })
    const reopened = await startStateService({ dataDir: dir, actor: 'd' }) // from disk only, no mesh yet
    assert.equal(new Board({ doc: reopened.doc, actor: 'd' }).list().length, count)
    await reopened.stop()
    const mesh2 = await meshNode()
    const service2 = await startStateService({ dataDir: dir, actor: 'd', mesh: meshAsStateMesh(mesh2) })
    // the signed entries came back from disk: this peer can relay what it held, signatures and all
    assert.ok((service2.provider?.replica.log.size ?? 0) >= held)
    peers[3] = { ...d, mesh: mesh2, service: service2, doc: service2.doc, board: new Board({ doc: service2.doc, actor: 'd' }), memory: new MemoryStore({ doc: service2.doc, actor: 'd' }) }
    await converged(peers)
  })

  test('an issue written by the CLI into a stopped peer\'s data dir reaches the mesh when the peer starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nc-state-cli-')); dirs.push(dir)
    const created = await withState(dir, async s => await s.exec('issues.create', { title: 'written with no peer running' })) as { id: string }
    assert.equal(typeof created.id, 'string')
    const mesh = await meshNode(await loadOrCreateIdentity(dir)) // the data dir's own identity, as `novacron peer --data-dir`
    const service = await startStateService({ dataDir: dir, actor: 'e', mesh: meshAsStateMesh(mesh) })
    peers.push({ name: 'e', mesh, doc: service.doc, service, board: new Board({ doc: service.doc, actor: 'e' }), memory: new MemoryStore({ doc: service.doc, actor: 'e' }) })
    await converged(peers)
    assert.equal(peers[0].board.get(created.id).title, 'written with no peer running')
  })

  test('junk frames and schema-breaking entries from a Byzantine peer are dropped or skipped', async () => {
    const evil = await meshNode()
    try {
      const target = peers[0]
      await waitFor(() => evil.links().some(l => l.peerId === target.mesh.peerId.toString() && !l.limited), { timeout: 90_000, message: "evil peer connected" })
      const before = target.provider?.stats.badMessages ?? 0
      const junk = [new Uint8Array([]), new Uint8Array([9, 9, 9]), new Uint8Array([0, 2, 200, 1, 2]), new Uint8Array([0, 0, 1, 0]), new Uint8Array([1, 255, 255, 255, 255, 15])]
      for (const j of junk) await evil.publish(STATE_TOPIC, j)
      // a junk request gets an error response; a valid-looking batch with a garbage update is dropped
      await assert.rejects(evil.request(target.mesh.peerId, STATE_PROTOCOL, new Uint8Array([200, 1])))
      await evil.request(target.mesh.peerId, STATE_PROTOCOL, encodeBatch([new Uint8Array([0, 1, 3, 1, 2, 3])]))
      // schema-breaking but valid Yjs: replicated everywhere, skipped by every reader
      // (signed by the evil peer itself: an accepted author may write nonsense, readers skip it)
      const bad = attackerDoc(evil.peerId.toString(), 7)
      Y.applyUpdate(bad, Y.encodeStateAsUpdate(target.doc))
      const sv = Y.encodeStateVector(bad)
      bad.getMap('issues').set('nc-evil99', new Y.Map([['id', 'nc-evil99'], ['status', 'pwned']]))
      bad.getMap('memory').set('ns:x', 'not an entry')
      // delivered by request (reliable; gossip from a fresh peer may race its subscription exchange)
      await evil.request(target.mesh.peerId, STATE_PROTOCOL, encodeBatch([await signedAs(evil, 7, 0, Y.encodeStateAsUpdate(bad, sv))]))
      await waitFor(() => peers.every(p => p.board.invalid().some(i => i.id === 'nc-evil99')), { timeout: 90_000, message: "evil entry replicated" })
      assert.ok((target.provider?.stats.badMessages ?? 0) > before)
      for (const p of peers) {
        assert.ok(!p.board.list().some(i => i.id === 'nc-evil99'))
        assert.deepEqual(p.memory.invalidKeys(), ['ns:x'])
      }
      // honest peers still work and converge
      peers[1].board.create({ title: 'after the attack' })
      await converged(peers)
    } finally {
      await evil.stop()
    }
  })
})
