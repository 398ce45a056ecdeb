/**
 * Flag parsing of `npm run bench -- learning`: numbers as `--name value` or `--name=value` (both
 * arrive through scripts/bench.mjs), booleans as a bare `--name`. A malformed value is a
 * `LearningBenchFlagError`, never a silent NaN that would skip or distort a row.
 */

import { LearningConfigError } from '../core/learning/errors.ts'

/** A flag of the learning benchmark has a malformed or out-of-range value. */
export class LearningBenchFlagError extends LearningConfigError {
  static override name = 'LearningBenchFlagError'
  override name = 'LearningBenchFlagError'
}

export interface NumberFlagRule {
  /** Must be a whole number. */
  integer?: boolean
  /** Smallest allowed value (inclusive). */
  min?: number
}

/** The raw text of `--name`'s value, or null when the flag is absent. */
function rawValue (args: readonly string[], name: string): string | null {
  const flag = `--${name}`
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1)
    if (a === flag) {
      const next = args[i + 1]
      if (next == null || next.startsWith('--')) throw new LearningBenchFlagError(`${flag} needs a value (e.g. ${flag} N or ${flag}=N)`)
      return next
    }
  }
  return null
}

/** `--name N` / `--name=N`, or `def` when absent; checked against `rule`. */
export function numberFlag (args: readonly string[], name: string, def: number, rule: NumberFlagRule = {}): number {
  const raw = rawValue(args, name)
  if (raw == null) return def
  const v = raw.trim() === '' ? Number.NaN : Number(raw)
  if (!Number.isFinite(v)) throw new LearningBenchFlagError(`--${name} must be a number (got '${raw}')`)
  if (rule.integer === true && !Number.isInteger(v)) throw new LearningBenchFlagError(`--${name} must be a whole number (got ${raw})`)
  if (rule.min != null && v < rule.min) throw new LearningBenchFlagError(`--${name} must be >= ${rule.min} (got ${raw})`)
  return v
}

/** A bare `--name` (a value given to it is an error: booleans take none). */
export function booleanFlag (args: readonly string[], name: string): boolean {
  if (args.some(a => a.startsWith(`--${name}=`))) throw new LearningBenchFlagError(`--${name} takes no value`)
  return args.includes(`--${name}`)
}

/** Every flag of the learning benchmark, with its default (see bench/learning.bench.ts). */
export interface LearningBenchFlags {
  rounds: number
  clients: number
  seed: number
  dpClip: number
  cnnEpochs: number
  fedCnnRounds: number
  dpScaleClients: number
  onlyCnn: boolean
  skipBrowser: boolean
  skipProducts: boolean
  /** bench/results/<resultName>.json: learning[-cnn][-seed<N>]. */
  resultName: string
}

export function parseLearningBenchFlags (args: readonly string[]): LearningBenchFlags {
  const onlyCnn = booleanFlag(args, 'only-cnn')
  const seed = numberFlag(args, 'seed', 1, { integer: true, min: 0 })
  const flags: LearningBenchFlags = {
    rounds: numberFlag(args, 'rounds', 20, { integer: true, min: 1 }),
    clients: numberFlag(args, 'clients', 20, { integer: true, min: 2 }),
    seed,
    dpClip: numberFlag(args, 'dp-clip', 0.3, { min: Number.MIN_VALUE }),
    // --only-cnn compares the two CNN rows, so both must run
    cnnEpochs: numberFlag(args, 'cnn-epochs', 3, { integer: true, min: onlyCnn ? 1 : 0 }),
    fedCnnRounds: numberFlag(args, 'fed-cnn-rounds', onlyCnn ? 60 : 0, { integer: true, min: onlyCnn ? 1 : 0 }),
    dpScaleClients: numberFlag(args, 'dp-scale-clients', 200, { integer: true, min: 0 }),
    onlyCnn,
    skipBrowser: booleanFlag(args, 'skip-browser'),
    skipProducts: booleanFlag(args, 'skip-products'),
    resultName: `learning${onlyCnn ? '-cnn' : ''}${seed === 1 ? '' : `-seed${seed}`}`
  }
  return flags
}
