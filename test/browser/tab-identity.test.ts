/**
 * Which identity a tab takes (app/tab-identity.ts), against in-memory storages and claims: a
 * reload takes back the tab's own key, a second tab of the same browser gets its own, a corrupt
 * stored key is skipped and kept. The real thing (Web Locks, two pages of one browser context) is
 * in tabs.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { claimTabIdentity, type TabClaims } from '../../app/tab-identity.ts'
import type { KeyStorage } from '../../app/identity.ts'

function memoryStorage (): KeyStorage & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: k => data.get(k) ?? null, setItem: (k, v) => { data.set(k, v) } }
}

/** Claims shared by the tabs of one browser; `release(tab)` is a page unloading. */
function browserClaims (): { forTab: (tab: string) => TabClaims, release: (tab: string) => void, asked: Array<[string, number]> } {
  const holder = new Map<string, string>()
  const asked: Array<[string, number]> = []
  return {
    asked,
    forTab: tab => ({
      claim: async (peerId, waitMs) => {
        asked.push([peerId, waitMs])
        const h = holder.get(peerId)
        if (h != null && h !== tab) return false
        holder.set(peerId, tab)
        return true
      }
    }),
    release: tab => { for (const [id, h] of holder) if (h === tab) holder.delete(id) }
  }
}

test('the first tab generates a key and saves it for itself and for the browser', async () => {
  const local = memoryStorage()
  const session = memoryStorage()
  const claims = browserClaims()
  const first = await claimTabIdentity({ session, local, claims: claims.forTab('A') })
  assert.equal(first.source, 'new')
  assert.equal(session.data.get('novacron:identity'), local.data.get('novacron:identity'))
  assert.equal(first.peerId, first.privateKey.publicKey.toString())
})

test('a second tab of the same browser is a peer of its own; each keeps its id across a reload', async () => {
  const local = memoryStorage()
  const claims = browserClaims()
  const sessionA = memoryStorage()
  const sessionB = memoryStorage()
  const a = await claimTabIdentity({ session: sessionA, local, claims: claims.forTab('A') })
  const b = await claimTabIdentity({ session: sessionB, local, claims: claims.forTab('B') })
  assert.notEqual(b.peerId, a.peerId)
  assert.equal(b.source, 'new-in-use')
  assert.equal(local.data.get('novacron:identity'), sessionA.data.get('novacron:identity'), 'the browser key stays the first one')
  // B reloads: its page lets go, the new page takes back B's own key (waiting a little for the old page)
  claims.release('B')
  const b2 = await claimTabIdentity({ session: sessionB, local, claims: claims.forTab('B2'), reloadWaitMs: 1500 })
  assert.equal(b2.peerId, b.peerId)
  assert.equal(b2.source, 'tab')
  assert.deepEqual(claims.asked.at(-1), [b.peerId, 1500], 'the own key is claimed with the reload wait')
  // A reloads too
  claims.release('A')
  const a2 = await claimTabIdentity({ session: sessionA, local, claims: claims.forTab('A2') })
  assert.equal(a2.peerId, a.peerId)
})

test('a duplicated tab (a copy of the session storage) gets its own id while the original is open', async () => {
  const local = memoryStorage()
  const claims = browserClaims()
  const session = memoryStorage()
  const a = await claimTabIdentity({ session, local, claims: claims.forTab('A') })
  const copy = memoryStorage()
  for (const [k, v] of session.data) copy.setItem(k, v)
  const dup = await claimTabIdentity({ session: copy, local, claims: claims.forTab('dup'), reloadWaitMs: 10 })
  assert.notEqual(dup.peerId, a.peerId)
  assert.equal(dup.source, 'new-in-use')
  assert.notEqual(copy.data.get('novacron:identity'), session.data.get('novacron:identity'), 'the copy now keeps its own key')
})

test('after the browser restarts, its first tab takes the browser key back', async () => {
  const local = memoryStorage()
  const claims = browserClaims()
  const a = await claimTabIdentity({ session: memoryStorage(), local, claims: claims.forTab('A') })
  claims.release('A')
  const again = await claimTabIdentity({ session: memoryStorage(), local, claims: claims.forTab('A2') })
  assert.equal(again.peerId, a.peerId)
  assert.equal(again.source, 'browser')
})

test('a corrupt stored key is kept under a backup key, reported, and skipped, never overwritten silently', async () => {
  for (const junk of ['not base64 !!', btoa('garbage bytes'), '']) {
    const local = memoryStorage()
    const session = memoryStorage()
    local.setItem('novacron:identity', junk)
    session.setItem('novacron:identity', junk)
    const reported: string[] = []
    const id = await claimTabIdentity({ session, local, claims: browserClaims().forTab('A'), onCorrupt: (where, e) => { reported.push(`${where}:${e.name}`) } })
    assert.deepEqual(reported, ['session:IdentityError', 'local:IdentityError'])
    assert.equal(id.source, 'new')
    assert.equal(local.data.get('novacron:identity:corrupt'), junk)
    assert.equal(session.data.get('novacron:identity:corrupt'), junk)
  }
})
