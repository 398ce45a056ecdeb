/**
 * The CLI's local path (node-runtime/state/client.ts) runs the operations listed in READ_OPS
 * without loading the signing code. That is only safe if none of them changes the document: a
 * write made before the signing replica exists would never become a signed entry. These tests
 * check every listed op against a populated board and memory store (expired entries included),
 * and that the local path signs writes but never touches the peer key for a read.
 */
import { strict as assert } from 'node:assert'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import * as Y from 'yjs'
import { OPS, READ_OPS, runOp, type OpArgs } from '../../node-runtime/state/ops.ts'
import { withState } from '../../node-runtime/state/client.ts'
import { openPersistentDoc } from '../../node-runtime/state/persistence.ts'
import { KEY_FILE } from '../../node-runtime/mesh/identity.ts'
import { fixture } from './_helpers.ts'

describe('CLI read-only operations', () => {
  it('names only operations that exist', () => {
    for (const op of READ_OPS) assert.ok(OPS.includes(op), `${op} is not an operation`)
  })

  it('leave the document unchanged, expired memory entries included', () => {
    const { doc, board, memory, clock } = fixture(7)
    const a = board.create({ title: 'first', priority: 1 })
    const b = board.create({ title: 'second', priority: 2 })
    board.link(b.id, 'blocks', a.id)
    board.comment(a.id, 'a comment')
    memory.store('ns', 'live', { v: 1 })
    memory.store('ns', 'short', 'gone soon', { ttlMs: 10 })
    clock.advance(60 * 60_000)
    const args: Record<string, OpArgs> = {
      'issues.show': { id: a.id },
      'issues.tree': { id: b.id },
      'issues.list': { filter: {} },
      'memory.get': { namespace: 'ns', key: 'live' },
      'memory.list': { namespace: 'ns' },
      'memory.search': { namespace: 'ns', valueContains: 'gone' }
    }
    const before = Y.encodeStateVector(doc)
    let updates = 0
    doc.on('update', () => { updates++ })
    for (const op of READ_OPS) runOp({ doc, actor: 'cli:test', now: clock.now }, op, args[op] ?? {})
    assert.equal(updates, 0, 'a read-only operation wrote to the document')
    assert.deepEqual(Y.encodeStateVector(doc), before)
  })
})

describe('the CLI local path', () => {
  const dirs: string[] = []
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  it('reads without the peer key and signs what it writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nc-cli-ops-'))
    dirs.push(dir)
    const seed = await openPersistentDoc(dir)
    fixture(3, 'peer-a', seed.doc).board.create({ title: 'stored', priority: 2 })
    await seed.close()

    const listed = await withState(dir, async ({ exec, mode }) => {
      assert.equal(mode, 'local')
      return await exec('issues.list', { filter: {} }) as { issues: Array<{ title: string }> }
    })
    assert.deepEqual(listed.issues.map(i => i.title), ['stored'])
    assert.equal(existsSync(join(dir, KEY_FILE)), false, 'a read loaded (and created) the peer key')

    await withState(dir, async ({ exec }) => await exec('issues.create', { title: 'written' }))
    assert.equal(existsSync(join(dir, KEY_FILE)), true, 'a write did not load the peer key to sign with')
    const reopened = await openPersistentDoc(dir)
    try {
      assert.equal((await reopened.entries.load()).length, 1, 'the write did not become one signed entry')
    } finally {
      await reopened.close()
    }
  })
})
