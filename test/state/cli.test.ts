/**
 * `novacron issues` and `novacron memory` as real processes: against a data dir directly, and
 * through a running peer's control endpoint while the peer holds the data dir's lock.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { after, describe, test } from 'node:test'
import { Board } from '../../core/state/board.ts'
import { MemoryStore } from '../../core/state/memory.ts'
import { main } from '../../node-runtime/cli/main.ts'
import { startStateService } from '../../node-runtime/state/service.ts'
import { startCli, stopAll } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

const dirs: string[] = []
after(async () => {
  await stopAll()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const tempDir = (): string => { const d = mkdtempSync(join(tmpdir(), 'nc-state-cli-')); dirs.push(d); return d }

async function cli (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null, out: string, err: string }> {
  const p = startCli(args, env)
  const code = await p.exited
  return { code, out: p.stdout, err: p.stderr }
}
const json = async (args: string[], env?: NodeJS.ProcessEnv): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await cli([...args, '--json'], env)
  assert.equal(r.code, 0, r.err)
  return JSON.parse(r.out)
}

/** The same CLI entry point in this process (cheaper than a process per call on a loaded machine). */
async function inProcess (args: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''; let err = ''
  const sink = (fn: (s: string) => void): NodeJS.WritableStream => new Writable({ write (chunk, _enc, cb) { fn(String(chunk)); cb() } })
  const code = await main(args, { stdout: sink(s => { out += s }), stderr: sink(s => { err += s }), stdin: Readable.from([]) })
  return { code, out, err }
}
const jsonIn = async (args: string[]): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await inProcess([...args, '--json'])
  assert.equal(r.code, 0, r.err)
  return JSON.parse(r.out)
}

