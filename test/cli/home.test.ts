/**
 * The list of running peers and the store the CLI picks without flags (node-runtime/home/registry.ts,
 * node-runtime/state/locate.ts), in a temporary home: names claimed exclusively, the first free
 * peer-<n>, dead pids ignored and cleaned, and each rule of locateStore, including that a read
 * through a mistyped --data-dir is an error that creates nothing.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import * as Y from 'yjs'
import { claimFreePeerName, claimName, novacronHome, releaseName, runningPeers, storedStores, updateRecord } from '../../node-runtime/home/registry.ts'
import { locateStore } from '../../node-runtime/state/locate.ts'
import { openPersistentDoc } from '../../node-runtime/state/persistence.ts'

const dirs: string[] = []
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })
const tempHome = (): string => { const d = mkdtempSync(join(tmpdir(), 'nc-home-test-')); dirs.push(d); return d }
/** A pid that surely is not running: a child that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid as number
const base = { pid: process.pid, role: 'peer' as const, startedAt: 0 }

async function storeAt (dataDir: string): Promise<void> {
  const p = await openPersistentDoc(dataDir)
  p.doc.getMap('issues').set('x', new Y.Map())
  await p.close()
}

test('NOVACRON_HOME overrides ~/.novacron', () => {
  assert.equal(novacronHome({ NOVACRON_HOME: '/x/y' }), '/x/y')
  assert.match(novacronHome({}), /\.novacron$/)
})

test('names are claimed once; peers take the first free peer-<n>; dead holders are replaced', () => {
  const home = tempHome()
  // held by another live process (our parent)
  claimName(home, { ...base, pid: process.ppid, role: 'bootstrap', name: 'bootstrap', dataDir: join(home, 'bootstrap') })
  const other = { ...base, role: 'bootstrap' as const, name: 'bootstrap', dataDir: '/elsewhere' }
  assert.throws(() => { claimName(home, other) }, (e: Error) => e.name === 'PeerNameInUseError' && /taken by a running bootstrap/.test(e.message))
  const p1 = claimFreePeerName(home, { ...base, pid: process.ppid })
  assert.deepEqual([p1.name, p1.dataDir], ['peer-1', join(home, 'peer-1')])
  // peer-2 is held by a process that has exited: it is free again
  claimName(home, { ...base, pid: deadPid(), name: 'peer-2', dataDir: join(home, 'peer-2') })
  const p2 = claimFreePeerName(home, { ...base, dataDir: '/explicit' })
  assert.deepEqual([p2.name, p2.dataDir], ['peer-2', '/explicit'])
  updateRecord(home, { ...p2, peerId: '12D3KooWtest', multiaddrs: ['/ip4/127.0.0.1/tcp/1/ws'] })
  assert.deepEqual(runningPeers(home).map(r => r.name), ['bootstrap', 'peer-1', 'peer-2'], 'bootstrap first, then by name')
  assert.equal(runningPeers(home)[2].peerId, '12D3KooWtest')
  releaseName(home, 'peer-2')
  assert.deepEqual(runningPeers(home).map(r => r.name), ['bootstrap', 'peer-1'])
  releaseName(home, 'peer-1')
  assert.deepEqual(runningPeers(home).map(r => r.name), ['bootstrap', 'peer-1'], 'only the holder releases a name')
})

test('stale records are ignored and removed by the reader', () => {
  const home = tempHome()
  claimName(home, { ...base, pid: deadPid(), name: 'peer-9', dataDir: join(home, 'peer-9') })
  assert.deepEqual(runningPeers(home), [])
  assert.deepEqual(readdirSync(join(home, 'peers')), [])
})

test('locateStore: --data-dir, --peer, a running peer, the stored state, nothing', async () => {
  const home = tempHome()
  // nothing anywhere
  assert.throws(() => locateStore({ home, write: false }), (e: Error) => e.name === 'NoStoreError' && /no peer is running and there is no stored state/.test(e.message))
  assert.throws(() => locateStore({ home, write: true }), (e: Error) => e.name === 'NoStoreError')
  // a mistyped --data-dir: a read is an error and creates nothing; a write may start a store
  const typo = join(home, 'bootstarp')
  assert.throws(() => locateStore({ home, dataDir: typo, write: false }), (e: Error) => e.name === 'NoStoreError' && e.message.includes(typo))
  assert.equal(existsSync(typo), false)
  assert.deepEqual(locateStore({ home, dataDir: typo, write: true }), { dataDir: typo })
  // stored state of a stopped peer: the bootstrap's first, with a note saying no peer runs
  await storeAt(join(home, 'peer-3'))
  await storeAt(join(home, 'bootstrap'))
  assert.deepEqual(storedStores(home).map(s => s.name), ['bootstrap', 'peer-3'])
  const offline = locateStore({ home, write: false })
  assert.equal(offline.dataDir, join(home, 'bootstrap'))
  assert.match(offline.note ?? '', /^no peer is running: using the stored state of 'bootstrap'/)
  assert.match(locateStore({ home, write: true }).note ?? '', /the mesh gets this change when 'bootstrap' starts again/)
  // running peers win, the bootstrap first; --peer picks one by name
  claimName(home, { ...base, name: 'peer-1', dataDir: join(home, 'peer-1') })
  const running = locateStore({ home, write: false })
  assert.equal(running.dataDir, join(home, 'peer-1'))
  assert.match(running.note ?? '', new RegExp(`^using peer 'peer-1' \\(pid ${process.pid}`))
  claimName(home, { ...base, role: 'bootstrap', name: 'bootstrap', dataDir: join(home, 'bootstrap') })
  assert.equal(locateStore({ home, write: false }).dataDir, join(home, 'bootstrap'))
  assert.equal(locateStore({ home, peer: 'peer-1', write: false }).dataDir, join(home, 'peer-1'))
  assert.throws(() => locateStore({ home, peer: 'peer-7', write: false }), (e: Error) => e.name === 'PeerNotRunningError' && /running: bootstrap, peer-1/.test(e.message))
})
