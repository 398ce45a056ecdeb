/**
 * Which test files `scripts/test.mjs` runs, and which of them must run alone.
 *
 * A file is **serial** when it starts something that competes for the machine beyond its own
 * process: Chromium, `novacron` processes, a real libp2p/WebRTC mesh in-process, or any child
 * process. Such files run one after another, as they always have, so their timing conditions are
 * what their authors saw. Every other file is **light** (codecs, in-memory meshes, unit tests) and
 * runs beside another light file. A file can also opt in to running alone with a line comment
 * `// test: serial` (for a light-looking file that is timing-sensitive). The markers are looked for
 * in the file and in the test helpers it imports (relative imports inside `test/`, followed).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'

/** What in a test file's source makes it serial: the support modules and APIs that start peers. */
export const SERIAL_MARKERS = /_support\/(chromium|jobs-tabs|learners|ledger-cluster|processes|relay-mesh|stock-node|soak)|createMeshNode|webrtc-release|child_process|\/\/ test: serial/

/** Every `*.test.ts` under `dir`, recursively. */
export function findTests (dir, out = []) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) findTests(p, out)
    else if (p.endsWith('.test.ts')) out.push(p)
  }
  return out
}

/** True when `file` (or a test helper it imports) must run with no other test file beside it. */
export function isSerial (file) {
  const testRoot = resolve(dirname(file)).split(`${sep}test${sep}`)[0] + `${sep}test${sep}`
  const seen = new Set()
  const visit = (f) => {
    if (seen.has(f)) return false
    seen.add(f)
    const text = readFileSync(f, 'utf8')
    if (SERIAL_MARKERS.test(text)) return true
    for (const m of text.matchAll(/from '(\.{1,2}\/[^']+\.ts)'/g)) {
      const dep = resolve(dirname(f), m[1])
      if (dep.startsWith(testRoot) && existsSync(dep) && visit(dep)) return true
    }
    return false
  }
  return visit(resolve(file))
}
