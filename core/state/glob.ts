/**
 * Glob patterns for memory keys: `*` (any run), `?` (one character), `[abc]` / `[a-z]` / `[!a]`.
 *
 * Written here rather than taken from picomatch/minimatch: keys are not paths (`/` is an ordinary
 * character), the same semantics must hold in the browser and in Node, and the whole grammar is a
 * few lines. Everything else is matched literally; the result is anchored.
 */
import { ValidationError } from './errors.ts'

export function globToRegExp (pattern: string): RegExp {
  if (pattern.length > 512) throw new ValidationError('pattern is longer than 512 characters', 'pattern')
  let out = '^'
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '*') out += '.*'
    else if (c === '?') out += '.'
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end < 0) { out += '\\['; continue }
      let body = pattern.slice(i + 1, end)
      const negate = body.startsWith('!')
      if (negate) body = body.slice(1)
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`
      i = end
    } else out += c.replace(/[.+^${}()|\\/\]]/g, '\\$&')
  }
  return new RegExp(out + '$', 's')
}
