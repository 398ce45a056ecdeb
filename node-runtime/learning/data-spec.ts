/**
 * The `--data <source>` and `--shard <i>/<n>` values (what they mean: ./data-source.ts). Kept apart
 * from the loader so that a command's flag checks load neither tfjs nor the data.
 */
import { LearningConfigError } from '../../core/learning/errors.ts'

export type DataSpec =
  | { kind: 'mnist' }
  | { kind: 'leaf', dir: string }
  | { kind: 'csv', file: string, testFile?: string }

/** Parses a `--data` value; a bad one is a `LearningConfigError`. */
export function parseDataSpec (text: string): DataSpec {
  if (text === 'mnist') return { kind: 'mnist' }
  if (text.startsWith('leaf:') && text.length > 5) return { kind: 'leaf', dir: text.slice(5) }
  if (text.startsWith('csv:') && text.length > 4) {
    const [file, testFile, extra] = text.slice(4).split(',')
    if (extra !== undefined || file === '' || testFile === '') throw new LearningConfigError(`csv source must be csv:<file> or csv:<train>,<test> (got '${text}')`)
    return testFile !== undefined ? { kind: 'csv', file, testFile } : { kind: 'csv', file }
  }
  if (text.endsWith('.csv')) return { kind: 'csv', file: text }
  if (text !== '' && !text.includes(':')) return { kind: 'leaf', dir: text }
  throw new LearningConfigError(`data source must be mnist, leaf:<dir> or csv:<file> (got '${text}')`)
}

/** Parses `--shard <index>/<count>`. */
export function parseShard (text: string): { index: number, count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text)
  const index = Number(m?.[1])
  const count = Number(m?.[2])
  if (m == null || count < 1 || index >= count) throw new LearningConfigError(`shard must be <index>/<count> with 0 <= index < count (got '${text}')`)
  return { index, count }
}
