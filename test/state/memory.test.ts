/** The memory store: namespaces, JSON values, TTL expiry (same rule on every peer), glob search, defensive reads. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import * as Y from 'yjs'
import { globToRegExp } from '../../core/state/glob.ts'
import { MemoryStore, parseDuration, SWEEP_GRACE_MS } from '../../core/state/memory.ts'
import { fixture, FakeClock } from './_helpers.ts'

describe('memory store', () => {
  test('store, get, delete, list by namespace', () => {
    const { memory } = fixture()
    memory.store('default', 'a', { x: 1 })
    memory.store('agents', 'plan/1', ['step', 2])
    memory.store('agents', 'plan/2', 'text')
    assert.deepEqual(memory.get('default', 'a').value, { x: 1 })
    assert.deepEqual(memory.list('agents').map(e => e.key), ['plan/1', 'plan/2'])
    assert.deepEqual(memory.namespaces(), ['agents', 'default'])
    memory.delete('agents', 'plan/1')
    assert.throws(() => memory.get('agents', 'plan/1'), { name: 'MemoryKeyNotFoundError' })
    assert.throws(() => memory.delete('agents', 'plan/1'), { name: 'MemoryKeyNotFoundError' })
  })

  test('overwrite keeps createdAt and bumps updatedAt', () => {
    const { memory, clock } = fixture()
    const a = memory.store('n', 'k', 1)
    clock.advance(500)
    const b = memory.store('n', 'k', 2)
    assert.equal(b.createdAt, a.createdAt); assert.equal(b.updatedAt, a.createdAt + 500); assert.equal(memory.get('n', 'k').value, 2)
  })

  test('validation: namespace, key, value size, non-JSON values', () => {
    const { memory } = fixture()
    assert.throws(() => memory.store('bad ns', 'k', 1), { name: 'ValidationError' })
    assert.throws(() => memory.store('n', '', 1), { name: 'ValidationError' })
    assert.throws(() => memory.store('n', 'k'.repeat(513), 1), { name: 'OversizeTextError' })
    assert.throws(() => memory.store('n', 'k', 'x'.repeat(70_000)), { name: 'OversizeTextError' })
    assert.throws(() => memory.store('n', 'k', undefined), { name: 'ValidationError' })
    assert.throws(() => memory.store('n', 'k', 1, { ttlMs: -1 }), { name: 'ValidationError' })
    assert.equal(memory.list().length, 0)
  })

  test('TTL: hidden at expiry on every peer, swept after the grace period, same rule everywhere', () => {
    const a = fixture(1, 'a')
    const bDoc = new Y.Doc()
    const bClock = new FakeClock(a.clock.t)
    const b = new MemoryStore({ doc: bDoc, actor: 'b', now: bClock.now })
    a.memory.store('n', 'short', 1, { ttlMs: parseDuration('10s') })
    a.memory.store('n', 'forever', 2)
    Y.applyUpdate(bDoc, Y.encodeStateAsUpdate(a.doc))
    assert.equal(b.get('n', 'short').expiresAt, a.clock.t + 10_000)
    a.clock.advance(9_999); bClock.advance(9_999)
    assert.equal(a.memory.list().length, 2); assert.equal(b.list().length, 2)
    a.clock.advance(1); bClock.advance(1)
    assert.deepEqual(a.memory.list().map(e => e.key), ['forever'])
    assert.deepEqual(b.list().map(e => e.key), ['forever'])
    assert.throws(() => b.get('n', 'short'), { name: 'MemoryKeyNotFoundError' })
    assert.equal(a.memory.sweep(), 0) // still inside the grace period
    a.clock.advance(SWEEP_GRACE_MS)
    assert.equal(a.memory.sweep(), 1)
    assert.equal(a.memory.map.has('n:short'), false)
    // a fresh store racing a concurrent sweep survives it
    a.memory.store('n', 'again', 1, { ttlMs: 1 })
    Y.applyUpdate(bDoc, Y.encodeStateAsUpdate(a.doc))
    a.clock.advance(SWEEP_GRACE_MS + 1)
    b.store('n', 'again', 'new')
    a.memory.sweep()
    Y.applyUpdate(bDoc, Y.encodeStateAsUpdate(a.doc)); Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(bDoc))
    assert.equal(a.memory.get('n', 'again').value, 'new')
    assert.equal(b.get('n', 'again').value, 'new')
  })

  test('parseDuration', () => {
    assert.equal(parseDuration('10m'), 600_000)
    assert.equal(parseDuration('500ms'), 500)
    assert.equal(parseDuration('2h'), 7_200_000)
    assert.equal(parseDuration('30'), 30_000)
    assert.throws(() => parseDuration('ten'), { name: 'ValidationError' })
    assert.throws(() => parseDuration('0s'), { name: 'ValidationError' })
  })

  test('search: glob on keys and substring on values', () => {
    const { memory } = fixture()
    memory.store('a', 'task/1', { who: 'alice' })
    memory.store('a', 'task/2', { who: 'bob' })
    memory.store('a', 'note', 'alice was here')
    memory.store('b', 'task/3', 'x')
    assert.deepEqual(memory.search({ pattern: 'task/*' }).map(e => e.key), ['task/1', 'task/2', 'task/3'])
    assert.deepEqual(memory.search({ pattern: 'task/?', namespace: 'a' }).map(e => e.key), ['task/1', 'task/2'])
    assert.deepEqual(memory.search({ valueContains: 'alice' }).map(e => e.key), ['note', 'task/1'])
    assert.deepEqual(memory.search({ pattern: 'task/[!1]' }).map(e => e.key), ['task/2', 'task/3'])
  })

  test('glob grammar', () => {
    assert.ok(globToRegExp('a.b*').test('a.bcd'))
    assert.ok(!globToRegExp('a.b*').test('axbcd'))
    assert.ok(globToRegExp('[a-c]?').test('bz'))
    assert.ok(!globToRegExp('[a-c]?').test('dz'))
    assert.ok(globToRegExp('(x)+[').test('(x)+['))
    assert.ok(globToRegExp('*').test('multi\nline'))
  })

  test('defensive reading: malformed entries from a peer are skipped and reported', () => {
    const { memory, doc } = fixture()
    memory.store('n', 'ok', 1)
    const map = doc.getMap('memory')
    map.set('n:evil', { namespace: 'n', key: 'other', value: 1, createdAt: 1, updatedAt: 1, expiresAt: null, author: 'x' })
    map.set('n:str', 'string')
    map.set('bad ns:k', { namespace: 'bad ns', key: 'k', value: 1, createdAt: 1, updatedAt: 1, expiresAt: null, author: 'x' })
    map.set('n:ttl', { namespace: 'n', key: 'ttl', value: 1, createdAt: 1, updatedAt: 1, expiresAt: 'soon', author: 'x' })
    assert.deepEqual(memory.list().map(e => e.key), ['ok'])
    assert.deepEqual(memory.invalidKeys().sort(), ['bad ns:k', 'n:evil', 'n:str', 'n:ttl'])
    assert.throws(() => memory.get('n', 'evil'), { name: 'MemoryKeyNotFoundError' })
    assert.doesNotThrow(() => { memory.search({ pattern: '*' }); memory.sweep() })
  })
})
