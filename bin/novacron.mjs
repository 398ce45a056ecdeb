#!/usr/bin/env -S node --max-semi-space-size=2
// The `novacron` command: installs the Node 20 polyfills, then runs the CLI. The shebang caps V8's
// young generation at 2 MB per semi-space (default 16): a `novacron peer` process then stays at
// ~78 MB resident instead of ~87 (bench/results/mesh.json); `npm start` passes the same flag. The long-running mesh
// commands (`start`, `peer`) run from the plain-JavaScript bundle that `npm run build` writes to
// dist/node (node-runtime/build.mjs) while none of their sources changed since that build: no
// TypeScript loader, far less resident memory per peer process. Everything else, and any run where
// the bundle is missing or stale, goes through tsx. NOVACRON_NO_BUNDLE=1 forces tsx.
import '../node-runtime/polyfills.mjs'
import { freshBundleEntry } from '../node-runtime/bundle.mjs'

const root = new URL('..', import.meta.url).pathname
const bundled = process.env.NOVACRON_NO_BUNDLE == null ? freshBundleEntry(root, process.argv[2] ?? '') : undefined

let main
if (bundled != null) {
  ({ main } = await import(bundled))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../node-runtime/cli/main.ts'))
}
process.exitCode = await main(process.argv.slice(2))
