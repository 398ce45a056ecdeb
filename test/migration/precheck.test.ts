/**
 * The submit-time checkpointability answer (core/migration/precheck.ts) and what the submitter
 * sees: the clang-built counter and a module with no WASI call (its loop has a poll point since
 * session 11) can be checkpointed; one without its own memory, one importing more than WASI, one
 * over the size bound and one that does not compile each get their typed reason; `novacron job
 * submit` (a real bootstrap peer) prints the note on stderr for a module without its own memory,
 * and none for the counter, with the `checkpointable` field in --json.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { precheckCheckpointable } from '../../core/migration/precheck.ts'
import { buildModule, FD_WRITE, loopModule } from '../_support/wasm-builder.ts'
import { LedgerCluster, type ClusterPeer } from '../_support/ledger-cluster.ts'
import { startCli } from '../_support/processes.ts'
import { exampleWasm, examplePath } from '../jobs/_examples.ts'

test('the counter can be checkpointed; each module that cannot gets its typed reason', async () => {
  assert.deepEqual(await precheckCheckpointable(exampleWasm('counter')), { ok: true })
  const reason = async (b: Uint8Array, max?: number): Promise<string> => {
    const r = await precheckCheckpointable(b, max != null ? { maxModuleBytes: max } : {})
    assert.equal(r.ok, false)
    return r.ok ? '' : r.reason
  }
  assert.deepEqual(await precheckCheckpointable(loopModule()), { ok: true }, 'no WASI call: it is paused at its loop\'s poll point')
  assert.equal(await reason(buildModule({ imports: [FD_WRITE, { module: 'novacron', name: 'poll', params: 0, results: 0 }], memory: { min: 1 }, body: [] })), 'foreign-imports')
  assert.equal(await reason(buildModule({ imports: [FD_WRITE], body: [] })), 'no-memory')
  assert.equal(await reason(buildModule({ imports: [FD_WRITE], memory: { min: 1 }, exportMemory: false, body: [] })), 'no-memory')
  assert.equal(await reason(exampleWasm('counter'), 1000), 'too-large')
  assert.equal(await reason(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff])), 'parse-failed')
})

describe('novacron job submit tells the submitter', { timeout: 300_000 }, () => {
  const cluster = new LedgerCluster({ flags: ['--job-capacity', '0'] })
  const dir = mkdtempSync(join(tmpdir(), 'nc-precheck-'))
  let boot: ClusterPeer
  before(async () => { boot = await cluster.startBoot() })
  after(async () => { await cluster.stop(); rmSync(dir, { recursive: true, force: true }) })

  async function submit (path: string, json: boolean): Promise<{ code: number | null, stdout: string, stderr: string }> {
    const p = startCli(['job', 'submit', path, '--data-dir', boot.dataDir, ...(json ? ['--json'] : [])])
    const code = await p.exited
    return { code, stdout: p.stdout, stderr: p.stderr }
  }

  test('a module without its own memory: a note on stderr, the job id alone on stdout; --json carries the reason', async () => {
    const loop = join(dir, 'loop.wasm')
    writeFileSync(loop, buildModule({ imports: [FD_WRITE], body: [] }))
    const plain = await submit(loop, false)
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stdout, /^\d+\.\d+\n$/)
    assert.match(plain.stderr, /cannot be checkpointed or moved \(no-memory: /)
    const js = await submit(loop, true)
    assert.equal(js.code, 0, js.stderr)
    assert.equal((JSON.parse(js.stdout) as { checkpointable: { ok: boolean, reason?: string } }).checkpointable.reason, 'no-memory')
  })

  test('the counter: no note', async () => {
    const r = await submit(examplePath('counter', 'wasm'), false)
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /checkpointed/)
    const js = await submit(examplePath('counter', 'wasm'), true)
    assert.deepEqual((JSON.parse(js.stdout) as { checkpointable: unknown }).checkpointable, { ok: true })
  })
})
