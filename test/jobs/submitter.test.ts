/**
 * core/jobs/submitter.ts and the demo's pure helpers: `buildSubmit` stores module and inputs as
 * blobs and refuses bad fields with `InvalidJobError` before anything is submitted; `--split`
 * lines are parsed field by field (fuzzed: never anything but `InvalidJobError`); the tile grid
 * covers the demo image; `parsePgm` accepts exactly the module's PGM.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildSubmit, parseSplitLine, MAX_SUBMIT_BYTES } from '../../core/jobs/submitter.ts'
import { decodeJobEntry, encodeJobEntry } from '../../core/jobs/entries.ts'
import { DEMO, demoTiles, parsePgm } from '../../app/jobs/mandelbrot-demo.ts'
import { createHash } from 'node:crypto'

const store = (): { put: (b: Uint8Array) => { id: string }, held: Map<string, Uint8Array> } => {
  const held = new Map<string, Uint8Array>()
  return { held, put: b => { const id = createHash('sha256').update(b).digest('hex'); held.set(id, b); return { id } } }
}

test('buildSubmit: module and stdin become blobs; the entry decodes; bad fields are InvalidJobError', () => {
  const s = store()
  const body = buildSubmit(s, { module: new Uint8Array([0, 97, 115, 109]), stdin: new Uint8Array([1, 2]), args: ['a'], count: 3, replicas: 3 }, 1000)
  assert.equal(s.held.size, 2)
  assert.equal(body.count, 3)
  assert.deepEqual(body.common?.args, ['a'])
  const enc = encodeJobEntry({ kind: 'job.submit', body })
  assert.deepEqual(decodeJobEntry('job.submit', enc.data).body, body)
  const split = buildSubmit(s, { module: new Uint8Array([1]), split: [{ args: ['x'] }, { stdin: new Uint8Array([9]) }] }, 1)
  assert.equal(split.tasks?.length, 2)
  const bad = (req: Parameters<typeof buildSubmit>[1]): void => { assert.throws(() => buildSubmit(s, req, 1), { name: 'InvalidJobError' }) }
  bad({ module: new Uint8Array(1) })
  bad({ module: new Uint8Array(1), count: 1, split: [{}] })
  bad({ module: new Uint8Array(1), count: 0 })
  bad({ module: new Uint8Array(1), count: 1, replicas: 8 })
  bad({ module: new Uint8Array(1), count: 1, leaseTtlMs: 10 })
  bad({ module: new Uint8Array(MAX_SUBMIT_BYTES + 1), count: 1 })
  bad({ module: new Uint8Array(1), split: [] })
})

test('split lines: fields checked; fuzzed lines give InvalidJobError or a valid task, nothing else', () => {
  assert.deepEqual(parseSplitLine('{"args": ["1", "2"], "stdin": "hi"}', 1), { args: ['1', '2'], stdin: new TextEncoder().encode('hi') })
  for (const line of ['[]', 'null', '{"args": "x"}', '{"stdin": 3}', '{"other": 1}', 'not json']) {
    assert.throws(() => parseSplitLine(line, 7), { name: 'InvalidJobError' })
  }
  let seed = 42
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
  const alphabet = '{}[]":,argsstdin 01\\u'
  for (let i = 0; i < 3000; i++) {
    let line = ''
    const n = Math.floor(rnd() * 30)
    for (let k = 0; k < n; k++) line += alphabet[Math.floor(rnd() * alphabet.length)]
    try {
      const t = parseSplitLine(line, 1)
      assert.ok(t.args == null || t.args.every(a => typeof a === 'string'))
    } catch (err) {
      assert.equal((err as Error).name, 'InvalidJobError', line)
    }
  }
})

test('the demo: 48 tiles cover the image once; parsePgm takes exactly a P5 tile', () => {
  const tiles = demoTiles()
  assert.equal(tiles.length, 48)
  assert.equal(tiles.reduce((a, t) => a + t.w * t.h, 0), DEMO.width * DEMO.height)
  const pgm = new Uint8Array([...new TextEncoder().encode('P5\n2 2\n255\n'), 1, 2, 3, 4])
  assert.deepEqual(parsePgm(pgm), { w: 2, h: 2, pixels: new Uint8Array([1, 2, 3, 4]) })
  assert.equal(parsePgm(pgm.subarray(0, pgm.length - 1)), undefined)
  assert.equal(parsePgm(new TextEncoder().encode('fnv1a64 00 4\n')), undefined)
})
