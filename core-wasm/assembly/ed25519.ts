/**
 * edwards25519 points for the ECVRF verifier (ecvrf.ts): strict RFC 8032 decoding, encoding with
 * one shared inversion, complete extended-coordinate formulas, odd-multiple tables and the
 * interleaved (Strauss–Shamir) double-scalar walk over signed sliding windows. Written for this
 * project from RFC 8032 and Hisil–Wong–Carter–Dawson 2008; public implementations were read,
 * not copied. Everything here is variable-time: it only ever sees public data (keys, proofs).
 *
 * Layouts (pointers into linear memory, field elements of fe25519.ts, 80 bytes each):
 *   point   X, Y, Z, T at +0, +80, +160, +240 (extended: x = X/Z, y = Y/Z, T = XY/Z)  320 bytes
 *   cached  Y+X, Y−X, 2Z, 2d·T at the same offsets (the form an addend is kept in)   320 bytes
 *   table   8 cached points: P, 3P, 5P, …, 15P                                        2560 bytes
 *   naf     256 signed digits (i8), each 0 or odd in [−15, 15], least significant first
 */
import {
  feAdd, feCopy, feEqual, feFromBytes, feInvert, feIsOdd, feIsZero, feMul, feNeg, fePow22523,
  feSetSmall, feSq, feSub, feToBytes
} from './fe25519'

export const PT: usize = 320
export const TABLE: usize = 8 * PT
const X: usize = 0
const Y: usize = 80
const Z: usize = 160
const T: usize = 240

// d = −121665/121666, 2d and √−1 mod p, little-endian (computed with BigInt, checked by the tests)
const D_BYTES = memory.data<u8>([163, 120, 89, 19, 202, 77, 235, 117, 171, 216, 65, 65, 77, 10, 112, 0, 152, 232, 121, 119, 121, 64, 199, 140, 115, 254, 111, 43, 238, 108, 3, 82])
const D2_BYTES = memory.data<u8>([89, 241, 178, 38, 148, 155, 214, 235, 86, 177, 131, 130, 154, 20, 224, 0, 48, 209, 243, 238, 242, 128, 142, 25, 231, 252, 223, 86, 220, 217, 6, 36])
const SQRTM1_BYTES = memory.data<u8>([176, 160, 14, 74, 39, 27, 238, 196, 120, 228, 47, 173, 6, 24, 67, 47, 167, 215, 251, 61, 153, 0, 77, 43, 11, 223, 193, 79, 128, 36, 131, 43])
const FE_D = memory.data(80, 8)
const FE_D2 = memory.data(80, 8)
const FE_SQRTM1 = memory.data(80, 8)
const FE_ONE = memory.data(80, 8)
let constantsReady = false

/** decodes the curve constants into limbs (once) */
export function initCurve (): void {
  if (constantsReady) return
  feFromBytes(FE_D, D_BYTES)
  feFromBytes(FE_D2, D2_BYTES)
  feFromBytes(FE_SQRTM1, SQRTM1_BYTES)
  feSetSmall(FE_ONE, 1)
  constantsReady = true
}

// scratch field elements (no function below is re-entered while another uses them)
const FA = memory.data(80, 8)
const FB = memory.data(80, 8)
const FC = memory.data(80, 8)
const FD = memory.data(80, 8)
const FE = memory.data(80, 8)
const FF = memory.data(80, 8)
const FG = memory.data(80, 8)
const FH = memory.data(80, 8)

/** y < p for the 255 low bits of s (RFC 8032 decoding rejects y ≥ p) */
function canonicalY (s: usize): bool {
  // p = 2^255 − 19 is 0xed, then 30 × 0xff, then 0x7f (little-endian); y ≥ p only just below 2^255
  if ((load<u8>(s + 31) & 0x7f) != 0x7f) return true
  for (let i: usize = 30; i >= 1; i--) if (load<u8>(s + i) != 0xff) return true
  return load<u8>(s) < 0xed
}

/**
 * RFC 8032 §5.1.3, strict: y canonical, (x, y) on the curve, no x = 0 with the sign bit set.
 * Writes the point (with T) at P; false (P undefined) for INVALID.
 */
