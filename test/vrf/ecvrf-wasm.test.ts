/**
 * ECVRF-EDWARDS25519-SHA512-TAI verify with core-wasm's curve arithmetic (core/vrf/ecvrf-wasm.ts)
 * against @noble/curves' (`verifyNoble`, the reference): the RFC 9381 Appendix B.3 vectors, 1,000
 * seeded random valid proofs with three tampered copies each (a bit of Γ, of c, of s), and every
 * rejection RFC 9381 / RFC 8032 asks for (s ≥ q, non-canonical and small-order keys and Γ,
 * points off the curve, wrong lengths). The verdicts and betas must be equal in every case.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { bytesToHex, bytesToNumberLE, hexToBytes, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { keygen, prove, verify, verifyBackend, verifyNoble } from '../../core/vrf/index.ts'
import { verifyTaiWasm } from '../../core/vrf/ecvrf-wasm.ts'

interface Vector { name: string, PK: string, alpha: string, pi: string, beta: string }
const vectors = (JSON.parse(readFileSync(new URL('../vectors/rfc9381/ecvrf-edwards25519-sha512-tai.json', import.meta.url), 'utf8')) as { vectors: Vector[] }).vectors
const P = 2n ** 255n - 19n
const L = ed25519.Point.Fn.ORDER

/** seeded bytes: SHA-512 in counter mode */
function seeded (seed: string): (n: number) => Uint8Array {
  let counter = 0
  const tag = new TextEncoder().encode(seed)
  return n => {
    const out = new Uint8Array(n)
    for (let at = 0; at < n; at += 64) out.set(sha512(Uint8Array.from([...tag, ...numberToBytesLE(BigInt(counter++), 8)])).subarray(0, Math.min(64, n - at)), at)
    return out
  }
}

/** both verdicts, which must be equal; returns them (beta or null) */
function same (pk: Uint8Array, alpha: Uint8Array, pi: Uint8Array, what: string): Uint8Array | null {
  const expected = verifyNoble('TAI', pk, alpha, pi)
  const got = verifyTaiWasm(pk, alpha, pi)
  assert.equal(got == null ? null : bytesToHex(got), expected == null ? null : bytesToHex(expected), what)
  return got
}

function encodeY (y: bigint, sign: boolean): Uint8Array {
  const b = numberToBytesLE(y, 32)
  if (sign) b[31] |= 0x80
  return b
}

test('verify takes the wasm path once core-wasm is initialised (TAI only)', async () => {
  assert.equal(verifyBackend('TAI'), 'noble')
  await initCoreWasm()
  assert.equal(verifyBackend('TAI'), 'wasm')
  assert.equal(verifyBackend('ELL2'), 'noble')
})

test('RFC 9381 B.3 (TAI) examples verify through core-wasm with the RFC\'s beta', async () => {
  await initCoreWasm()
  assert.equal(vectors.length, 3)
  for (const v of vectors) {
    const beta = verify('TAI', hexToBytes(v.PK), hexToBytes(v.alpha), hexToBytes(v.pi))
    assert.equal(beta == null ? null : bytesToHex(beta), v.beta, v.name)
    assert.equal(bytesToHex(same(hexToBytes(v.PK), hexToBytes(v.alpha), hexToBytes(v.pi), v.name) ?? new Uint8Array()), v.beta)
  }
})

test('1,000 seeded random valid proofs and 3,000 tampered copies: wasm = noble', async () => {
  await initCoreWasm()
  const rand = seeded('ecvrf-wasm valid')
  const keys = Array.from({ length: 24 }, () => keygen(rand(32)))
  let valid = 0
  for (let i = 0; i < 1000; i++) {
    const k = keys[i % keys.length]
    const alpha = rand(rand(1)[0] % 96)
    const pi = prove('TAI', k.secretKey, alpha)
    if (same(k.publicKey, alpha, pi, `valid #${i}`) != null) valid++
    const [r0, r1, r2] = rand(3)
    for (const [from, len] of [[0, 32], [32, 16], [48, 32]]) { // a bit of Γ, of c, of s
      const bad = pi.slice()
      const at = from + (r0 % len)
      bad[at] ^= 1 << (r1 % 8)
      assert.equal(same(k.publicKey, alpha, bad, `tampered #${i} byte ${at}`), null)
    }
    if (r2 % 8 === 0) { // another key, another alpha
      assert.equal(same(keys[(i + 1) % keys.length].publicKey, alpha, pi, `other key #${i}`), null)
      assert.equal(same(k.publicKey, Uint8Array.from([...alpha, 0]), pi, `longer alpha #${i}`), null)
    }
  }
  assert.equal(valid, 1000)
})

