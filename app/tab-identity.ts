/**
 * Every tab its own peer: which identity this tab takes, so two tabs of one browser are two peers
 * while a reload keeps its peer id.
 *
 * Two tabs that load one key from `localStorage` are one peer id twice on the mesh: peers see one
 * member flapping between two links, gossip and state sync break. So:
 * - a tab keeps its own key in `sessionStorage` (per tab, kept across reloads), and takes it
 *   back first;
 * - a tab with none takes the browser's key from `localStorage` (so a browser's first tab keeps
 *   its id across restarts), and saves one there when there is none;
 * - a key is *claimed* for the life of the page (`TabClaims`: a Web Lock per peer id); a key that
 *   another open tab holds (a second tab, or a duplicated tab, which copies `sessionStorage`) is
 *   skipped and the tab generates a fresh one.
 * A reload releases the old page's lock as the new one starts, so the tab's own key is claimed
 * with a short wait; the browser's key is claimed only if free at once (a second tab must not
 * wait). Storage and claims are injected so the logic runs under Node tests.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { DEFAULT_STORAGE_KEY, decodeIdentity, encodeIdentity, type KeyStorage } from './identity.ts'

/** Exclusive claims on peer ids, held until the page goes away. */
export interface TabClaims {
  /** Resolves true when this page now holds `peerId`; `waitMs` > 0 waits that long for a holder to let go. */
  claim: (peerId: string, waitMs: number) => Promise<boolean>
}

export interface TabIdentityInit {
  /** This tab's storage (`sessionStorage`). */
  session: KeyStorage
  /** The browser's storage (`localStorage`). */
  local: KeyStorage
  claims: TabClaims
  /** How long a tab waits to take back its own key after a reload. @default 2000 */
  reloadWaitMs?: number
  /** @default 'novacron:identity' */
  storageKey?: string
  /** Called when a stored key could not be decoded (it is skipped, never overwritten silently). */
  onCorrupt?: (where: 'session' | 'local', err: Error) => void
}

/** Where this tab's identity came from. */
export type TabIdentitySource = 'tab' | 'browser' | 'new' | 'new-in-use'

export interface TabIdentity {
  privateKey: PrivateKey
  peerId: string
  /**
   * `tab`: this tab's own key (a reload); `browser`: the browser's saved key; `new`: generated,
   * none was saved; `new-in-use`: generated because another open tab holds the saved one(s).
   */
  source: TabIdentitySource
}

function read (storage: KeyStorage, key: string, where: 'session' | 'local', init: TabIdentityInit): PrivateKey | undefined {
  const text = storage.getItem(key)
  if (text == null) return undefined
  try {
    return decodeIdentity(text)
  } catch (err) {
    storage.setItem(`${key}:corrupt`, text)
    init.onCorrupt?.(where, err as Error)
    return undefined
  }
}

export async function claimTabIdentity (init: TabIdentityInit): Promise<TabIdentity> {
  const key = init.storageKey ?? DEFAULT_STORAGE_KEY
  const own = read(init.session, key, 'session', init)
  const browser = read(init.local, key, 'local', init)
  const candidates: Array<{ key: PrivateKey, source: TabIdentitySource, waitMs: number }> = []
  if (own != null) candidates.push({ key: own, source: 'tab', waitMs: init.reloadWaitMs ?? 2000 })
  if (browser != null && !(own?.equals(browser) ?? false)) candidates.push({ key: browser, source: 'browser', waitMs: 0 })
  let chosen: TabIdentity | undefined
  for (const c of candidates) {
    const peerId = peerIdFromPrivateKey(c.key).toString()
    if (await init.claims.claim(peerId, c.waitMs)) {
      chosen = { privateKey: c.key, peerId, source: c.source }
      break
    }
  }
  if (chosen == null) {
    const privateKey = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(privateKey).toString()
    // a fresh random id: nobody else holds it, the claim only makes later tabs skip it
    await init.claims.claim(peerId, 0)
    chosen = { privateKey, peerId, source: candidates.length > 0 ? 'new-in-use' : 'new' }
  }
  init.session.setItem(key, encodeIdentity(chosen.privateKey))
  if (browser == null) init.local.setItem(key, encodeIdentity(chosen.privateKey))
  return chosen
}

/**
 * Claims through the Web Locks API (one lock per peer id, held while the page lives; the browser
 * releases it when the page unloads or crashes). Where Web Locks are missing (a page served over
 * plain http from a non-local address is not a secure context) it falls back to asking the other
 * tabs over a BroadcastChannel, which is not atomic: two tabs opened in the same instant may
 * still pick the same key.
 */
export function browserClaims (): TabClaims {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks
  if (locks != null) {
    return {
      claim: async (peerId, waitMs) => await new Promise<boolean>(resolve => {
        const opts: LockOptions = waitMs > 0 ? { signal: AbortSignal.timeout(waitMs) } : { ifAvailable: true }
        locks.request(`novacron:peer:${peerId}`, opts, async lock => {
          resolve(lock != null)
          // holding the lock = keeping this promise pending for the page's lifetime
          if (lock != null) await new Promise(() => {})
        }).catch(() => { resolve(false) })
      })
    }
  }
  return broadcastClaims()
}

function broadcastClaims (): TabClaims {
  const held = new Set<string>()
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('novacron:peers') : undefined
  channel?.addEventListener('message', (e: MessageEvent<{ type?: string, peerId?: string }>) => {
    if (e.data?.type === 'who' && e.data.peerId != null && held.has(e.data.peerId)) channel.postMessage({ type: 'mine', peerId: e.data.peerId })
  })
  return {
    claim: async (peerId, waitMs) => {
      if (channel == null) { held.add(peerId); return true }
      const taken = await new Promise<boolean>(resolve => {
        const onMessage = (e: MessageEvent<{ type?: string, peerId?: string }>): void => {
          if (e.data?.type === 'mine' && e.data.peerId === peerId) done(true)
        }
        const done = (v: boolean): void => { clearTimeout(timer); channel.removeEventListener('message', onMessage); resolve(v) }
        const timer = setTimeout(done, Math.max(200, waitMs / 4), false)
        channel.addEventListener('message', onMessage)
        channel.postMessage({ type: 'who', peerId })
      })
      if (taken) return false
      held.add(peerId)
      return true
    }
  }
}
