/**
 * Whether a command may run from the prebuilt Node runtime bundle (dist/node, written by
 * node-runtime/build.mjs). Plain JavaScript: the bin reads it before any TypeScript loader exists.
 *
 * Every command runs from the bundle: the peers for their memory (no loader), the short commands
 * for their start-up time (`novacron issues list` in ~0.1 s instead of ~1.5 s through tsx). The
 * build records, per command (every `node-runtime/cli/commands/<name>.ts` esbuild made a chunk
 * for, so a new command file plus its registry line is bundled with no change here), the source
 * files (ours, not node_modules) that its chunks were built from, using esbuild's metafile; `main`
 * holds those of the entry chunk alone (help, --version). A command runs from the bundle only
 * when none of ITS sources changed since the build, so people editing other subsystems do not
 * push it back to tsx, and an edit is never silently ignored.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export const STAMP = 'dist/node/stamp.json'

/** The stamp key of what `novacron <first>` runs: a command's name, or `main` for help/--version. */
function stampKey (stamp, first) {
  if (typeof first === 'string' && stamp?.commands?.[first] != null) return first
  return 'main'
}

/**
 * The bundle's entry module for `novacron <first> …` when it exists and is newer than every
 * source that command was built from; otherwise undefined (run through tsx).
 */
export function freshBundleEntry (root, first) {
  const stampFile = join(root, STAMP)
  const entry = join(root, 'dist/node/main.mjs')
  if (!existsSync(stampFile) || !existsSync(entry)) return undefined
  let stamp
  try {
    stamp = JSON.parse(readFileSync(stampFile, 'utf8'))
  } catch {
    return undefined
  }
  const sources = stamp?.commands?.[stampKey(stamp, first)]
  if (!Array.isArray(sources) || sources.length === 0) return undefined
  const built = statSync(stampFile).mtimeMs
  for (const rel of sources) {
    const p = join(root, rel)
    if (!existsSync(p) || statSync(p).mtimeMs > built) return undefined
  }
  return entry
}

/**
 * From an esbuild metafile (paths relative to `root`), the sources each bundled command depends
 * on: the static imports of the entry chunk, plus everything the command's chunk imports,
 * statically or dynamically.
 */
export function commandSources (metafile) {
  const outputs = metafile.outputs
  const closure = (start, dynamic, seen = new Set()) => {
    if (seen.has(start) || outputs[start] == null) return seen
    seen.add(start)
    for (const imp of outputs[start].imports ?? []) {
      if (imp.external === true) continue
      if (imp.kind === 'dynamic-import' && !dynamic) continue
      closure(imp.path, dynamic, seen)
    }
    return seen
  }
  const entryOut = Object.keys(outputs).find(o => outputs[o].entryPoint?.endsWith('node-runtime/cli/main.ts'))
  const result = {}
  if (entryOut == null) return result
  const sourcesOf = (files) => {
    const sources = new Set()
    for (const f of files) {
      for (const input of Object.keys(outputs[f].inputs)) {
        // not node_modules, nor a module a build plugin made up (`namespace:name`, no file)
        if (!input.includes('node_modules/') && !/^[a-z-]+:/.test(input)) sources.add(input)
      }
    }
    return [...sources].sort()
  }
  result.main = sourcesOf(closure(entryOut, false))
  for (const out of Object.keys(outputs)) {
    const command = /node-runtime\/cli\/commands\/([\w-]+)\.ts$/.exec(outputs[out].entryPoint ?? '')?.[1]
    if (command == null || command === 'main') continue
    result[command] = sourcesOf(new Set([...closure(entryOut, false), ...closure(out, true)]))
  }
  return result
}