describe('state CLI', () => {
  test('issues against a data dir (CLI entry point in-process): create, update, link, ready, show, bad input, state kept between runs', async () => {
    const dir = tempDir()
    const dd = ['--data-dir', dir]
    const a = await jsonIn(['issues', 'create', '--title', 'Write docs', '--priority', '1', '--label', 'docs', ...dd])
    const b = await jsonIn(['issues', 'create', '--title', 'Ship', '--type', 'feature', ...dd])
    assert.equal(a.priority, 1); assert.deepEqual(a.labels, ['docs']); assert.equal(b.type, 'feature')
    await jsonIn(['issues', 'link', b.id, a.id, '--type', 'depends-on', ...dd])
    const ready = await jsonIn(['issues', 'ready', ...dd])
    assert.deepEqual(ready.map((i: { id: string }) => i.id), [a.id])
    const cycle = await inProcess(['issues', 'link', a.id, b.id, ...dd])
    assert.equal(cycle.code, 1); assert.match(cycle.err, /would close a dependency cycle/); assert.doesNotMatch(cycle.err, /Error/)
    const cycleJson = await inProcess(['issues', 'link', a.id, b.id, '--json', ...dd])
    assert.equal(JSON.parse(cycleJson.err).error.name, 'DependencyCycleError')
    const badFlag = await inProcess(['issues', 'update', a.id, '--priority', '9', ...dd])
    assert.equal(badFlag.code, 2); assert.match(badFlag.err, /--priority must be 0-4 or P0-P4 \(got '9'\)/)
    const badStatus = await inProcess(['issues', 'update', a.id, '--status', 'done', ...dd])
    assert.equal(badStatus.code, 2)
    const table = await inProcess(['issues', 'update', a.id, '--status', 'closed', ...dd])
    assert.equal(table.code, 0); assert.match(table.out, /ID\s+P\s+STATUS/); assert.match(table.out, /closed/)
    const shown = await inProcess(['issues', 'show', b.id, ...dd])
    assert.match(shown.out, new RegExp(`blocked by: ${a.id}`))
    const stats = await jsonIn(['issues', 'stats', ...dd])
    assert.equal(stats.total, 2); assert.equal(stats.byStatus.closed, 1); assert.equal(stats.ready, 1)
    const exported = (await inProcess(['issues', 'export', ...dd])).out
    const file = join(dir, 'issues.jsonl'); writeFileSync(file, exported)
    const other = tempDir()
    assert.deepEqual(await jsonIn(['issues', 'import', file, '--data-dir', other]), { created: 2, replaced: 0, skipped: 0, fromBeads: 0, renamed: {} })
    assert.equal((await jsonIn(['issues', 'list', '--data-dir', other])).length, 2)
    const missing = await inProcess(['issues', 'show', 'nc-zzzzzz', ...dd])
    assert.equal(missing.code, 1); assert.equal(missing.err, "novacron issues show: no issue 'nc-zzzzzz'\n")
    const help = await inProcess(['issues', 'create', '--help'])
    assert.equal(help.code, 0); assert.match(help.out, /--title/); assert.match(help.out, /--data-dir/)
  })

  test('through a running peer: the CLI uses its control endpoint while the peer holds the lock', async () => {
    const dir = tempDir()
    // Only real CLI processes while this process holds the lock: LevelDB's failed second open in the
    // same process would close its lock file and drop the holder's POSIX lock with it.
    const peer = await startStateService({ dataDir: dir, actor: 'peer-1' })
    try {
      const board = new Board({ doc: peer.doc, actor: 'peer-1' })
      const memory = new MemoryStore({ doc: peer.doc, actor: 'peer-1' })
      const created = await json(['issues', 'create', '--title', 'Via peer', '--data-dir', dir])
      assert.equal(board.get(created.id).title, 'Via peer') // in the live document at once
      await json(['memory', 'store', 'k', '{"v":[1,2]}', '--namespace', 'agents', '--ttl', '10m', '--data-dir', dir])
      assert.deepEqual(memory.get('agents', 'k').value, { v: [1, 2] })
      const env = { NOVACRON_PASSPHRASE: 'hunter2-but-longer' }
      const bk = join(dir, 'mem.ncb')
      assert.equal((await json(['memory', 'backup', bk, '--data-dir', dir], env)).entries, 1)
      await json(['memory', 'delete', 'k', '--namespace', 'agents', '--data-dir', dir])
      assert.equal(memory.list().length, 0)
      const wrong = await cli(['memory', 'restore', bk, '--data-dir', dir], { NOVACRON_PASSPHRASE: 'nope' })
      assert.equal(wrong.code, 1); assert.doesNotMatch(wrong.err, /WrongPassphraseError/)
      assert.equal(JSON.parse((await cli(['memory', 'restore', bk, '--data-dir', dir, '--json'], { NOVACRON_PASSPHRASE: 'nope-nope' })).err).error.name, 'WrongPassphraseError')
      assert.equal(memory.list().length, 0)
      assert.equal((await json(['memory', 'restore', bk, '--data-dir', dir], env)).restored, 1)
      const found = await json(['memory', 'search', '*', '--value', '[1,2]', '--data-dir', dir])
      assert.deepEqual(found.map((e: { key: string }) => e.key), ['k'])
    } finally {
      await peer.stop()
    }
    // After the peer stops, its state is on disk and the CLI opens the data dir itself.
    const list = await jsonIn(['issues', 'list', '--data-dir', dir])
    assert.deepEqual(list.map((i: { title: string }) => i.title), ['Via peer'])
    const got = await cli(['memory', 'get', 'k', '--namespace', 'agents', '--data-dir', dir])
    assert.equal(got.code, 0); assert.deepEqual(JSON.parse(got.out), { v: [1, 2] })
  })

  test('real peer processes: an edit made through one peer reaches another; a restarted peer keeps its state', async () => {
    const dir = tempDir()
    const boot = startCli(['start', '--port', '0', '--ws-port', '0', '--host', '127.0.0.1', '--data-dir', join(dir, 'boot'), '--json'])
    await boot.waitForOutput(/"event":"listening"/, 90_000)
    const addr = (JSON.parse(boot.stdout.split('\n').find(l => l.includes('"event":"listening"')) as string) as { multiaddrs: string[] }).multiaddrs[0]
    const peerArgs = ['peer', '--bootstrap', addr, '--data-dir', join(dir, 'p1'), '--json']
    let peer = startCli(peerArgs)
    await peer.waitForOutput(/"event":"listening"/, 90_000)
    const created = await json(['issues', 'create', '--title', 'through p1', '--data-dir', join(dir, 'p1')])
    // the bootstrap runs a replica too: the CLI reads it through the bootstrap's control endpoint
    await waitFor(async () => (await jsonIn(['issues', 'list', '--data-dir', join(dir, 'boot')])).some((i: { id: string }) => i.id === created.id),
      { timeout: 90_000, interval: 500, message: 'issue replicated to the bootstrap' })
    await jsonIn(['issues', 'update', created.id, '--status', 'in_progress', '--data-dir', join(dir, 'boot')])
    assert.equal(await peer.stop(), 0)
    const offline = await jsonIn(['issues', 'show', created.id, '--data-dir', join(dir, 'p1')]) // p1 is down: read from its data dir
    assert.equal(offline.title, 'through p1')
    peer = startCli(peerArgs)
    await peer.waitForOutput(/"event":"listening"/, 90_000)
    await waitFor(async () => (await jsonIn(['issues', 'show', created.id, '--data-dir', join(dir, 'p1')])).status === 'in_progress',
      { timeout: 90_000, interval: 500, message: 'restarted peer catches up' })
    await peer.stop(); await boot.stop()
  })
})
