/** The identity's storage encoding and the storage fallback (app/identity.ts); which key a tab takes: tab-identity.test.ts. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { decodeIdentity, encodeIdentity, pageStorage, type KeyStorage } from '../../app/identity.ts'

function memoryStorage (): KeyStorage & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: k => data.get(k) ?? null, setItem: (k, v) => { data.set(k, v) } }
}

test('a key survives its storage encoding; junk is an IdentityError', async () => {
  const key = await generateKeyPair('Ed25519')
  assert.ok(decodeIdentity(encodeIdentity(key)).equals(key))
  for (const junk of ['not base64 !!', btoa('garbage bytes'), '', btoa('\x08\x01\x12\x02ab')]) {
    assert.throws(() => decodeIdentity(junk), (e: Error) => e.name === 'IdentityError', JSON.stringify(junk))
  }
})

test('when the browser refuses Web Storage the identity is kept in memory only', async () => {
  const refused = pageStorage(() => { throw new DOMException('blocked', 'SecurityError') })
  assert.equal(refused.persistent, false)
  refused.storage.setItem('k', 'v')
  assert.equal(refused.storage.getItem('k'), 'v', 'the same page keeps what it stored')
  const missing = pageStorage(() => undefined as unknown as KeyStorage)
  assert.equal(missing.persistent, false, 'no localStorage at all (Node)')
  const available = memoryStorage()
  const ok = pageStorage(() => available)
  assert.equal(ok.persistent, true)
  assert.equal(ok.storage, available)
})
