/**
 * Runs the reference `lz4` command (Debian's lz4 package; the CI installs it) on a byte input and
 * returns its stdout. Fails with a clear message, never skips, when the command is missing or
 * rejects the input (its stderr says why).
 */
import { spawnSync } from 'node:child_process'

export function lz4 (args: string[], input: Uint8Array): Buffer {
  const r = spawnSync('lz4', args, { input, maxBuffer: 1 << 28 })
  // EPIPE: lz4 stopped reading early (it rejected the input); its stderr says why.
  if (r.error != null && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`the lz4 CLI is required for this test (apt-get install lz4): ${r.error.message}`)
  if (r.error != null) throw new Error(`lz4 ${args.join(' ')} failed: ${r.error.message}: ${r.stderr?.toString() ?? ''}`)
  if (r.status !== 0) throw new Error(`lz4 ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`)
  return r.stdout
}
