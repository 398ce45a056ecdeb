/**
 * Safe terminal output (issue 19, defect 5): `escapeForTerminal` / `safeJson` on every character
 * class a terminal acts on, and the state CLI printing an issue another peer wrote with ESC, BEL,
 * C1 and bidi characters in its title, description and comment: the output contains none of them.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { after, test } from 'node:test'
import fc from 'fast-check'
import * as Y from 'yjs'
import { Board } from '../../core/state/board.ts'
import { escapeForTerminal, safeJson, safeJsonLines } from '../../node-runtime/cli/escape.ts'
import { main } from '../../node-runtime/cli/main.ts'
import { openPersistentDoc } from '../../node-runtime/state/persistence.ts'

// everything a terminal may act on: C0, DEL, C1, bidi marks/embeddings/overrides/isolates, LS/PS
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u
// what CLI output may not contain: the same, except the newlines that end its own lines
const UNSAFE_OUT = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u
const HOSTILE = '\u001b]0;owned\u0007\u001b[2J\u001b[31mred\u009b31m\u202eevil\u2066x\u2069\u007f\u0000'

const dirs: string[] = []
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

test('escapeForTerminal makes every control, C1 and bidi character visible and keeps the rest', () => {
  assert.equal(escapeForTerminal('\u001b[31mred\u0007'), '\\x1B[31mred\\x07')
  assert.equal(escapeForTerminal('a\tb\nc\rd'), 'a\\tb\\nc\\rd')
  assert.equal(escapeForTerminal('\u009b\u007f\u0000'), '\\x9B\\x7F\\x00')
  assert.equal(escapeForTerminal('\u202eabc\u2066\u200f\u2028'), '\\u{202E}abc\\u{2066}\\u{200F}\\u{2028}')
  assert.equal(escapeForTerminal('Grüße, 日本, emoji 🎉, \\x1b stays text'), 'Grüße, 日本, emoji 🎉, \\x1b stays text')
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 64 }), s => {
    const out = escapeForTerminal(s)
    assert.doesNotMatch(out, UNSAFE)
    // idempotent on safe text: escaping never introduces what it removes
    assert.equal(escapeForTerminal(out), out.replace(/\\/g, '\\'))
  }), { seed: 19, numRuns: 2000 })
})

test('safeJson is valid JSON of the same value with nothing a terminal acts on', () => {
  fc.assert(fc.property(fc.jsonValue(), fc.string({ unit: 'binary', maxLength: 32 }), (v, s) => {
    const value = { v, s }
    const text = safeJson(value)
    assert.doesNotMatch(text, UNSAFE)
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)))
    assert.doesNotMatch(safeJsonLines(JSON.stringify(value)), UNSAFE)
  }), { seed: 19, numRuns: 1000 })
})

async function cli (args: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''; let err = ''
  const sink = (fn: (s: string) => void): NodeJS.WritableStream => new Writable({ write (chunk, _enc, cb) { fn(String(chunk)); cb() } })
  const code = await main(args, { stdout: sink(s => { out += s }), stderr: sink(s => { err += s }), stdin: Readable.from([]) })
  return { code, out, err }
}

test('an issue with ESC/BEL/C1/bidi in its fields, written by another peer: issues list/show/export and memory print none of them', async () => {
  // the other peer: its own document and actor; its update reaches our data dir as replication would
  const remote = new Y.Doc()
  const board = new Board({ doc: remote, actor: '12D3KooWHostilePeer' })
  const issue = board.create({ title: `title ${HOSTILE}`, description: `line one ${HOSTILE}\nline two` })
  board.comment(issue.id, `comment ${HOSTILE}`)
  remote.getMap('memory') // the memory map is written through the store below
  const dir = mkdtempSync(join(tmpdir(), 'nc-escape-')); dirs.push(dir)
  const local = await openPersistentDoc(dir)
  Y.applyUpdate(local.doc, Y.encodeStateAsUpdate(remote), 'remote')
  await local.flush(); await local.close()
  const { MemoryStore } = await import('../../core/state/memory.ts')

  const runs = [
    ['issues', 'list'], ['issues', 'show', issue.id], ['issues', 'list', '--json'], ['issues', 'show', issue.id, '--json'], ['issues', 'export']
  ]
  for (const args of runs) {
    const r = await cli([...args, '--data-dir', dir])
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`)
    assert.match(r.out, /title/)
    assert.doesNotMatch(r.out, UNSAFE_OUT, `${args.join(' ')} printed a raw control character: ${JSON.stringify(r.out)}`)
    assert.doesNotMatch(r.err, UNSAFE_OUT)
  }
  const shown = (await cli(['issues', 'show', issue.id, '--data-dir', dir])).out
  assert.ok(shown.includes('\\x1B]0;owned\\x07'), 'the escapes are visible as text')
  assert.ok(shown.includes('line two'), 'description lines stay lines')

  // memory values written by another peer, printed by list/get
  const mdoc = new Y.Doc()
  new MemoryStore({ doc: mdoc, actor: '12D3KooWHostilePeer' }).store('default', 'k', { text: HOSTILE })
  const again = await openPersistentDoc(dir)
  Y.applyUpdate(again.doc, Y.encodeStateAsUpdate(mdoc), 'remote')
  await again.flush(); await again.close()
  for (const args of [['memory', 'list'], ['memory', 'get', 'k'], ['memory', 'list', '--json']]) {
    const r = await cli([...args, '--data-dir', dir])
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`)
    assert.doesNotMatch(r.out, UNSAFE_OUT, `${args.join(' ')} printed a raw control character: ${JSON.stringify(r.out)}`)
  }
})
