/**
 * ECVRF-EDWARDS25519-SHA512-TAI verify: @noble/curves (`verifyNoble`, the baseline) against the
 * core-wasm curve path (`verifyTaiWasm`), side by side in one process, rounds alternating ABBA so
 * drift in machine load falls on both. Inputs are ProBFT-shaped: 16 keys × `--inputs` alphas of
 * the ledger's form (core/consensus vrfAlpha), every proof valid, each pair of verdicts compared
 * (beta must be equal or the run fails). Proving (noble only) is timed once for scale.
 *
 *   npm run bench -- vrf [--rounds 8] [--inputs 64]
 * Writes bench/results/vrf.json.
 */
import os from 'node:os'
import { equalBytes } from '@noble/curves/utils.js'
import { initCoreWasm } from '../core-wasm/index.ts'
import { vrfAlpha } from '../core/consensus/crypto.ts'
import { keygen, prove, verifyNoble } from '../core/vrf/ecvrf.ts'
import { verifyTaiWasm } from '../core/vrf/ecvrf-wasm.ts'
import { median, writeResult } from './_results.ts'

const argv = process.argv.slice(2)
if (argv.includes('--help')) {
  console.log('Usage: npm run bench -- vrf [--rounds 8] [--inputs 64]\nECVRF TAI verify, @noble/curves vs core-wasm, ABBA rounds; writes bench/results/vrf.json')
  process.exit(0)
}
const arg = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const rounds = Number(arg('rounds', '8'))
const inputs = Number(arg('inputs', '64'))

await initCoreWasm()
const keys = Array.from({ length: 16 }, (_, i) => keygen(new Uint8Array(32).fill(i + 1)))
const t0 = performance.now()
const cases = Array.from({ length: inputs }, (_, i) => {
  const k = keys[i % keys.length]
  const alpha = vrfAlpha(1 + (i % 2), 1000 + i, i % 3)
  return { pk: k.publicKey, alpha, pi: prove('TAI', k.secretKey, alpha) }
})
const proveMs = (performance.now() - t0) / inputs
type Verify = (pk: Uint8Array, alpha: Uint8Array, pi: Uint8Array) => Uint8Array | null
const noble: Verify = (pk, alpha, pi) => verifyNoble('TAI', pk, alpha, pi)
const wasm: Verify = verifyTaiWasm
// warm both (JIT, noble's per-key tables) and check they agree
for (const c of cases) {
  const a = noble(c.pk, c.alpha, c.pi); const b = wasm(c.pk, c.alpha, c.pi)
  if (a == null || b == null || !equalBytes(a, b)) throw new Error('verdicts differ')
}
const run = (v: Verify): number => {
  const t = performance.now()
  for (const c of cases) v(c.pk, c.alpha, c.pi)
  return (performance.now() - t) / cases.length
}
const ms = { noble: [] as number[], wasm: [] as number[] }
const load0 = os.loadavg()
for (let r = 0; r < rounds; r++) {
  if (r % 4 === 0 || r % 4 === 3) { ms.noble.push(run(noble)); ms.wasm.push(run(wasm)) } else { ms.wasm.push(run(wasm)); ms.noble.push(run(noble)) }
}
const load1 = os.loadavg()
const result = {
  verifyMs: { noble: +median(ms.noble).toFixed(4), wasm: +median(ms.wasm).toFixed(4) },
  ratio: +(median(ms.wasm) / median(ms.noble)).toFixed(3),
  proveMsNoble: +proveMs.toFixed(3),
  rounds,
  inputs,
  all: { noble: ms.noble.map(x => +x.toFixed(3)), wasm: ms.wasm.map(x => +x.toFixed(3)) },
  loadavg: { before: load0.map(x => +x.toFixed(2)), after: load1.map(x => +x.toFixed(2)) }
}
console.log(`vrf verify ms/op: noble ${result.verifyMs.noble}, wasm ${result.verifyMs.wasm} (ratio ${result.ratio}); load ${result.loadavg.before[0]} → ${result.loadavg.after[0]}`)
console.log(`wrote ${writeResult('vrf', result)}`)
