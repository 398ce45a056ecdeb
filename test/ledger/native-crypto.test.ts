/**
 * The native Ed25519 path (node-runtime/ledger/native-ed25519.ts) gives @noble/curves' verdict on
 * every input — RFC 8032 vectors, random keys, tampered bytes, non-canonical S and A, and a
 * signature valid only under the cofactored equation (which OpenSSL rejects and noble accepts) —
 * and a bad signature or a bad VRF proof in a vote is rejected by the consensus checks on every
 * path: noble or native, memoized or not, first time and from the cache. WebCrypto (the tabs'
 * asynchronous path, which Node has too) only ever adds "valid" verdicts ahead of the engine.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'
import { MSG_PREPARE, readMessage, type Vote } from '../../core/consensus/codec.ts'
import { createConsensusCrypto, memoizeVerification, nobleSignatures, type SignatureVerifier } from '../../core/consensus/crypto.ts'
import { signaturesOf } from '../../core/consensus/signatures-of.ts'
import { checkVote } from '../../core/consensus/validate.ts'
import { webCryptoEd25519 } from '../../core/consensus/webcrypto-ed25519.ts'
import { isCanonicalPointEncoding, isCanonicalS, nativeSignatures } from '../../node-runtime/ledger/native-ed25519.ts'
import { cluster } from '../consensus/_fixtures.ts'
import { ORDER_8_POINT, torsionSignature } from './_torsion.ts'

const native = nativeSignatures()
const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'))
const L = ed25519.Point.Fn.ORDER
const P = 2n ** 255n - 19n

test('node:crypto Ed25519 is available on this Node and checks RFC 8032 §7.1 vectors', () => {
  assert.ok(native != null)
  // TEST 1 (empty message) and TEST 3 (two bytes)
  assert.equal(native.verify(hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'), new Uint8Array(0),
    hex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b')), true)
  assert.equal(native.verify(hex('fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025'), hex('af82'),
    hex('6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a')), true)
})

test('native and noble agree on valid and tampered signatures (seeded random keys)', () => {
  assert.ok(native != null)
  for (let i = 0; i < 40; i++) {
    const secret = sha512(Uint8Array.of(i, 1)).subarray(0, 32)
    const pub = ed25519.getPublicKey(secret)
    const msg = sha512(Uint8Array.of(i, 2)).subarray(0, 1 + i)
    const sig = ed25519.sign(msg, secret)
    const cases: Array<[Uint8Array, Uint8Array, Uint8Array]> = [[pub, msg, sig]]
    const badSig = sig.slice(); badSig[i % 64] ^= 1 << (i % 8); cases.push([pub, msg, badSig])
    const badMsg = msg.slice(); badMsg[0] ^= 0x80; cases.push([pub, badMsg, sig])
    const badPub = pub.slice(); badPub[i % 32] ^= 2; cases.push([badPub, msg, sig])
    cases.push([pub, msg, sig.subarray(0, 63)], [pub.subarray(1), msg, sig])
    for (const [k, m, s] of cases) assert.equal(native.verify(k, m, s), nobleSignatures.verify(k, m, s))
    assert.equal(native.verify(pub, msg, sig), true)
    assert.equal(native.verify(pub, msg, badSig), false)
  }
})

test('non-canonical S (S + L) and non-canonical public keys are refused like noble does', () => {
  assert.ok(native != null)
  const secret = new Uint8Array(32).fill(9)
  const pub = ed25519.getPublicKey(secret)
  const msg = new TextEncoder().encode('malleable?')
  const sig = ed25519.sign(msg, secret)
  const s = bytesToNumberLE(sig.subarray(32))
  const malleated = Uint8Array.from([...sig.subarray(0, 32), ...numberToBytesLE(s + L, 32)])
  assert.equal(isCanonicalS(sig), true)
  assert.equal(isCanonicalS(malleated), false)
  assert.equal(nobleSignatures.verify(pub, msg, malleated), false)
  assert.equal(native.verify(pub, msg, malleated), false)
  // y >= p (y = p + 1, i.e. the identity's y = 1 written non-canonically), and x = 0 with the sign bit
  assert.equal(isCanonicalPointEncoding(numberToBytesLE(P + 1n, 32)), false)
  assert.equal(isCanonicalPointEncoding(Uint8Array.from([1, ...new Uint8Array(30), 0x80])), false)
  assert.equal(isCanonicalPointEncoding(pub), true)
  for (const k of [numberToBytesLE(P + 1n, 32), Uint8Array.from([1, ...new Uint8Array(30), 0x80])]) {
    assert.equal(native.verify(k, msg, sig), nobleSignatures.verify(k, msg, sig))
  }
})

test('a signature valid only under the cofactored equation: OpenSSL says no, noble yes, native gives noble\'s verdict', () => {
  assert.ok(native != null)
  assert.ok(ORDER_8_POINT.multiply(8n).is0() && !ORDER_8_POINT.is0())
  const { publicKey: A, message: msg, sig } = torsionSignature(new Uint8Array(32).fill(3), new TextEncoder().encode('torsion in R'), 12345678901234567890n)
  assert.equal(nobleSignatures.verify(A, msg, sig), true, 'noble: cofactored equation holds')
  const before = native.fallbacks
  assert.equal(native.verify(A, msg, sig), true)
  assert.equal(native.fallbacks, before + 1, 'OpenSSL refused it, noble decided')
})

test('a bad signature and a bad VRF proof in a vote are rejected on every path', () => {
  const c = cluster({ n: 4, f: 1, protocol: 'probft', sampleSize: 3, quorum: 3 })
  const h = c.header(0, 0, 0, c.value('x'))
  const good = c.vote(MSG_PREPARE, 2, h)
  const to = c.sample(2, MSG_PREPARE, 0, 0)[0]
  const badSig = good.slice(); badSig[badSig.length - 5] ^= 1
  const proof = c.proof(2, MSG_PREPARE, 0, 0); proof[50] ^= 1
  const badVrf = c.vote(MSG_PREPARE, 2, h, proof)
  const verifiers: SignatureVerifier[] = [nobleSignatures, native as SignatureVerifier]
  for (const signatures of verifiers) {
    for (const memo of [false, true]) {
      const base = createConsensusCrypto({ signatures })
      const crypto = memo ? memoizeVerification(base) : base
      const ctx = { n: 4, f: 1, protocol: 'probft' as const, sampleSize: 3, quorum: 3, identities: c.keys.map(k => ({ signPublic: k.signPublic, vrfPublic: k.vrfPublic })), crypto }
      for (let round = 0; round < 2; round++) { // the second round answers from the cache when memoized
        const where = `${signatures.name}, memoized ${String(memo)}, round ${round}`
        assert.equal(checkVote(ctx, readMessage(good) as Vote, to), null, where)
        assert.equal(checkVote(ctx, readMessage(badSig) as Vote, to), 'badSignature', where)
        assert.equal(checkVote(ctx, readMessage(badVrf) as Vote, to), 'badVrf', where)
      }
    }
  }
})

test('native signing gives noble\'s bytes (RFC 8032 is deterministic), and they verify on both paths', () => {
  const signer = native?.sign
  assert.ok(signer != null)
  for (let i = 0; i < 20; i++) {
    const secret = sha512(Uint8Array.of(i, 5)).subarray(0, 32)
    const msg = sha512(Uint8Array.of(i, 6)).subarray(0, i * 3)
    const sig: Uint8Array = signer(secret, msg)
    assert.deepEqual(sig, ed25519.sign(msg, secret))
    assert.equal(nobleSignatures.verify(ed25519.getPublicKey(secret), msg, sig), true)
  }
  assert.throws(() => signer(new Uint8Array(31), new Uint8Array(1)), { name: 'RangeError' })
})

test('own signatures and proofs are remembered as made; a peer\'s altered copy is still verified for real', () => {
  const base = createConsensusCrypto({ signatures: native as SignatureVerifier })
  const m = memoizeVerification(base)
  const c = cluster({ n: 4, f: 1, protocol: 'probft', sampleSize: 3, quorum: 3 })
  const k = c.keys[0]
  const msg = new TextEncoder().encode('own vote')
  const sig = m.sign(k.signSecret, msg)
  assert.equal(m.verifySignature(k.signPublic, msg, sig), true)
  const alpha = Uint8Array.of(1, 2, 3)
  const proof = m.vrfProve(k.vrfSecret, alpha)
  assert.deepEqual(m.vrfVerify(k.vrfPublic, alpha, proof), base.vrfVerify(k.vrfPublic, alpha, proof))
  assert.equal(m.stats.signatures + m.stats.vrfProofs, 0, 'both answered from what was made')
  const bad = sig.slice(); bad[3] ^= 1
  assert.equal(m.verifySignature(k.signPublic, msg, bad), false)
  const badProof = proof.slice(); badProof[70] ^= 1
  assert.equal(m.vrfVerify(k.vrfPublic, alpha, badProof), null)
  assert.equal(m.stats.signatures, 1); assert.equal(m.stats.vrfProofs, 1)
})

test('WebCrypto Ed25519 (feature-detected; Node has it too): preverify enters only "valid" verdicts, the engine\'s check stays the judge', async () => {
  const check = await webCryptoEd25519()
  assert.ok(check != null, 'this Node has WebCrypto Ed25519')
  const c = cluster({ n: 4, f: 1, protocol: 'probft', sampleSize: 3, quorum: 3 })
  const identities = c.keys.map(k => ({ signPublic: k.signPublic, vrfPublic: k.vrfPublic }))
  const h = c.header(0, 0, 0, c.value('y'))
  const good = c.vote(MSG_PREPARE, 2, h)
  const badSig = good.slice(); badSig[badSig.length - 7] ^= 1
  const triples = signaturesOf(good, identities)
  assert.equal(triples.length, 2, 'the sender\'s signature and the leader\'s header')
  assert.deepEqual(signaturesOf(Uint8Array.of(99, 1, 2), identities), [], 'garbage carries none')
  const m = memoizeVerification(createConsensusCrypto({ signatures: nobleSignatures }))
  await m.preverify([...triples, ...signaturesOf(badSig, identities)], check)
  assert.equal(m.stats.signatures, 3, 'the header of the altered vote is the same bytes: checked once')
  const to = c.sample(2, MSG_PREPARE, 0, 0)[0]
  const ctx = { n: 4, f: 1, protocol: 'probft' as const, sampleSize: 3, quorum: 3, identities, crypto: m }
  assert.equal(checkVote(ctx, readMessage(good) as Vote, to), null)
  assert.equal(m.stats.signatures, 3, 'the good vote\'s signatures came from the cache')
  assert.equal(checkVote(ctx, readMessage(badSig) as Vote, to), 'badSignature')
  assert.equal(m.stats.signatures, 4, 'the bad one was not entered: noble checked it and said no')
  // a torsion-R signature (noble: valid) that a native verifier may refuse: noble still decides
  const { publicKey: A, message: msg, sig } = torsionSignature(new Uint8Array(32).fill(4), Uint8Array.of(5), 777n)
  await m.preverify([{ publicKey: A, message: msg, sig }], check)
  assert.equal(m.verifySignature(A, msg, sig), nobleSignatures.verify(A, msg, sig))
})
