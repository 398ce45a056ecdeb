/**
 * The package root (the folder with package.json), found upwards from a module's folder: CLI
 * modules run both from their sources and bundled from dist/node, so a fixed relative path would
 * be wrong in one of the two.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export function packageRoot (from = new URL('.', import.meta.url).pathname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) return process.cwd()
  }
}

/** `version` from package.json. */
export function packageVersion (): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}
