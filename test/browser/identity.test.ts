/** The tab's persistent identity (app/identity.ts), against an in-memory Storage. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeIdentity, loadIdentity, pageStorage, type KeyStorage } from '../../app/identity.ts'

function memoryStorage (): KeyStorage & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: k => data.get(k) ?? null, setItem: (k, v) => { data.set(k, v) } }
}

test('a generated key is stored and the same key comes back on the next load', async () => {
  const storage = memoryStorage()
  const first = await loadIdentity(storage)
  assert.equal(first.restored, false)
  const second = await loadIdentity(storage)
  assert.equal(second.restored, true)
  assert.ok(second.privateKey.equals(first.privateKey))
  assert.ok(second.privateKey.publicKey.equals(first.privateKey.publicKey))
})

test('a corrupt stored key is kept under a backup key, reported, and replaced', async () => {
  for (const junk of ['not base64 !!', btoa('garbage bytes'), '', btoa('\x08\x01\x12\x02ab')]) {
    const storage = memoryStorage()
    storage.setItem('novacron:identity', junk)
    const reported: Error[] = []
    const loaded = await loadIdentity(storage, { onCorrupt: e => reported.push(e) })
    assert.equal(loaded.restored, false)
    assert.equal(reported.length, 1)
    assert.equal(reported[0].name, 'IdentityError')
    assert.equal(storage.data.get('novacron:identity:corrupt'), junk)
    assert.ok(decodeIdentity(storage.data.get('novacron:identity') ?? '').equals(loaded.privateKey))
  }
})

test('when the browser refuses Web Storage the identity is kept in memory only', async () => {
  const refused = pageStorage(() => { throw new DOMException('blocked', 'SecurityError') })
  assert.equal(refused.persistent, false)
  const first = await loadIdentity(refused.storage)
  assert.equal(first.restored, false)
  assert.equal((await loadIdentity(refused.storage)).restored, true, 'the same page keeps its key')
  const missing = pageStorage(() => undefined as unknown as KeyStorage)
  assert.equal(missing.persistent, false, 'no localStorage at all (Node)')
  const available = memoryStorage()
  const ok = pageStorage(() => available)
  assert.equal(ok.persistent, true)
  assert.equal(ok.storage, available)
})
