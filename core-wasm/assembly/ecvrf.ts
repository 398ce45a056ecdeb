/**
 * ECVRF-EDWARDS25519-SHA512-TAI verification (RFC 9381 §5.3), the curve part. SHA-512 stays in
 * the TypeScript caller (core/vrf/ecvrf-wasm.ts, @noble/hashes): the hashes are over a few
 * hundred bytes and a call across the boundary costs far less than one field multiplication
 * chain, so the split is three calls per verify:
 *
 *   vrfDecode()  key Y (strict decode, not of small order, §5.4.5), proof (Γ strict, s < q,
 *                §5.4.4) — 0 for INVALID, else 1 and the tables/digits for the walks
 *   vrfTryH()    one try-and-increment candidate (§5.4.1.1): 1 when it decodes, H = 8·candidate
 *   vrfFinish()  U = s·B − c·Y, V = s·H − c·Γ, and point_to_string of H, U, V, 8·Γ (one inversion)
 *
 * All inputs and outputs are in one static buffer (vrfIo):
 *   [0, 32) public key   [32, 112) proof π = Γ ‖ c (16) ‖ s (32)   [112, 144) H candidate
 *   [144, 272) encodings of H, U, V, 8·Γ
 * The module holds no state between verifies beyond the base point's table.
 */
import {
  initCurve, ptDbl, ptDecode, ptEncodeBatch, ptMul8, ptMultiScalar, ptTable, ptXIsZero, PT, scalarNaf, TABLE
} from './ed25519'

const IO = memory.data(288, 16)
const PK: usize = 0
const PI: usize = 32
const CAND: usize = 112
const ENC: usize = 144

// q = 2^252 + 27742317777372353535851937790883648493, little-endian
const L_BYTES = memory.data<u8>([237, 211, 245, 92, 26, 99, 18, 88, 214, 156, 247, 162, 222, 249, 222, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16])
// B = (x, 4/5) with x even: 0x58 then 31 × 0x66
const B_BYTES = memory.data<u8>([0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66])

const KEY = memory.data(<i32>PT, 8)
const GAMMA = memory.data(<i32>PT, 8)
const CAND_PT = memory.data(<i32>PT, 8)
const OUTS = memory.data(4 * 320, 8) // H, U, V, 8·Γ: consecutive for ptEncodeBatch
const H_PT = OUTS
const U_PT = OUTS + PT
const V_PT = OUTS + 2 * PT
const G8_PT = OUTS + 3 * PT
const TAB_B = memory.data(<i32>TABLE, 8) //    B, 3B, …, 15B
const TAB_B128 = memory.data(<i32>TABLE, 8) // the same for 2^128·B
const TAB_Y = memory.data(<i32>TABLE, 8)
const TAB_G = memory.data(<i32>TABLE, 8)
const TAB_H = memory.data(<i32>TABLE, 8)
const NAF_S = memory.data(256, 8) //    s
const NAF_S_LO = memory.data(256, 8) // s mod 2^128
const NAF_S_HI = memory.data(256, 8) // s >> 128
const NAF_C = memory.data(256, 8) //    c
const HALF = memory.data(32, 8) //      a 16-byte scalar, zero-extended
// the walks' terms (digit string, table, negated): U = s_lo·B + s_hi·(2^128·B) − c·Y, V = s·H − c·Γ
const TERMS_U = memory.data(36, 8)
const TERMS_V = memory.data(24, 8)
let baseReady = false

function setTerm (terms: usize, i: i32, naf: usize, table: usize, negate: bool): void {
  const rec = terms + <usize>i * 12
  store<usize>(rec, naf)
  store<usize>(rec, table, 4)
  store<u32>(rec, negate ? 1 : 0, 8)
}

/** the I/O buffer's address (layout above) */
export function vrfIo (): usize {
  return IO
}

/** s < q for 32 little-endian bytes */
function belowOrder (s: usize): bool {
  for (let i = 31; i >= 0; i--) {
    const a = load<u8>(s + <usize>i)
    const b = load<u8>(L_BYTES + <usize>i)
    if (a != b) return a < b
  }
  return false
}

/** checks the key and decodes the proof; 1 = go on, 0 = INVALID */
export function vrfDecode (): i32 {
  initCurve()
  if (!baseReady) {
    // B's tables: B's own, and 2^128·B's, so s·B splits into two 128-bit halves that share U's
    // 128-step doubling chain with c·Y (instead of a 253-step chain for s)
    ptDecode(CAND_PT, B_BYTES)
    ptTable(TAB_B, CAND_PT)
    for (let i = 0; i < 128; i++) ptDbl(CAND_PT, CAND_PT, i == 127)
    ptTable(TAB_B128, CAND_PT)
    setTerm(TERMS_U, 0, NAF_S_LO, TAB_B, false)
    setTerm(TERMS_U, 1, NAF_S_HI, TAB_B128, false)
    setTerm(TERMS_U, 2, NAF_C, TAB_Y, true)
    setTerm(TERMS_V, 0, NAF_S, TAB_H, false)
    setTerm(TERMS_V, 1, NAF_C, TAB_G, true)
    baseReady = true
  }
  if (!ptDecode(KEY, IO + PK)) return 0
  ptMul8(CAND_PT, KEY)
  if (ptXIsZero(CAND_PT)) return 0 // 8·Y = O: a small-order key (§5.4.5 validate_key)
  if (!ptDecode(GAMMA, IO + PI)) return 0
  if (!belowOrder(IO + PI + 48)) return 0
  ptTable(TAB_Y, KEY)
  ptTable(TAB_G, GAMMA)
  scalarNaf(NAF_S, IO + PI + 48, 32)
  scalarNaf(NAF_S_LO, IO + PI + 48, 16)
  memory.copy(HALF, IO + PI + 64, 16)
  scalarNaf(NAF_S_HI, HALF, 16)
  memory.copy(HALF, IO + PI + 32, 16)
  scalarNaf(NAF_C, HALF, 16)
  return 1
}

/** one encode_to_curve candidate: 1 (H = 8·candidate kept) when its 32 bytes decode, else 0 */
export function vrfTryH (): i32 {
  if (!ptDecode(CAND_PT, IO + CAND)) return 0
  ptMul8(H_PT, CAND_PT)
  return 1
}

/** U, V, 8·Γ and the four encodings (after vrfDecode and a successful vrfTryH) */
export function vrfFinish (): void {
  ptMultiScalar(U_PT, TERMS_U, 3)
  ptTable(TAB_H, H_PT)
  ptMultiScalar(V_PT, TERMS_V, 2)
  ptMul8(G8_PT, GAMMA)
  ptEncodeBatch(IO + ENC, OUTS, 4)
}
