/**
 * The Node runtime bundle (dist/node, node-runtime/build.mjs) is used only while it is fresh:
 * `freshBundleEntry` must refuse a bundle whose command sources changed after the build and a
 * missing or malformed stamp; help/--version (no command) go by the entry's own sources (`main`);
 * `commandSources` must take a command's own chunks (static and dynamic imports) plus the entry's
 * static imports, for every `commands/<name>.ts` chunk, and leave out other commands and
 * node_modules. The real bundle is (re)built when stale, then `peer --help` and `--help` run from it.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { commandSources, freshBundleEntry, STAMP } from '../../node-runtime/bundle.mjs'

const root = mkdtempSync(join(tmpdir(), 'novacron-bundle-'))
after(() => { rmSync(root, { recursive: true, force: true }) })

function layout (stamp: string): void {
  mkdirSync(join(root, 'dist/node'), { recursive: true })
  mkdirSync(join(root, 'core/net'), { recursive: true })
  writeFileSync(join(root, 'core/net/a.ts'), 'export const a = 1\n')
  writeFileSync(join(root, 'dist/node/main.mjs'), 'export async function main () { return 0 }\n')
  writeFileSync(join(root, STAMP), stamp)
  const past = new Date(Date.now() - 60_000)
  utimesSync(join(root, 'core/net/a.ts'), past, past)
}

test('a fresh bundle is used for the commands (and help) whose sources it recorded', () => {
  layout(JSON.stringify({ commands: { peer: ['core/net/a.ts'] } }))
  assert.equal(freshBundleEntry(root, 'peer'), join(root, 'dist/node/main.mjs'))
  assert.equal(freshBundleEntry(root, 'start'), undefined, 'no sources recorded for start, nor for main')
  assert.equal(freshBundleEntry(root, '--help'), undefined, 'no sources recorded for main')
  layout(JSON.stringify({ commands: { main: ['core/net/a.ts'], peer: ['core/net/a.ts'] } }))
  assert.equal(freshBundleEntry(root, '--help'), join(root, 'dist/node/main.mjs'))
  assert.equal(freshBundleEntry(root, '--version'), join(root, 'dist/node/main.mjs'))
})

test('a source edited after the build makes the bundle stale', () => {
  layout(JSON.stringify({ commands: { peer: ['core/net/a.ts'] } }))
  const future = new Date(Date.now() + 60_000)
  utimesSync(join(root, 'core/net/a.ts'), future, future)
  assert.equal(freshBundleEntry(root, 'peer'), undefined)
})

test('a missing source or a malformed stamp means no bundle', () => {
  layout(JSON.stringify({ commands: { peer: ['core/net/gone.ts'] } }))
  assert.equal(freshBundleEntry(root, 'peer'), undefined)
  layout('{not json')
  assert.equal(freshBundleEntry(root, 'peer'), undefined)
  layout(JSON.stringify({ commands: { peer: [] } }))
  assert.equal(freshBundleEntry(root, 'peer'), undefined)
})

test('commandSources: the entry\'s static imports plus the command\'s whole closure, no node_modules, no plugin-made module', () => {
  const metafile = {
    outputs: {
      'dist/node/main.mjs': { entryPoint: 'node-runtime/cli/main.ts', inputs: { 'node-runtime/cli/main.ts': {} }, imports: [{ path: 'dist/node/chunk-a.mjs', kind: 'import-statement' }, { path: 'dist/node/peer.mjs', kind: 'dynamic-import' }, { path: 'dist/node/sim.mjs', kind: 'dynamic-import' }] },
      'dist/node/chunk-a.mjs': { inputs: { 'node-runtime/cli/args.ts': {}, 'node_modules/x/index.js': {}, 'novacron:classic-level-binding': {} }, imports: [] },
      'dist/node/peer.mjs': { entryPoint: 'node-runtime/cli/commands/peer.ts', inputs: { 'node-runtime/cli/commands/peer.ts': {} }, imports: [{ path: 'dist/node/net.mjs', kind: 'dynamic-import' }, { path: 'ws', kind: 'import-statement', external: true }] },
      'dist/node/net.mjs': { inputs: { 'core/net/mesh-node.ts': {} }, imports: [] },
      'dist/node/sim.mjs': { entryPoint: 'node-runtime/cli/commands/sim.ts', inputs: { 'core/consensus/x.ts': {} }, imports: [] }
    }
  }
  const sources = commandSources(metafile)
  assert.deepEqual(sources.peer, ['core/net/mesh-node.ts', 'node-runtime/cli/args.ts', 'node-runtime/cli/commands/peer.ts', 'node-runtime/cli/main.ts'])
  assert.deepEqual(sources.sim, ['core/consensus/x.ts', 'node-runtime/cli/args.ts', 'node-runtime/cli/main.ts'], 'every command chunk is recorded')
  assert.deepEqual(sources.main, ['node-runtime/cli/args.ts', 'node-runtime/cli/main.ts'])
  assert.equal(sources.start, undefined, 'no chunk for start in this metafile')
})

test('the real bundle is fresh after a build, and `novacron peer --help` runs from it', () => {
  const repo = new URL('../..', import.meta.url).pathname
  if (freshBundleEntry(repo, 'peer') == null) {
    // not built, or sources edited since (`npm test` builds first; a lone run of this file may not)
    const b = spawnSync(process.execPath, [join(repo, 'node-runtime/build.mjs')], { encoding: 'utf8', timeout: 120_000 })
    assert.equal(b.status, 0, b.stderr)
  }
  assert.notEqual(freshBundleEntry(repo, 'peer'), undefined, 'a build leaves a fresh bundle for `peer`')
  const r = spawnSync(process.execPath, [join(repo, 'bin/novacron.mjs'), 'peer', '--help'], { encoding: 'utf8', timeout: 60_000 })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /--bootstrap <multiaddr>/)
  for (const first of ['--help', 'issues', 'memory', 'compress']) assert.notEqual(freshBundleEntry(repo, first), undefined, `${first} runs from the bundle`)
})
