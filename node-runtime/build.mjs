#!/usr/bin/env node
/**
 * Bundles the Node runtime (the `novacron` CLI and everything of ours it imports: core/,
 * node-runtime/, core-wasm/) into plain ESM under dist/node/, so `bin/novacron.mjs` can run the
 * mesh commands without the tsx loader. The loader costs a `novacron peer` process tens of MB of
 * resident memory (its module hooks run in a worker thread with its own V8 heap, plus esbuild's
 * transform on every load) and seconds of start-up CPU.
 *
 * The libp2p stack is bundled too, minified: V8 keeps every loaded module's source text on its
 * heap (for lazy compilation), and one module record per file of libp2p's few hundred costs
 * more. Measured on a `novacron peer` process: tsx ~170 MB resident, our code bundled ~100 MB,
 * dependencies bundled and minified ~72 MB. Native addons (node-datachannel; classic-level's
 * compiled binding, while its JavaScript is bundled: see `levelBinding`),
 * packages that locate files next to themselves (tfjs and its WASM binaries), `ws` (the
 * polyfill already loads it from node_modules), binaryen and tsx stay external. Each command is its own
 * lazily loaded chunk (`splitting`), as `registry.ts` intends. `keepNames` keeps class and
 * function names (error names, libp2p's `toStringTag`s) intact under minification.
 *
 * esbuild ships with vite/tsx (no new dependency). A failed bundle is not fatal: the bin falls
 * back to tsx, so this script warns and exits 0.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { commandSources, STAMP } from './bundle.mjs'

const root = new URL('..', import.meta.url).pathname
const outdir = join(root, 'dist/node')

/**
 * classic-level's JavaScript (abstract-level, level-transcoder, … ~25 CommonJS files) is bundled:
 * left in node_modules, Node resolved, read and compiled each file for every command that opens a
 * store (`issues list`: ~40 ms of CPU on the 2-core machine). Only its compiled addon stays where it
 * is: `binding.js` finds it next to itself (`node-gyp-build(__dirname)`), so here it is asked for
 * with classic-level's own folder, resolved at run time from the chunk.
 */
const levelBinding = {
  name: 'classic-level-binding',
  setup (b) {
    b.onResolve({ filter: /^\.\/binding(\.js)?$/ }, args => /[\\/]classic-level[\\/]/.test(args.importer) ? { path: 'classic-level-binding', namespace: 'novacron' } : undefined)
    b.onLoad({ filter: /^classic-level-binding$/, namespace: 'novacron' }, () => ({
      contents: "const { dirname } = require('node:path'); module.exports = require('node-gyp-build')(dirname(require.resolve('classic-level/package.json')))",
      loader: 'js',
      resolveDir: root
    }))
  }
}

try {
  const { build } = await import('esbuild')
  rmSync(outdir, { recursive: true, force: true })
  const { metafile } = await build({
    absWorkingDir: root,
    // the jobs sandbox's worker thread and live migration's instrumenting thread are their own
    // entries: a bundled peer starts them from dist/node
    entryPoints: { main: 'node-runtime/cli/main.ts', 'task-worker-main': 'node-runtime/jobs/task-worker-main.ts', 'instrument-worker-main': 'node-runtime/migration/instrument-worker-main.ts' },
    metafile: true,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // binaryen (13 MB, loaded only by the instrumenting thread) stays in node_modules
    external: ['node-datachannel', '@tensorflow/*', 'ws', 'tsx', 'binaryen'],
    plugins: [levelBinding],
    // level-read-stream (y-leveldb's reads) brings readable-stream, a 90 KB copy of Node's own
    // streams for browsers: in the Node bundle the built-in serves (parsed once per command
    // that opens a store, e.g. `issues list`)
    alias: { 'readable-stream': 'node:stream' },
    minify: true,
    keepNames: true,
    // bundled CommonJS dependencies call require(); give the ESM chunks a real one
    banner: { js: "import { createRequire as __novacronRequire } from 'node:module'; const require = __novacronRequire(import.meta.url);" },
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning'
  })
  // the bin runs a command from the bundle only while none of that command's sources is newer
  // than this stamp (node-runtime/bundle.mjs)
  writeFileSync(join(root, STAMP), JSON.stringify({ builtAt: new Date().toISOString(), commands: commandSources(metafile) }, null, 1) + '\n')
} catch (err) {
  console.warn(`build: node runtime bundle skipped (${err instanceof Error ? err.message : String(err)}); bin/novacron.mjs uses tsx`)
  rmSync(outdir, { recursive: true, force: true })
}
