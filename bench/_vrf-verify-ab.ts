/**
 * Scratch (issue 15, a faster VRF check): ECVRF verify as it is now against a git revision's
 * (`--base main`), side by side in one process, rounds alternating ABBA: 16 keys × `--inputs`
 * ProBFT-like inputs, every proof valid, each verdict compared (the outputs must be equal).
 * The base revision's core/vrf/ecvrf.ts is written next to the current one for the run and removed.
 *
 *   node --import tsx bench/_vrf-verify-ab.ts [--base main] [--rounds 8] [--inputs 60]
 */
import { execFileSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { equalBytes } from '@noble/curves/utils.js'
import * as now from '../core/vrf/ecvrf.ts'
import { vrfAlpha } from '../core/consensus/crypto.ts'

const argv = process.argv.slice(2)
const arg = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const base = arg('base', 'main')
const rounds = Number(arg('rounds', '8'))
const inputs = Number(arg('inputs', '60'))
const baseFile = new URL('../core/vrf/_ecvrf-base.tmp.ts', import.meta.url).pathname
writeFileSync(baseFile, execFileSync('git', ['show', `${base}:core/vrf/ecvrf.ts`], { encoding: 'utf8' }))
try {
  const old = await import(baseFile) as typeof now
  const keys = Array.from({ length: 16 }, (_, i) => now.keygen(new Uint8Array(32).fill(i + 1)))
  const cases = Array.from({ length: inputs }, (_, i) => {
    const k = keys[i % keys.length]
    const alpha = vrfAlpha(1 + (i % 2), 1000 + i, i % 3)
    return { pk: k.publicKey, alpha, pi: now.prove('TAI', k.secretKey, alpha) }
  })
  // warm both (JIT, key tables) and check they agree
  for (const c of cases) {
    const a = now.verify('TAI', c.pk, c.alpha, c.pi); const b = old.verify('TAI', c.pk, c.alpha, c.pi)
    if (a == null || b == null || !equalBytes(a, b)) throw new Error('verdicts differ')
  }
  const run = (v: typeof now.verify): number => {
    const t = performance.now()
    for (const c of cases) v('TAI', c.pk, c.alpha, c.pi)
    return (performance.now() - t) / cases.length
  }
  const ms = { base: [] as number[], now: [] as number[] }
  const load0 = os.loadavg()[0]
  for (let r = 0; r < rounds; r++) {
    if (r % 4 === 0 || r % 4 === 3) { ms.base.push(run(old.verify)); ms.now.push(run(now.verify)) } else { ms.now.push(run(now.verify)); ms.base.push(run(old.verify)) }
  }
  const med = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }
  console.log(JSON.stringify({ base, verifyMs: { base: +med(ms.base).toFixed(4), now: +med(ms.now).toFixed(4) }, ratio: +(med(ms.now) / med(ms.base)).toFixed(3), rounds, inputs, all: { base: ms.base.map(x => +x.toFixed(3)), now: ms.now.map(x => +x.toFixed(3)) }, loadavg1: [+load0.toFixed(2), +os.loadavg()[0].toFixed(2)] }))
} finally {
  rmSync(baseFile, { force: true })
}
