/**
 * A tab's blobs survive a reload (app/jobs/idb-blob-store.ts): `novacron start` (its own worker
 * paused, so only the tab computes) and one Chromium tab. The tab computes every task of a job of
 * 3 Mandelbrot tiles, so their results exist nowhere else; the tab is reloaded (same peer id, a
 * fresh page: nothing in memory survives), loads its blobs back from IndexedDB (each chunk
 * re-checked), and the bootstrap fetches every result from it over the mesh; they equal a local
 * run. Then one of its chunks is damaged in IndexedDB: reloaded again, the tab drops it at load
 * (re-checked against its xxHash64) instead of serving it. The ledger runs one replica
 * (`ledger.maxReplicas` 1).
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import type { TaskState } from '../../core/jobs/state.ts'
import { createNodeTaskRunner } from '../../node-runtime/jobs/runner.ts'
import { JobsTabCluster } from '../_support/jobs-tabs.ts'
import type { ClusterPeer } from '../_support/ledger-cluster.ts'
import { startCli } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'
import { examplePath, exampleWasm } from './_examples.ts'

const DEADLINE = 240_000

describe('jobs: a reloaded tab still serves the results it computed', { timeout: 900_000 }, () => {
  const mesh = new JobsTabCluster()
  const cluster = mesh.cluster
  let tab: Page
  let boot: ClusterPeer

  before(async () => {
    await mesh.start({ nodePeers: 0, tabs: 1, timeout: DEADLINE })
    boot = mesh.boot
    tab = mesh.tabs[0]
    await cluster.op(boot, 'job.pause', { paused: true })
  })
  after(async () => { await mesh.stop() })

  const reload = async (): Promise<void> => {
    await tab.reload()
    await tab.waitForFunction('globalThis.__novacronJobs?.worker() != null', undefined, { timeout: DEADLINE })
  }

  test('the tab computes, reloads, and the bootstrap fetches every result from its IndexedDB', async () => {
    const tabId = await tab.evaluate('globalThis.__novacronJobs.self') as string
    const argsOf = Array.from({ length: 3 }, (_, i) => ['--checksum', '192', '96', String(i * 48), '32', '48', '32', String(400 + i)])
    const split = join(cluster.root, 'tab-blobs.jsonl')
    writeFileSync(split, argsOf.map(args => JSON.stringify({ args })).join('\n') + '\n')
    const p = startCli(['job', 'submit', examplePath('mandelbrot', 'wasm'), '--split', split, '--timeout', '120s', '--json', '--data-dir', boot.dataDir])
    assert.equal(await p.exited, 0, p.stderr)
    const { job } = JSON.parse(p.stdout) as { job: string }
    let tasks: TaskState[] = []
    await waitFor(async () => {
      tasks = (await cluster.op(boot, 'job.tasks', { job }) as { tasks: TaskState[] }).tasks
      return tasks.every(t => t.status === 'done')
    }, { timeout: 300_000, interval: 500, message: () => `the tab computing ${job}; now ${tasks.filter(t => t.status === 'done').length}/${argsOf.length}` })
    assert.ok(tasks.every(t => t.slots[0].result?.worker === tabId), 'the tab computed every task')
    const outputs = tasks.map(t => t.output as string)
    // everything the tab stored is in IndexedDB before the reload (a write still queued would be lost)
    await tab.evaluate('globalThis.__novacronJobs.blobs.store.flush()')

    await reload()
    assert.equal(await tab.evaluate('globalThis.__novacronJobs.self'), tabId, 'the same peer after the reload')
    const loaded = JSON.parse(await tab.evaluate('JSON.stringify(globalThis.__novacronJobs.blobs.store.stats)')) as { loadedBlobs: number, dropped: number }
    assert.ok(loaded.loadedBlobs >= outputs.length, `the results were loaded from IndexedDB: ${JSON.stringify(loaded)}`)
    assert.equal(loaded.dropped, 0)
    const held = await tab.evaluate(`${JSON.stringify(outputs)}.map(o => globalThis.__novacronJobs.blobs.has(o))`) as boolean[]
    assert.deepEqual(held, outputs.map(() => true), 'the reloaded tab holds every result')

    // the bootstrap never had the results: it fetches them from the reloaded tab
    let last: Array<{ stdout?: string, fetchError?: string }> = []
    const rows = await waitFor(async () => {
      last = await cluster.op(boot, 'job.result', { job }) as typeof last
      return last.every(r => r.stdout != null) ? last : null
    }, { timeout: 180_000, interval: 1000, message: () => `every result fetched from the reloaded tab; now ${JSON.stringify(last.map(r => r.fetchError ?? 'ok'))}` })
    const served = JSON.parse(await tab.evaluate('JSON.stringify(globalThis.__novacronJobs.blobs.served)')) as { manifests: number, chunks: number }
    assert.ok(served.manifests >= outputs.length && served.chunks >= outputs.length, `the reloaded tab served them: ${JSON.stringify(served)}`)
    const runner = await createNodeTaskRunner({ capacity: 1 })
    try {
      const module = exampleWasm('mandelbrot')
      for (const [i, args] of argsOf.entries()) {
        const local = (await runner.run(module, { args })).stdout
        assert.equal(Buffer.from(rows[i].stdout ?? '', 'base64').toString('utf8'), Buffer.from(local).toString('utf8'), `tile ${i} equals a local run`)
      }
    } finally {
      runner.stop()
    }

    // a chunk damaged in IndexedDB is caught when the reloaded tab loads it, and dropped
    const damaged = await tab.evaluate(`(async () => {
      const j = globalThis.__novacronJobs
      const hash = j.blobs.store.getManifest(${JSON.stringify(outputs[0])}).chunks[0].hash
      await j.blobs.store.flush()
      const db = await new Promise((resolve, reject) => { const r = indexedDB.open('novacron-blobs:' + j.self, 1); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error) })
      await new Promise((resolve, reject) => {
        const tx = db.transaction('chunks', 'readwrite')
        const store = tx.objectStore('chunks')
        const get = store.get(hash)
        get.onsuccess = () => { const b = get.result.slice(); b[0] ^= 0xff; store.put(b, hash) }
        tx.oncomplete = resolve
        tx.onerror = () => reject(tx.error)
      })
      db.close()
      return hash
    })()`) as string
    assert.match(damaged, /^[0-9a-f]{16}$/)
    await reload()
    const again = JSON.parse(await tab.evaluate('JSON.stringify(globalThis.__novacronJobs.blobs.store.stats)')) as { dropped: number }
    assert.ok(again.dropped >= 1, `the damaged chunk was dropped at load: ${JSON.stringify(again)}`)
  })
})
