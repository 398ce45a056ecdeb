import { initCoreWasm, ecvrfDecode, ecvrfTryCandidate, ecvrfFinish } from '../core-wasm/index.ts'
import { prove, keygen } from '../core/vrf/ecvrf.ts'
import { verifyTaiWasm } from '../core/vrf/ecvrf-wasm.ts'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import os from 'node:os'
await initCoreWasm()
const k = keygen(new Uint8Array(32).fill(3))
const alpha = Uint8Array.of(1,2,3)
const pi = prove('TAI', k.secretKey, alpha)
const B = ed25519.Point.BASE.toBytes()
const N = 2000
for (let r = 0; r < 3; r++) {
  let t = performance.now(); for (let i = 0; i < N; i++) ecvrfDecode(k.publicKey, pi); const dec = (performance.now() - t) / N
  t = performance.now(); for (let i = 0; i < N; i++) ecvrfTryCandidate(B); const tr = (performance.now() - t) / N
  t = performance.now(); for (let i = 0; i < N; i++) ecvrfFinish(); const fin = (performance.now() - t) / N
  t = performance.now(); for (let i = 0; i < N; i++) sha512(new Uint8Array(60)); const sh = (performance.now() - t) / N
  t = performance.now(); for (let i = 0; i < N; i++) verifyTaiWasm(k.publicKey, alpha, pi); const all = (performance.now() - t) / N
  console.log({ dec, tr, fin, sh, all, load: os.loadavg()[0] })
}
