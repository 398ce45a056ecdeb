/**
 * Beads JSON Lines import (core/state/beads.ts): the sample export (test/vectors/beads) maps
 * field by field and loads into a board with every link intact; junk input ends in a typed
 * ImportError or a board-checked import, never another exception.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import fc from 'fast-check'
import * as Y from 'yjs'
import { beadsToJsonl } from '../../core/state/beads.ts'
import { Board } from '../../core/state/board.ts'
import { ImportError, ValidationError } from '../../core/state/errors.ts'
import { ID_PATTERN } from '../../core/state/schema.ts'

const sample = readFileSync(new URL('../vectors/beads/export.jsonl', import.meta.url), 'utf8')
const NOW = Date.parse('2026-01-01T00:00:00Z')

test('the Beads sample maps field by field and imports with its links', () => {
  const r = beadsToJsonl(sample, NOW)
  assert.equal(r.dropped, 1, 'the tombstone is dropped')
  assert.equal(r.converted, 6)
  assert.deepEqual(Object.keys(r.renamed).sort(), ['bd-1', 'bd-9', 'bd-a1b2.1', 'bd-f6', 'bd-msg'])
  for (const to of Object.values(r.renamed)) assert.match(to, ID_PATTERN)
  assert.equal(beadsToJsonl(sample, NOW).renamed['bd-1'], r.renamed['bd-1'], 'renaming is stable')

  const board = new Board({ doc: new Y.Doc(), actor: 'test' })
  assert.deepEqual(board.importJsonl(r.text), { created: 6, replaced: 0, skipped: 0 })
  const ci = board.get(r.renamed['bd-1'])
  assert.equal(ci.status, 'closed'); assert.equal(ci.priority, 1); assert.deepEqual(ci.labels, ['ci'])
  assert.equal(ci.createdAt, Date.parse('2025-10-01T10:00:00Z')); assert.equal(ci.updatedAt, Date.parse('2025-10-02T11:30:00Z'))
  const bug = board.get('bd-a1b2')
  assert.equal(bug.type, 'bug'); assert.equal(bug.priority, 0); assert.equal(bug.assignee, 'ann')
  assert.deepEqual(bug.links, [{ type: 'depends-on', target: r.renamed['bd-1'] }, { type: 'related', target: 'bd-c3d4e5' }])
  assert.equal(bug.comments[0].author, 'bob'); assert.equal(bug.comments[0].text, 'Seen on Node 20 too')
  const minimal = board.get('bd-c3d4e5')
  assert.deepEqual([minimal.type, minimal.status, minimal.priority, minimal.description, minimal.labels, minimal.createdAt], ['task', 'open', 2, '', [], NOW])
  const epic = board.get(r.renamed['bd-f6'])
  assert.equal(epic.status, 'open', 'deferred is open for us'); assert.equal(epic.estimate, 90)
  assert.match(epic.description, /## Design\nWorkers per round/); assert.match(epic.description, /## Acceptance criteria\nNo frozen page/)
  assert.equal(board.get(r.renamed['bd-a1b2.1']).parent, 'bd-a1b2')
  assert.equal(board.get(r.renamed['bd-msg']).type, 'task')
  // the closed blocker leaves the bug ready
  assert.ok(board.ready().some(i => i.id === 'bd-a1b2'))
})

test('our own export passes through unchanged', () => {
  const board = new Board({ doc: new Y.Doc(), actor: 'test' })
  board.create({ title: 'ours', type: 'feature' })
  const text = board.exportJsonl()
  const r = beadsToJsonl(text, NOW)
  assert.equal(r.converted, 0)
  assert.deepEqual(r.text.trim().split('\n').map(l => JSON.parse(l)), text.trim().split('\n').map(l => JSON.parse(l)))
})

test('a long Beads title is cut to ours and kept whole in the description', () => {
  const title = 'x'.repeat(450)
  const r = beadsToJsonl(JSON.stringify({ id: 'bd-long', title }) + '\n', NOW)
  const rec = JSON.parse(r.text) as { title: string, description: string }
  assert.equal(rec.title.length, 200)
  assert.ok(rec.description.includes(title))
})

test('junk lines: ImportError or a checked import, nothing else', () => {
  fc.assert(fc.property(fc.array(fc.oneof(
    fc.string(),
    fc.json(),
    fc.record({ id: fc.oneof(fc.string(), fc.constant('bd-1')), title: fc.oneof(fc.string(), fc.integer()), issue_type: fc.string(), priority: fc.oneof(fc.integer(), fc.string()), dependencies: fc.anything(), comments: fc.anything(), created_at: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }).map(o => JSON.stringify(o))
  ), { maxLength: 6 }), lines => {
    const board = new Board({ doc: new Y.Doc(), actor: 'fuzz' })
    try {
      board.importJsonl(beadsToJsonl(lines.join('\n'), NOW).text)
    } catch (err) {
      assert.ok(err instanceof ImportError || err instanceof ValidationError, `unexpected ${String(err)}`)
    }
  }), { seed: 18, numRuns: 300 })
})
