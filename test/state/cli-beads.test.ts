/**
 * The board and memory CLI as Beads (`bd`) users expect it (issue 18, items 7 and 8), through the
 * CLI entry point in this process against a temporary data dir: positional titles and short
 * flags, P0-P4, id prefixes, several ids, dep add/remove/tree, blocked, delete, label add/remove,
 * --limit and priority order, export -o, Beads import; one JSON shape per kind of answer;
 * validated filters; memory retrieve/get, text values, stats, clear, export, short passphrases.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { after, describe, test } from 'node:test'
import { main } from '../../node-runtime/cli/main.ts'

const dirs: string[] = []
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })
const tempDir = (): string => { const d = mkdtempSync(join(tmpdir(), 'nc-beads-cli-')); dirs.push(d); return d }

async function run (args: string[], env: Record<string, string> = {}): Promise<{ code: number, out: string, err: string }> {
  let out = ''; let err = ''
  const sink = (fn: (s: string) => void): NodeJS.WritableStream => new Writable({ write (chunk, _enc, cb) { fn(String(chunk)); cb() } })
  const saved = Object.fromEntries(Object.keys(env).map(k => [k, process.env[k]]))
  Object.assign(process.env, env)
  try {
    const code = await main(args, { stdout: sink(s => { out += s }), stderr: sink(s => { err += s }), stdin: Readable.from([]) })
    return { code, out, err }
  } finally {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v }
  }
}
async function json (args: string[]): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await run([...args, '--json'])
  assert.equal(r.code, 0, r.err)
  return JSON.parse(r.out)
}

describe('issues, Beads style', () => {
  test('create with a positional title and short flags, prefixes, several ids, close twice, list order and --limit', async () => {
    const dd = ['--data-dir', tempDir()]
    const bug = await json(['issues', 'create', 'Relay drops peers', '-t', 'bug', '-p', 'P0', '-l', 'mesh,urgent', ...dd])
    assert.deepEqual([bug.type, bug.priority, bug.labels], ['bug', 0, ['mesh', 'urgent']])
    const task = await json(['issues', 'create', 'Write docs', '-p', '3', ...dd])
    const feat = await json(['issues', 'create', '--title', 'Ship it', '-t', 'feature', '-p', 'p1', ...dd])
    assert.equal((await run(['issues', 'create', 'A', '--title', 'B', ...dd])).code, 2, 'title given twice')
    assert.equal((await run(['issues', 'create', 'X', '-p', 'P7', ...dd])).code, 2)

    const list = await json(['issues', 'list', ...dd])
    assert.ok(Array.isArray(list), 'a list is an array')
    assert.deepEqual(list.map((i: { id: string }) => i.id), [bug.id, feat.id, task.id], 'most urgent first')
    assert.deepEqual((await json(['issues', 'list', '--limit', '2', '--sort', 'created', ...dd])).map((i: { id: string }) => i.id), [bug.id, task.id])
    assert.deepEqual((await json(['issues', 'list', '-p', 'P1,P3', ...dd])).map((i: { id: string }) => i.id), [feat.id, task.id])
    for (const bad of [['--status', 'done'], ['--type', 'story'], ['--priority', '9']]) {
      const r = await run(['issues', 'list', ...bad, ...dd])
      assert.equal(r.code, 2, bad.join(' ')); assert.match(r.err, new RegExp(`${bad[0]} must be`))
    }

    // a unique prefix of the hash part, and of the whole id
    const shown = await json(['issues', 'show', bug.id.slice(3, 7), ...dd])
    assert.equal(shown.id, bug.id)
    assert.equal((await json(['issues', 'show', bug.id.slice(0, 7), ...dd])).id, bug.id)
    const both = await json(['issues', 'show', bug.id, task.id, ...dd])
    assert.deepEqual(both.map((i: { id: string }) => i.id), [bug.id, task.id], 'several ids: an array')
    const ambiguous = await run(['issues', 'show', 'nc-', ...dd])
    assert.equal(ambiguous.code, 1); assert.match(ambiguous.err, /matches 3 issues/)

    const closed = await run(['issues', 'close', bug.id, task.id, '-r', 'done', ...dd])
    assert.equal(closed.code, 0, closed.err); assert.match(closed.out, /closed/); assert.equal(closed.err, '')
    const again = await run(['issues', 'close', bug.id, ...dd])
    assert.equal(again.code, 0); assert.match(again.err, new RegExp(`${bug.id} was already closed`))
    assert.equal((await json(['issues', 'show', bug.id, ...dd])).comments.length, 1, 'no second reason comment')
    const closedJson = await json(['issues', 'close', feat.id, ...dd])
    assert.ok(Array.isArray(closedJson)); assert.equal(closedJson[0].status, 'closed')
  })

  test('dep add/remove/tree, blocked, link shows the new link, label add/remove, delete with confirmation', async () => {
    const dd = ['--data-dir', tempDir()]
    const a = await json(['issues', 'create', 'Ship', ...dd])
    const b = await json(['issues', 'create', 'Docs', ...dd])
    const c = await json(['issues', 'create', 'Examples', ...dd])
    const added = await run(['issues', 'dep', 'add', a.id, b.id, ...dd])
    assert.equal(added.code, 0, added.err); assert.match(added.out, new RegExp(`linked: ${a.id} depends-on ${b.id}`))
    await json(['issues', 'dep', 'add', b.id, c.id, ...dd])
    const linked = await run(['issues', 'link', a.id, c.id, '--type', 'related', ...dd])
    assert.match(linked.out, new RegExp(`linked: ${a.id} related ${c.id}`)); assert.match(linked.out, new RegExp(`related: +${c.id}`))
    const tree = await run(['issues', 'dep', 'tree', a.id, ...dd])
    assert.match(tree.out, new RegExp(`^${a.id} \\[P2 open\\] Ship\\n└─ ${b.id} \\[P2 open\\] Docs\\n   └─ ${c.id} \\[P2 open\\] Examples`))
    const treeJson = await json(['issues', 'dep', 'tree', a.id, ...dd])
    assert.equal(treeJson.dependsOn[0].dependsOn[0].id, c.id)
    const blocked = await json(['issues', 'blocked', ...dd])
    assert.deepEqual(blocked.map((i: { id: string, blockedBy: string[] }) => [i.id, i.blockedBy]), [[a.id, [b.id]], [b.id, [c.id]]])
    await json(['issues', 'dep', 'remove', a.id, b.id, ...dd])
    assert.deepEqual((await json(['issues', 'blocked', ...dd])).map((i: { id: string }) => i.id), [b.id])

    const labelled = await json(['issues', 'label', 'add', a.id, 'mesh', 'p2p', ...dd])
    assert.deepEqual(labelled.labels, ['mesh', 'p2p'])
    assert.deepEqual((await json(['issues', 'label', 'remove', a.id, 'mesh', ...dd])).labels, ['p2p'])

    const refused = await run(['issues', 'delete', c.id, ...dd])
    assert.equal(refused.code, 2); assert.match(refused.err, /--yes/)
    assert.equal((await json(['issues', 'show', c.id, ...dd])).id, c.id, 'nothing deleted without --yes')
    const deleted = await run(['issues', 'delete', c.id, '--yes', ...dd])
    assert.equal(deleted.code, 0, deleted.err); assert.match(deleted.out, new RegExp(`deleted ${c.id} \\(links removed from ${[a.id, b.id].sort().join(', ')}\\)`))
    assert.equal((await run(['issues', 'show', c.id, ...dd])).code, 1)
    assert.deepEqual((await json(['issues', 'show', a.id, ...dd])).links, [])
  })

  test('export: JSON Lines, --json an array (not a string), -o a file; import reads Beads JSON Lines', async () => {
    const dir = tempDir()
    const dd = ['--data-dir', dir]
    await json(['issues', 'create', 'One', ...dd])
    await json(['issues', 'create', 'Two', ...dd])
    const lines = await run(['issues', 'export', ...dd])
    assert.deepEqual(lines.out.trim().split('\n').map(l => JSON.parse(l).title), ['One', 'Two'])
    const arr = await json(['issues', 'export', ...dd])
    assert.ok(Array.isArray(arr)); assert.deepEqual(arr.map((i: { title: string }) => i.title), ['One', 'Two'])
    const file = join(dir, 'board.jsonl')
    const written = await run(['issues', 'export', '-o', file, ...dd])
    assert.equal(written.out, `2 issues written to ${file}\n`)
    assert.equal(readFileSync(file, 'utf8'), lines.out)

    const fresh = ['--data-dir', tempDir()]
    const imported = await json(['issues', 'import', new URL('../vectors/beads/export.jsonl', import.meta.url).pathname, ...fresh])
    assert.equal(imported.created, 6); assert.equal(imported.fromBeads, 6); assert.ok('bd-1' in imported.renamed)
    const bug = await json(['issues', 'show', 'a1b2', ...fresh])
    assert.equal(bug.title, 'Relay reconnect drops peers')
    assert.deepEqual(bug.blockedBy, [imported.renamed['bd-1']])
  })
})

describe('memory, as documented', () => {
  test('retrieve (get alias), text values, stats, clear with confirmation, plaintext export, short passphrases refused', async () => {
    const dir = tempDir()
    const dd = ['--data-dir', dir]
    await json(['memory', 'store', 'greeting', 'hello mesh', ...dd])
    await json(['memory', 'store', 'n', '42', ...dd])
    await json(['memory', 'store', 's42', '42', '--string', ...dd])
    await json(['memory', 'store', 'plan', '{"owner":"ann"}', '-n', 'agents', ...dd])
    assert.equal((await run(['memory', 'retrieve', 'greeting', ...dd])).out, 'hello mesh\n')
    assert.equal((await run(['memory', 'get', 'greeting', ...dd])).out, 'hello mesh\n')
    assert.equal(await json(['memory', 'get', 'n', ...dd]), 42)
    assert.equal(await json(['memory', 'retrieve', 's42', ...dd]), '42')
    assert.deepEqual(await json(['memory', 'retrieve', 'plan', '-n', 'agents', ...dd]), { owner: 'ann' })
    const missing = await run(['memory', 'retrieve', 'nope', ...dd])
    assert.equal(missing.code, 1); assert.equal(missing.err, "novacron memory retrieve: no key 'nope' in namespace 'default'\n")

    const stats = await json(['memory', 'stats', ...dd])
    assert.deepEqual([stats.entries, stats.namespaces, stats.byNamespace], [4, 2, { agents: 1, default: 3 }])

    assert.equal((await run(['memory', 'clear', ...dd])).code, 2, '--namespace is required')
    const asked = await run(['memory', 'clear', '-n', 'default', ...dd])
    assert.equal(asked.code, 2); assert.match(asked.err, /Delete all 3 entries of namespace 'default'.*--yes/)
    assert.equal((await json(['memory', 'list', ...dd])).length, 4)
    assert.deepEqual(await json(['memory', 'clear', '-n', 'default', '--yes', ...dd]), { namespace: 'default', deleted: 3 })
    assert.deepEqual((await json(['memory', 'list', ...dd])).map((e: { key: string }) => e.key), ['plan'])

    const plain = await run(['memory', 'export', ...dd])
    assert.deepEqual(JSON.parse(plain.out.trim()).value, { owner: 'ann' })
    const file = join(dir, 'mem.jsonl')
    assert.deepEqual(await json(['memory', 'export', '-o', file, ...dd]), { file, entries: 1 })
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).key, 'plan')

    const short = await run(['memory', 'backup', join(dir, 'm.ncb'), ...dd], { NOVACRON_PASSPHRASE: 'seven77' })
    assert.equal(short.code, 2); assert.match(short.err, /at least 8/)
    const ok = await run(['memory', 'backup', join(dir, 'm.ncb'), ...dd], { NOVACRON_PASSPHRASE: 'eight888' })
    assert.equal(ok.code, 0, ok.err)
  })
})
