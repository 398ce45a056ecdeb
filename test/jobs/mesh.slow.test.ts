/**
 * The 200-task run of issue 16 (npm run test:slow): `novacron start` + 2 `novacron peer`s (workers
 * of capacity 1, one ledger replica) run a job of 200 Mandelbrot tiles submitted with
 * `novacron job submit --split`; every task is decided with exactly one committed result, every
 * peer applied the same log, and `novacron job result` equals a local run of the same module.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createNodeTaskRunner } from '../../node-runtime/jobs/runner.ts'
import type { JobSummary } from '../../core/jobs/submitter.ts'
import type { TaskState } from '../../core/jobs/state.ts'
import { LedgerCluster } from '../_support/ledger-cluster.ts'
import { startCli } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'
import { examplePath, exampleWasm } from './_examples.ts'

const N = 200
/** tile i of a 20 × 10 grid of 16 × 16 tiles (a 320 × 160 image) */
const tileArgs = (i: number): string[] => ['--checksum', '320', '160', String((i % 20) * 16), String(Math.floor(i / 20) * 16), '16', '16', '300']

describe(`jobs: ${N} tasks over 3 Node peers`, { timeout: 1_800_000 }, () => {
  const cluster = new LedgerCluster({ flags: ['--job-capacity', '1'] })

  before(async () => {
    const boot = await cluster.startBoot()
    await cluster.op(boot, 'config.set', { key: 'ledger.maxReplicas', value: 1 })
    await cluster.startPeer()
    await cluster.startPeer()
  })
  after(async () => { await cluster.stop() })

  test(`${N} tasks: one committed result each, equal on every peer and to a local run`, async () => {
    const split = join(cluster.root, 'tiles.jsonl')
    writeFileSync(split, Array.from({ length: N }, (_, i) => JSON.stringify({ args: tileArgs(i) })).join('\n') + '\n')
    const p = startCli(['job', 'submit', examplePath('mandelbrot', 'wasm'), '--split', split, '--json', '--data-dir', cluster.peers[1].dataDir])
    assert.equal(await p.exited, 0, p.stderr)
    const { job } = JSON.parse(p.stdout) as { job: string }
    let last: JobSummary[] = []
    await waitFor(async () => {
      last = await Promise.all(cluster.live().map(async peer => await cluster.op(peer, 'job.status', { job }) as JobSummary))
      return last.every(s => s.status === 'done')
    }, { timeout: 1_500_000, interval: 1000, message: () => `job done everywhere; now ${last.map(s => `${s.done}/${s.tasks}`).join(' ')}` })
    const views = await Promise.all(cluster.live().map(async peer => await cluster.op(peer, 'job.tasks', { job }) as { tasks: TaskState[] }))
    for (const v of views) assert.deepEqual(v.tasks, views[0].tasks)
    for (const t of views[0].tasks) {
      assert.equal(t.status, 'done')
      assert.equal(t.slots.filter(s => s.result != null).length, 1)
    }
    const rows = await cluster.op(cluster.peers[0], 'job.result', { job }) as Array<{ stdout: string }>
    const runner = await createNodeTaskRunner({ capacity: 1 })
    try {
      const module = exampleWasm('mandelbrot')
      for (let i = 0; i < N; i++) {
        assert.equal(Buffer.from(rows[i].stdout, 'base64').toString('utf8'), Buffer.from((await runner.run(module, { args: tileArgs(i) })).stdout).toString('utf8'), `task ${i}`)
      }
    } finally {
      runner.stop()
    }
    console.log(`# results by peer: ${JSON.stringify(last[0].reportedBy)}`)
  })
})