export function ptDecode (P: usize, s: usize): bool {
  if (!canonicalY(s)) return false
  const y = P + Y; const x = P + X
  const u = FA; const v = FB; const v3 = FC; const t = FD
  feFromBytes(y, s)
  feSq(u, y)
  feMul(v, u, FE_D)
  feSub(u, u, FE_ONE) //    u = y² − 1
  feAdd(v, v, FE_ONE) //    v = d·y² + 1
  feSq(v3, v)
  feMul(v3, v3, v) //       v³
  feSq(t, v3)
  feMul(t, t, v)
  feMul(t, t, u) //         u·v⁷
  fePow22523(t, t)
  feMul(t, t, v3)
  feMul(x, t, u) //         candidate x = u·v³·(u·v⁷)^((p−5)/8)
  feSq(t, x)
  feMul(t, t, v) //         v·x²
  if (!feEqual(t, u)) {
    feNeg(u, u)
    if (!feEqual(t, u)) return false // u/v is not a square: not on the curve
    feMul(x, x, FE_SQRTM1)
  }
  const sign = (load<u8>(s + 31) >> 7) != 0
  if (sign && feIsZero(x)) return false // "negative zero"
  if (feIsOdd(x) != sign) feNeg(x, x)
  feSetSmall(P + Z, 1)
  feMul(P + T, x, y)
  return true
}

/** P = the neutral element (0, 1) */
export function ptIdentity (P: usize): void {
  feSetSmall(P + X, 0)
  feSetSmall(P + Y, 1)
  feSetSmall(P + Z, 1)
  feSetSmall(P + T, 0)
}

/**
 * R = 2P (dbl-2008-hwcd with a = −1, signs folded so every product input is a sum of ≤ 4 carried
 * values). T is computed only when `withT` (the next operation is an addition, which reads it).
 */
export function ptDbl (R: usize, P: usize, withT: bool): void {
  const a = FA; const b = FB; const c = FC; const e = FE; const f = FF; const g = FG; const h = FH
  feSq(a, P + X) //            A = X²
  feSq(b, P + Y) //            B = Y²
  feSq(c, P + Z)
  feAdd(c, c, c) //            C = 2Z²
  feAdd(h, a, b) //            H = A + B
  feAdd(e, P + X, P + Y)
  feSq(e, e)
  feSub(e, h, e) //            E = H − (X + Y)²
  feSub(g, a, b) //            G = A − B
  feAdd(f, c, g) //            F = C + G
  feMul(R + X, e, f)
  feMul(R + Y, g, h)
  feMul(R + Z, f, g)
  if (withT) feMul(R + T, e, h)
}

/** R = P + Q (or P − Q when `sub`), Q cached (add-2008-hwcd-3, complete on edwards25519) */
export function ptAdd (R: usize, P: usize, Q: usize, sub: bool): void {
  const a = FA; const b = FB; const c = FC; const d = FD; const e = FE; const f = FF; const g = FG; const h = FH
  feSub(a, P + Y, P + X)
  feMul(a, a, sub ? Q + X : Q + Y) //   A = (Y1 − X1)(Y2 − X2); −Q swaps Y+X (+0) and Y−X (+80)
  feAdd(b, P + Y, P + X)
  feMul(b, b, sub ? Q + Y : Q + X) //   B = (Y1 + X1)(Y2 + X2)
  feMul(c, P + T, Q + T) //             C = T1·2d·T2 (negated for −Q)
  feMul(d, P + Z, Q + Z) //             D = Z1·2Z2
  feSub(e, b, a)
  feAdd(h, b, a)
  if (sub) { feAdd(f, d, c); feSub(g, d, c) } else { feSub(f, d, c); feAdd(g, d, c) }
  feMul(R + X, e, f)
  feMul(R + Y, g, h)
  feMul(R + Z, f, g)
  feMul(R + T, e, h)
}

/** C = P in cached form */
export function ptToCached (C: usize, P: usize): void {
  feAdd(C + X, P + Y, P + X)
  feSub(C + Y, P + Y, P + X)
  feAdd(C + Z, P + Z, P + Z)
  feMul(C + T, P + T, FE_D2)
}

/** R = 8P (cofactor clearing; T computed) */
export function ptMul8 (R: usize, P: usize): void {
  ptDbl(R, P, false)
  ptDbl(R, R, false)
  ptDbl(R, R, true)
}

/** whether P is the neutral element's class (x = 0); used on 8·P for the small-order check */
export function ptXIsZero (P: usize): bool {
  return feIsZero(P + X)
}

const TMP = memory.data(<i32>PT, 8)
const TWO = memory.data(<i32>PT, 8)