test('rejections: s ≥ q, non-canonical, small-order and off-curve points, wrong lengths', async () => {
  await initCoreWasm()
  const v = vectors[0]
  const pk = hexToBytes(v.PK); const pi = hexToBytes(v.pi); const alpha = hexToBytes(v.alpha)
  assert.ok(same(pk, alpha, pi, 'baseline') != null)
  const s = bytesToNumberLE(pi.subarray(48))
  for (const big of [L, L + 1n, s + L, 2n ** 256n - 1n, 2n ** 253n]) {
    const bad = pi.slice(); bad.set(numberToBytesLE(big, 32), 48)
    assert.equal(same(pk, alpha, bad, `s = ${big}`), null)
  }
  const small = pi.slice(); small.set(numberToBytesLE(L - 1n, 32), 48)
  assert.equal(same(pk, alpha, small, 's = q − 1'), null)
  // y ≥ p (every one of them: p … 2^255 − 1, either sign), negative zero, y = p − 1 (order 2)
  const odd: Uint8Array[] = [encodeY(1n, true), encodeY(P - 1n, false), encodeY(P - 1n, true), encodeY(0n, false), encodeY(0n, true)]
  for (let y = P; y < 2n ** 255n; y++) odd.push(encodeY(y, false), encodeY(y, true))
  // the eight small-order points, and points off the curve
  for (const hex of ED25519_TORSION_SUBGROUP) odd.push(hexToBytes(hex))
  let offCurve = 0
  for (let y = 2n; offCurve < 8; y++) {
    const enc = encodeY(y, (y & 1n) === 1n)
    try { ed25519.Point.fromBytes(enc, false) } catch { odd.push(enc); offCurve++ }
  }
  for (const enc of odd) {
    assert.equal(same(enc, alpha, pi, `key ${bytesToHex(enc)}`), null)
    const bad = pi.slice(); bad.set(enc, 0)
    assert.equal(same(pk, alpha, bad, `Γ ${bytesToHex(enc)}`), null)
  }
  for (const [k, p] of [[pk.subarray(0, 31), pi], [new Uint8Array(33), pi], [pk, pi.subarray(0, 79)], [pk, new Uint8Array(81)], [new Uint8Array(0), new Uint8Array(0)]]) {
    assert.equal(same(k, alpha, p, `lengths ${k.length}/${p.length}`), null)
    assert.equal(verify('TAI', k, alpha, p), null)
  }
})

test('small-order Γ, and keys with a torsion component (valid keys): wasm = noble', async () => {
  await initCoreWasm()
  const k = keygen(new Uint8Array(32).fill(9))
  const alpha = Uint8Array.of(1, 2, 3)
  const pi = prove('TAI', k.secretKey, alpha)
  for (const hex of ED25519_TORSION_SUBGROUP) {
    const bad = pi.slice(); bad.set(hexToBytes(hex), 0)
    assert.equal(same(k.publicKey, alpha, bad, `Γ ${hex}`), null)
  }
  // a key with a torsion component (Y + T8) is not of small order: validate_key accepts it, and
  // a proof under the clean key fails under it (same verdict both ways)
  const Y = ed25519.Point.fromBytes(k.publicKey)
  for (const hex of ED25519_TORSION_SUBGROUP.slice(1)) {
    const mixed = Y.add(ed25519.Point.fromBytes(hexToBytes(hex), true)).toBytes()
    assert.equal(same(mixed, alpha, pi, `key + torsion ${hex}`), null)
  }
})
