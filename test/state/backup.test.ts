/** Memory backups: round trip (plain and LZ4), wrong passphrase, damaged files; a failed restore changes nothing. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import * as Y from 'yjs'
import { createBackup, openBackup, restoreBackup, type Compression } from '../../core/state/backup.ts'
import { fixture, seeded, seededBytes } from './_helpers.ts'
import { stateCompression } from '../../core/state/compression.ts'

const opts = { logN: 10, random: seededBytes(9) }

describe('memory backup', () => {
  test('round trip restores every entry; other keys are kept unless replace', async () => {
    const src = fixture(1)
    src.memory.store('a', 'k1', { deep: [1, 2, { x: 'y' }] })
    src.memory.store('b', 'k2', 'text', { ttlMs: 60_000 })
    const file = await createBackup(src.memory, 'correct horse', opts)
    const dst = fixture(2)
    dst.memory.store('c', 'mine', true)
    assert.equal(await restoreBackup(dst.memory, file, 'correct horse', opts), 2)
    assert.deepEqual(dst.memory.list('a'), src.memory.list('a'))
    assert.deepEqual(dst.memory.get('b', 'k2').expiresAt, src.memory.get('b', 'k2').expiresAt)
    assert.equal(dst.memory.get('c', 'mine').value, true)
    await restoreBackup(dst.memory, file, 'correct horse', { ...opts, replace: true })
    assert.deepEqual(dst.memory.list(), src.memory.list())
  })

  test('LZ4-compressed backups (core-wasm) shrink repetitive data and round-trip', async () => {
    const compression: Compression = await stateCompression()
    const src = fixture(1)
    for (let i = 0; i < 50; i++) src.memory.store('n', `key-${i}`, { text: 'the same sentence again and again '.repeat(10) })
    const plain = await createBackup(src.memory, 'pw', opts)
    const packed = await createBackup(src.memory, 'pw', { ...opts, compression })
    assert.ok(packed.length * 3 < plain.length, `${packed.length} vs ${plain.length}`)
    const dst = fixture(2)
    await restoreBackup(dst.memory, packed, 'pw', { ...opts, compression })
    assert.deepEqual(dst.memory.list(), src.memory.list())
  })

  test('wrong passphrase and damaged files are typed errors that change nothing', async () => {
    const src = fixture(1)
    src.memory.store('a', 'k', 1)
    const file = await createBackup(src.memory, 'right', opts)
    const dst = fixture(2)
    dst.memory.store('keep', 'me', 1)
    const before = Y.encodeStateAsUpdate(dst.doc)
    await assert.rejects(restoreBackup(dst.memory, file, 'wrong', opts), { name: 'WrongPassphraseError' })
    const flip = (i: number): Uint8Array => { const f = file.slice(); f[i] ^= 1; return f }
    await assert.rejects(restoreBackup(dst.memory, flip(file.length - 1), 'right', opts), { name: 'CorruptBackupError' })
    await assert.rejects(restoreBackup(dst.memory, flip(60), 'right', opts), { name: 'CorruptBackupError' })
    await assert.rejects(restoreBackup(dst.memory, flip(5), 'right', opts), { name: 'CorruptBackupError' })
    await assert.rejects(restoreBackup(dst.memory, file.slice(0, 30), 'right', opts), { name: 'CorruptBackupError' })
    await assert.rejects(restoreBackup(dst.memory, new TextEncoder().encode('hello world, not a backup at all.......................'), 'right', opts), { name: 'CorruptBackupError' })
    const forged = file.slice(); forged[6] = 30 // log2 N = 30 would take forever
    await assert.rejects(openBackup(forged, 'right', opts), { name: 'CorruptBackupError' })
    assert.deepEqual(Y.encodeStateAsUpdate(dst.doc), before)
  })

  test('seeded garbage never escapes as anything but a BackupError', async () => {
    const src = fixture(1)
    src.memory.store('a', 'k', 1)
    const file = await createBackup(src.memory, 'pw', opts)
    const r = seeded(42)
    for (let i = 0; i < 25; i++) {
      const f = file.slice()
      const n = 1 + Math.floor(r() * 4)
      for (let j = 0; j < n; j++) f[Math.floor(r() * f.length)] ^= 1 + Math.floor(r() * 255)
      const cut = r() < 0.3 ? f.slice(0, Math.floor(r() * f.length)) : f
      try { await openBackup(cut, 'pw', opts) } catch (err) {
        assert.ok(['CorruptBackupError', 'WrongPassphraseError', 'BackupError'].includes((err as Error).name), (err as Error).name)
      }
    }
  })
})