/** tab = [P, 3P, …, 15P] (cached); P needs T */
export function ptTable (tab: usize, P: usize): void {
  ptDbl(TMP, P, true)
  ptToCached(TWO, TMP) // 2P
  memory.copy(TMP, P, PT)
  for (let i: usize = 0; i < 8; i++) {
    ptToCached(tab + i * PT, TMP)
    if (i < 7) ptAdd(TMP, TMP, TWO, false)
  }
}

/**
 * Signed sliding-window digits of a 256-bit little-endian scalar (`len` bytes, the rest zero):
 * bits are merged upward into odd digits of at most ±15, a negative digit carrying one into the
 * next zero bit. The scalars here are below 2^253, so no carry leaves the 256 digits.
 */
export function scalarNaf (naf: usize, s: usize, len: i32): void {
  for (let i = 0; i < 256; i++) {
    const byte = i >> 3
    store<i8>(naf + i, byte < len ? <i8>((load<u8>(s + byte) >> <u8>(i & 7)) & 1) : 0)
  }
  for (let i = 0; i < 256; i++) {
    let r = <i32>load<i8>(naf + i)
    if (r == 0) continue
    for (let b = 1; b <= 4 && i + b < 256; b++) {
      const next = <i32>load<i8>(naf + i + b)
      if (next == 0) continue
      const d = next << b
      if (r + d <= 15) {
        r += d
        store<i8>(naf + i + b, 0)
      } else if (r - d >= -15) {
        r -= d
        for (let k = i + b; k < 256; k++) { // add 2^k·… : carry one upward
          if (load<i8>(naf + k) == 0) { store<i8>(naf + k, 1); break }
          store<i8>(naf + k, 0)
        }
      } else break
    }
    store<i8>(naf + i, <i8>r)
  }
}

/**
 * R = Σ ±kᵢ·Pᵢ over n terms, one shared doubling chain (Strauss–Shamir): `terms` holds n records
 * of three u32 — the digit string of kᵢ, the table of Pᵢ, and 1 to subtract the term. The chain
 * starts at the highest non-zero digit of any term, so short scalars cost short chains.
 */
export function ptMultiScalar (R: usize, terms: usize, n: i32): void {
  let i = 255
  for (; i >= 0; i--) {
    let any = false
    for (let t = 0; t < n; t++) any = any || load<i8>(load<usize>(terms + <usize>t * 12) + <usize>i) != 0
    if (any) break
  }
  ptIdentity(R)
  for (; i >= 0; i--) {
    let adds = false
    for (let t = 0; t < n; t++) adds = adds || load<i8>(load<usize>(terms + <usize>t * 12) + <usize>i) != 0
    ptDbl(R, R, adds)
    if (!adds) continue
    for (let t = 0; t < n; t++) {
      const rec = terms + <usize>t * 12
      const d = <i32>load<i8>(load<usize>(rec) + <usize>i)
      if (d == 0) continue
      const neg = (d < 0) != (load<u32>(rec, 8) != 0) // subtract |d|·P when exactly one of (d < 0, term negated)
      ptAdd(R, R, load<usize>(rec, 4) + <usize>((d < 0 ? -d : d) >> 1) * PT, neg)
    }
  }
}

const PREFIX = memory.data(4 * 80, 8)
const INV = memory.data(80, 8)
const AFF = memory.data(80, 8)

/** point_to_string of n ≤ 4 consecutive points at pts into n·32 bytes at out, with one inversion */
export function ptEncodeBatch (out: usize, pts: usize, n: i32): void {
  // prefix products z1, z1z2, …; one inversion; then peel off each 1/z_i (Montgomery's trick)
  feCopy(PREFIX, pts + Z)
  for (let i = 1; i < n; i++) feMul(PREFIX + <usize>i * 80, PREFIX + <usize>(i - 1) * 80, pts + <usize>i * PT + Z)
  feInvert(INV, PREFIX + <usize>(n - 1) * 80)
  for (let i = n - 1; i >= 0; i--) {
    const P = pts + <usize>i * PT
    const zi = FB
    if (i > 0) {
      feMul(zi, INV, PREFIX + <usize>(i - 1) * 80)
      feMul(INV, INV, P + Z)
    } else feCopy(zi, INV)
    feMul(AFF, P + X, zi)
    const odd = feIsOdd(AFF)
    feMul(AFF, P + Y, zi)
    const s = out + <usize>i * 32
    feToBytes(s, AFF)
    if (odd) store<u8>(s + 31, load<u8>(s + 31) | 0x80)
  }
}
