#!/usr/bin/env -S node --max-semi-space-size=1 --v8-pool-size=1 --single-threaded-gc --optimize-for-size --flush-baseline-code
// The `novacron` command: installs the Node 20 polyfills, then runs the CLI. The shebang trims V8
// for many small peer processes on few cores: a 1 MB young generation per semi-space (default 16),
// one V8 worker thread and GC on the main thread (no concurrent/parallel GC helpers), and heap
// growth that favours size. A `novacron peer` then stays at ~77 MB resident instead of ~83 with
// the semi-space flag alone, and 10 peer processes mesh faster with less CPU (docs/mesh.md, "V8
// flags"). `--flush-baseline-code` lets V8 drop the baseline (Sparkplug) code of functions not run
// for a while, as it already drops their bytecode: a long-lived peer's compiled code then stops
// growing after warm-up (issue 21; docs/mesh.md, "Long-lived peers"). `npm start` runs this file through the same shebang. Every command runs from the
// plain-JavaScript bundle that `npm run build` writes to dist/node (node-runtime/build.mjs) while
// none of its sources changed since that build: no TypeScript loader, so far less resident memory
// per peer process and ~0.1 s instead of ~1.5 s for `novacron issues list`. A run where the bundle
// is missing or stale goes through tsx. NOVACRON_NO_BUNDLE=1 forces tsx.
import '../node-runtime/polyfills.mjs'
import { freshBundleEntry } from '../node-runtime/bundle.mjs'

const root = new URL('..', import.meta.url).pathname
const bundled = process.env.NOVACRON_NO_BUNDLE == null ? freshBundleEntry(root, process.argv.slice(2).find(a => a !== '--debug' && a !== 'help') ?? '') : undefined

let main
if (bundled != null) {
  ({ main } = await import(bundled))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../node-runtime/cli/main.ts'))
}
process.exitCode = await main(process.argv.slice(2))
