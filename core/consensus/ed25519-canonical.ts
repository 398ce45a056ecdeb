/**
 * The encoding checks of RFC 8032 strict verification that need no curve math: S below the group
 * order, and a public key that is a canonical point encoding. A native verifier (OpenSSL in Node,
 * BoringSSL's WebCrypto in Chromium) checks the cofactorless equation and R's canonical encoding;
 * with these two checks on top, its "valid" implies @noble/curves' (`nobleSignatures`) "valid", so
 * a platform may take a native "valid" as final and let noble decide everything else. Shared by
 * node-runtime/ledger/native-ed25519.ts and ./webcrypto-ed25519.ts.
 */
const P = 2n ** 255n - 19n
/** the group order L = 2^252 + 27742317777372353535851937790883648493 */
const L = 2n ** 252n + 27742317777372353535851937790883648493n

const le = (b: Uint8Array): bigint => {
  let x = 0n
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i])
  return x
}

/**
 * RFC 8032 §5.1.3 strict point encoding: y (the low 255 bits, little-endian) below p, and not
 * "x = 0 with the sign bit set" (x = 0 exactly when y = ±1).
 */
export function isCanonicalPointEncoding (key: Uint8Array): boolean {
  if (key.length !== 32) return false
  const y = le(key) & (2n ** 255n - 1n)
  if (y >= P) return false
  return !((key[31] & 0x80) !== 0 && (y === 1n || y === P - 1n))
}

/** RFC 8032 §5.1.7: the S half of a 64-byte signature is below L. */
export function isCanonicalS (sig: Uint8Array): boolean {
  return sig.length === 64 && le(sig.subarray(32)) < L
}
