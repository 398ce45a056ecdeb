/**
 * The tabs' WebCrypto Ed25519 path (core/consensus/webcrypto-ed25519.ts, used by app/ledger/
 * page-ledger.ts ahead of the engine) in real Chromium: it is detected there, and on seeded
 * inputs — valid signatures, tampered bytes, non-canonical S, a torsion-component R, wrong lengths —
 * every "valid" it gives is @noble/curves' verdict too (the engine only ever takes "valid" from it),
 * and it agrees with noble on every plain valid or tampered signature.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'
import { launchChromium } from '../_support/chromium.ts'
import { seededBytes } from '../state/_helpers.ts'
import { torsionSignature } from './_torsion.ts'

const root = new URL('../..', import.meta.url).pathname
// a secure context (crypto.subtle exists only there): loopback, answered by the route below
const ORIGIN = 'http://127.0.0.1:9'
const ENTRY = `
import { webCryptoEd25519 } from './core/consensus/webcrypto-ed25519.ts'
const fromHex = h => Uint8Array.from(h.match(/../g) ?? [], b => parseInt(b, 16))
globalThis.__verdicts = async cases => {
  const check = await webCryptoEd25519()
  if (check == null) return null
  const out = []
  for (const c of cases) out.push(await check(fromHex(c.publicKey), fromHex(c.message), fromHex(c.sig)))
  return out
}
`

interface Case { name: string, publicKey: string, message: string, sig: string }
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const L = ed25519.Point.Fn.ORDER

function cases (): Case[] {
  const random = seededBytes(9381)
  const out: Case[] = []
  for (let i = 0; i < 24; i++) {
    const secret = random(32)
    const publicKey = ed25519.getPublicKey(secret)
    const message = random(1 + (i * 7) % 90)
    const sig = ed25519.sign(message, secret)
    out.push({ name: `valid ${i}`, publicKey: hex(publicKey), message: hex(message), sig: hex(sig) })
    const tampered = sig.slice(); tampered[i % 64] ^= 1 << (i % 8)
    out.push({ name: `tampered signature ${i}`, publicKey: hex(publicKey), message: hex(message), sig: hex(tampered) })
    const otherMessage = message.slice(); otherMessage[0] ^= 0x80
    out.push({ name: `other message ${i}`, publicKey: hex(publicKey), message: hex(otherMessage), sig: hex(sig) })
    // S + L: the same equation, a non-canonical encoding (RFC 8032 says reject)
    const s = bytesToNumberLE(sig.slice(32))
    if (s + L < 2n ** 256n) out.push({ name: `non-canonical S ${i}`, publicKey: hex(publicKey), message: hex(message), sig: hex(Uint8Array.from([...sig.slice(0, 32), ...numberToBytesLE(s + L, 32)])) })
  }
  // R with a small-order component: valid under the cofactored equation only
  const t = torsionSignature(new Uint8Array(32).fill(4), Uint8Array.of(5), 777n)
  out.push({ name: 'torsion R', publicKey: hex(t.publicKey), message: hex(t.message), sig: hex(t.sig) })
  out.push({ name: 'short signature', publicKey: out[0].publicKey, message: out[0].message, sig: out[0].sig.slice(0, 126) })
  out.push({ name: 'short key', publicKey: out[0].publicKey.slice(0, 62), message: out[0].message, sig: out[0].sig })
  return out
}

const noble = (c: Case): boolean => {
  try {
    return ed25519.verify(Buffer.from(c.sig, 'hex'), Buffer.from(c.message, 'hex'), Buffer.from(c.publicKey, 'hex'))
  } catch {
    return false
  }
}

describe('WebCrypto Ed25519 in Chromium (the tabs\' ledger verifier)', { timeout: 120_000 }, () => {
  let browser: Browser | undefined
  let page: Page

  before(async () => {
    const out = await build({ stdin: { contents: ENTRY, resolveDir: root, loader: 'ts' }, bundle: true, format: 'iife', write: false, platform: 'browser', target: 'es2022' })
    const js = out.outputFiles[0].text
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(60_000)
    await page.route(`${ORIGIN}/**`, async route => {
      if (new URL(route.request().url()).pathname === '/check.js') await route.fulfill({ contentType: 'text/javascript', body: js })
      else await route.fulfill({ contentType: 'text/html', body: '<!doctype html><body></body><script src="/check.js"></script>' })
    })
    await page.goto(`${ORIGIN}/`)
    await page.waitForFunction(() => typeof (globalThis as { __verdicts?: unknown }).__verdicts === 'function')
  })
  after(async () => { await browser?.close() })

  test('is detected, never calls valid what noble refuses, and agrees with noble on plain valid and tampered signatures', async () => {
    const all = cases()
    const verdicts = await page.evaluate(async c => await (globalThis as unknown as { __verdicts: (c: Case[]) => Promise<boolean[] | null> }).__verdicts(c), all)
    assert.ok(verdicts != null, 'this Chromium has WebCrypto Ed25519 (the tab would fall back to noble)')
    assert.equal(verdicts.length, all.length)
    let valid = 0
    for (const [i, c] of all.entries()) {
      const expected = noble(c)
      if (verdicts[i]) assert.equal(expected, true, `${c.name}: WebCrypto said valid, noble did not`)
      if (/^(valid|tampered|other message)/.test(c.name)) assert.equal(verdicts[i], expected, c.name)
      if (verdicts[i]) valid++
    }
    assert.equal(valid, 24, 'exactly the 24 honest signatures are valid for WebCrypto')
  })
})
