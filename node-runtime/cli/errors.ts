/**
 * How a failed command reads on stderr: one line a person can act on. Error class names
 * (`IssueNotFoundError:`) and raw errno text (`ENOENT: no such file or directory, open …`) are for
 * programs, so they appear only with `--json` (one JSON object: name, message, field) or, with the
 * stack, under `--debug`.
 */

/** Node's errno codes a user meets through file arguments, in words. */
const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files'
}

interface ErrnoLike { code?: unknown, path?: unknown, syscall?: unknown }

/** The one-line text of an error, without its class name or errno code. */
export function errorText (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const e = err as Error & ErrnoLike
  if (typeof e.code === 'string' && typeof e.syscall === 'string') {
    const words = ERRNO_WORDS[e.code] ?? e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')
    return typeof e.path === 'string' ? `${e.path}: ${words}` : words
  }
  // core-wasm's LZ4 errors carry their numeric code in the text ("LZ4 error 11: …"): keep the words
  if (e.name === 'Lz4Error') {
    const words = e.message.replace(/^LZ4 error \d+: /, '')
    return /maxOutputSize/.test(words) ? 'the decompressed data would exceed --max-output' : `not a valid LZ4 frame: ${words}`
  }
  return e.message
}

/** The `--json` form of an error: what a program can branch on. */
export function errorJson (err: unknown): { error: { name: string, message: string, field?: string } } {
  const e = err instanceof Error ? err : new Error(String(err))
  const field = (e as { field?: unknown }).field
  return { error: { name: e.name, message: errorText(e), ...(typeof field === 'string' ? { field } : {}) } }
}
