/**
 * WebCrypto Ed25519 (Chromium ≥ 113, Firefox ≥ 129, Safari ≥ 17, Node ≥ 18.4), feature-detected:
 * `webCryptoEd25519()` resolves to an asynchronous check, or null where the platform lacks it (then
 * everything stays on @noble/curves). WebCrypto is asynchronous and the engine is not, so a tab
 * uses it through `memoizeVerification(...).preverify` (ahead of the engine; only "valid" verdicts
 * with canonical encodings are taken, see ed25519-canonical.ts). Uses only `globalThis.crypto`,
 * which browsers and Node both have: no DOM, no `node:`. Imported keys are kept in a bounded map.
 */
import type { AsyncSignatureCheck } from './crypto.ts'

/** RFC 8032 §7.1 TEST 2, to probe the platform once */
const PROBE = {
  publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  message: '72',
  sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'
}
const MAX_KEYS = 4096

const fromHex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], b => parseInt(b, 16))

export async function webCryptoEd25519 (): Promise<AsyncSignatureCheck | null> {
  const subtle = globalThis.crypto?.subtle
  if (subtle == null) return null
  const keys = new Map<string, Promise<CryptoKey | null>>()
  const keyOf = async (publicKey: Uint8Array): Promise<CryptoKey | null> => {
    let k = ''
    for (let i = 0; i < publicKey.length; i++) k += String.fromCharCode(publicKey[i])
    let p = keys.get(k)
    if (p == null) {
      p = subtle.importKey('raw', Uint8Array.from(publicKey), { name: 'Ed25519' }, false, ['verify']).catch(() => null)
      if (keys.size >= MAX_KEYS) keys.clear()
      keys.set(k, p)
    }
    return await p
  }
  const check: AsyncSignatureCheck = async (publicKey, message, sig) => {
    if (publicKey.length !== 32 || sig.length !== 64) return false
    const key = await keyOf(publicKey)
    if (key == null) return false
    try {
      return await subtle.verify({ name: 'Ed25519' }, key, Uint8Array.from(sig), Uint8Array.from(message))
    } catch {
      return false
    }
  }
  try {
    if (!await check(fromHex(PROBE.publicKey), fromHex(PROBE.message), fromHex(PROBE.sig))) return null
    const bad = fromHex(PROBE.sig); bad[0] ^= 1
    if (await check(fromHex(PROBE.publicKey), fromHex(PROBE.message), bad)) return null
  } catch {
    return null
  }
  return check
}
