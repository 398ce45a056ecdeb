// Scratch (issue 21): reads V8 logs from bench/_code-log-soak.ts. For each log: code objects made
// per minute by kind, and the functions compiled most often from minute FROM on (after warm-up).
// Usage: node bench/_code-log-read.mjs FROM_MIN LOG...
import { readFileSync } from 'node:fs'
const [from, ...files] = process.argv.slice(2)
for (const f of files) {
  const lines = readFileSync(f, 'utf8').split('\n')
  const perMin = new Map(); const byName = new Map(); const deopts = new Map(); let t0 = null
  for (const line of lines) {
    if (line.startsWith('code-creation,')) {
      const p = line.split(',')
      const [type, , ts, , size] = [p[1], p[2], Number(p[3]), p[4], Number(p[5])]
      const name = p.slice(6, p.length - 2).join(',') || p[6]
      if (t0 === null) t0 = ts
      const min = Math.floor((ts - t0) / 60e6)
      const key = `${min}`
      const e = perMin.get(key) ?? { n: 0, bytes: 0, kinds: {} }
      e.n++; e.bytes += size; e.kinds[type] = (e.kinds[type] ?? 0) + size; perMin.set(key, e)
      if (min >= Number(from)) {
        const tier = p[p.length - 1]
        const k = `${type} ${tier} ${name.slice(0, 90)}`
        const b = byName.get(k) ?? [0, 0]; b[0]++; b[1] += size; byName.set(k, b)
      }
    } else if (line.startsWith('code-deopt,') && t0 !== null) {
      const p = line.split(','); const min = Math.floor((Number(p[1]) - t0) / 60e6)
      if (min >= Number(from)) { const k = p.slice(-2).join(' ').slice(0, 100); deopts.set(k, (deopts.get(k) ?? 0) + 1) }
    }
  }
  console.log(`== ${f}`)
  console.log([...perMin].map(([m, e]) => `${m}:${e.n}/${(e.bytes / 1024).toFixed(0)}K ${Object.entries(e.kinds).map(([k, v]) => k + '=' + (v / 1024).toFixed(0)).join(' ')}`).join('\n'))
  console.log('-- most compiled from minute', from)
  for (const [k, [n, b]] of [...byName].sort((a, b) => b[1][1] - a[1][1]).slice(0, 25)) console.log(String(n).padStart(4), (b / 1024).toFixed(1).padStart(7), 'K', k)
  console.log('-- deopt reasons')
  for (const [k, n] of [...deopts].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(String(n).padStart(4), k)
}
