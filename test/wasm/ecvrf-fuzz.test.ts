/**
 * Fuzzing core-wasm's ECVRF decoder and verifier (seeded): random and near-boundary 32-byte
 * strings through the point decoder (its verdict and the encoding of 8·P against @noble/curves'
 * strict RFC 8032 decoding), random keys and proofs of random lengths, and valid proofs with
 * random damage, through `verifyTaiWasm` against `verifyNoble`. Nothing may throw, every verdict
 * and beta must equal noble's, and the module's memory must not grow (the path allocates nothing).
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex } from '@noble/curves/utils.js'
import { ecvrfDecode, ecvrfFinish, ecvrfTryCandidate, initCoreWasm, wasmMemoryBytes } from '../../core-wasm/index.ts'
import { keygen, prove, verifyNoble } from '../../core/vrf/index.ts'
import { verifyTaiWasm } from '../../core/vrf/ecvrf-wasm.ts'

function rng (seed: number): () => number {
  let x = seed >>> 0
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
}
function bytes (next: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = next() & 0xff
  return out
}

/** noble's strict decoding of 32 bytes then 8·P, as encoded bytes; null when it does not decode */
function nobleTimes8 (enc: Uint8Array): string | null {
  try {
    return bytesToHex(ed25519.Point.fromBytes(enc, false).multiplyUnsafe(8n).toBytes())
  } catch {
    return null
  }
}

before(async () => { await initCoreWasm() })

test('point decoder: 20,000 random and near-boundary strings, verdict and 8·P equal noble\'s', () => {
  const next = rng(0x5eed1)
  const k = keygen(new Uint8Array(32).fill(5))
  const alpha = Uint8Array.of(7)
  assert.ok(ecvrfDecode(k.publicKey, prove('TAI', k.secretKey, alpha))) // the state ecvrfFinish needs
  const memory = wasmMemoryBytes()
  let decoded = 0
  for (let i = 0; i < 20_000; i++) {
    const enc = bytes(next, 32)
    const shape = next() % 8
    if (shape === 0) { enc.fill(0xff, 1, 31); enc[31] = (enc[31] & 0x80) | 0x7f } // y near or above p
    else if (shape === 1) { enc.fill(0, 1, 31); enc[31] &= 0x80 } //              y tiny (0, 1, …)
    else if (shape === 2) enc[0] = 0xeb + (next() % 6) //                        low byte around p's 0xed
    const expected = nobleTimes8(enc)
    const got = ecvrfTryCandidate(enc)
    assert.equal(got, expected != null, `decode verdict for ${bytesToHex(enc)}`)
    if (got && (i % 5 === 0 || shape < 3)) {
      decoded++
      assert.equal(bytesToHex(ecvrfFinish().subarray(0, 32)), expected, `8·P for ${bytesToHex(enc)}`)
    }
  }
  assert.ok(decoded > 2000, `${decoded} decoded points compared`)
  assert.equal(wasmMemoryBytes(), memory)
})

test('random keys and proofs of random lengths: never throws, wasm = noble', () => {
  const next = rng(0x5eed2)
  for (let i = 0; i < 1000; i++) {
    const pk = bytes(next, next() % 16 === 0 ? next() % 40 : 32)
    const pi = bytes(next, next() % 16 === 0 ? next() % 100 : 80)
    if (next() % 2 === 0 && pi.length === 80) pi[79] &= 0x0f // s below 2^252 more often, so the walks run
    const alpha = bytes(next, next() % 40)
    const a = verifyNoble('TAI', pk, alpha, pi)
    const b = verifyTaiWasm(pk, alpha, pi)
    assert.equal(b == null ? null : bytesToHex(b), a == null ? null : bytesToHex(a))
  }
})

test('valid proofs with random damage (1–4 bytes overwritten): never throws, wasm = noble', () => {
  const next = rng(0x5eed3)
  const keys = Array.from({ length: 8 }, (_, i) => keygen(new Uint8Array(32).fill(40 + i)))
  let invalid = 0
  for (let i = 0; i < 1000; i++) {
    const k = keys[i % keys.length]
    const alpha = bytes(next, next() % 24)
    const pi = prove('TAI', k.secretKey, alpha)
    const pk = k.publicKey.slice()
    const target = next() % 4 === 0 ? pk : pi
    for (let n = 1 + (next() % 4); n > 0; n--) target[next() % target.length] = next() & 0xff
    const a = verifyNoble('TAI', pk, alpha, pi)
    const b = verifyTaiWasm(pk, alpha, pi)
    assert.equal(b == null ? null : bytesToHex(b), a == null ? null : bytesToHex(a))
    if (a == null) invalid++
  }
  assert.ok(invalid > 930, `${invalid} damaged proofs were INVALID`)
})
