/**
 * Which commands may run from the prebuilt Node runtime bundle (dist/node, written by
 * node-runtime/build.mjs), and whether it is fresh. Plain JavaScript: the bin reads it before any
 * TypeScript loader exists.
 *
 * The build records, per bundled command, the source files (ours, not node_modules) that its
 * chunks were built from, using esbuild's metafile. A command runs from the bundle only when
 * none of ITS sources changed since the build, so four people editing other subsystems do not
 * keep the peer process on tsx, and an edit to the mesh code is never silently ignored.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Commands that run from the bundle: the long-running processes whose memory matters. */
export const BUNDLED_COMMANDS = ['start', 'peer']

export const STAMP = 'dist/node/stamp.json'

/**
 * The bundle's entry module for `command` when it exists and is newer than every source the
 * command was built from; otherwise undefined (run through tsx).
 */
export function freshBundleEntry (root, command) {
  if (!BUNDLED_COMMANDS.includes(command)) return undefined
  const stampFile = join(root, STAMP)
  const entry = join(root, 'dist/node/main.mjs')
  if (!existsSync(stampFile) || !existsSync(entry)) return undefined
  let stamp
  try {
    stamp = JSON.parse(readFileSync(stampFile, 'utf8'))
  } catch {
    return undefined
  }
  const sources = stamp?.commands?.[command]
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
  for (const command of BUNDLED_COMMANDS) {
    const commandOut = Object.keys(outputs).find(o => outputs[o].entryPoint?.endsWith(`node-runtime/cli/commands/${command}.ts`))
    if (entryOut == null || commandOut == null) continue
    const files = new Set([...closure(entryOut, false), ...closure(commandOut, true)])
    const sources = new Set()
    for (const f of files) {
      for (const input of Object.keys(outputs[f].inputs)) {
        if (!input.includes('node_modules/')) sources.add(input)
      }
    }
    result[command] = [...sources].sort()
  }
  return result
}
