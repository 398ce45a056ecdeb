/**
 * The shared fuzz harness for every wire decoder (issue 19): seeded mutations of valid encodings
 * fed to a decoder, which must either return or throw one of its typed errors (by `name`), within
 * a per-input time bound (an input over it is timed again: its fastest run counts). libp2p's `test-garbage-error-handling` idea, with a mutator in the style
 * of AFL's havoc stage: bit flips, interesting bytes, truncation, extension, inserted, deleted and
 * duplicated ranges, splices of two seeds, huge varints and length prefixes, and pure noise.
 *
 * Deterministic: one xorshift32 stream per target from a fixed seed (FUZZ_SEED overrides), so a
 * failure names the input index and reproduces exactly.
 */
import { performance } from 'node:perf_hooks'

export interface FuzzTarget {
  name: string
  /** Valid encodings to mutate. */
  seeds: Uint8Array[]
  /** Decodes one input the way a peer's message is decoded; throwing is fine if typed. */
  decode: (bytes: Uint8Array) => unknown
  /** Error names the decoder may throw (its typed errors). */
  errors: readonly string[]
  iterations: number
}

export interface FuzzReport {
  name: string
  inputs: number
  accepted: number
  rejected: Record<string, number>
  /** Slowest single input, ms. */
  slowestMs: number
  /** First failure: an untyped error or an over-time input (undefined when none). */
  failure?: { index: number, input: string, problem: string }
}

export function xorshift (seed: number): () => number {
  let x = (seed >>> 0) || 0x9e3779b9
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x40, 0xfe]
const HUGE = [Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), Uint8Array.of(0xff, 0xff, 0xff, 0x7f), Uint8Array.of(0x80, 0x00)]

/** One mutated input from `seeds` (1-4 havoc steps, or noise). */
export function mutate (seeds: readonly Uint8Array[], next: () => number): Uint8Array {
  const pick = <T>(a: readonly T[]): T => a[next() % a.length]
  if (next() % 32 === 0) return Uint8Array.from({ length: next() % 64 }, () => next() & 0xff)
  let b = Array.from(pick(seeds))
  const steps = 1 + (next() % 4)
  for (let s = 0; s < steps; s++) {
    const at = b.length === 0 ? 0 : next() % b.length
    switch (next() % 10) {
      case 0: if (b.length > 0) b[at] ^= 1 << (next() % 8); break
      case 1: if (b.length > 0) b[at] = pick(INTERESTING); break
      case 2: if (b.length > 0) b[at] = next() & 0xff; break
      case 3: b = b.slice(0, next() % (b.length + 1)); break
      case 4: b.push(...Array.from({ length: 1 + (next() % 8) }, () => next() & 0xff)); break
      case 5: b.splice(at, 0, ...Array.from({ length: 1 + (next() % 4) }, () => next() & 0xff)); break
      case 6: b.splice(at, 1 + (next() % 8)); break
      case 7: b.splice(at, 0, ...b.slice(at, at + 1 + (next() % 16))); break
      case 8: { const other = pick(seeds); const o = next() % (other.length + 1); b = [...b.slice(0, at), ...Array.from(other.subarray(o))]; break }
      default: b.splice(at, next() % 3, ...pick(HUGE))
    }
  }
  return Uint8Array.from(b)
}

/** Times an input over the bound takes again before it counts as slow. */
const REPEATS = 3

/** Runs `target`; never throws itself — returns a report whose `failure` says what went wrong. */
export function fuzz (target: FuzzTarget, seed: number, maxMsPerInput: number): FuzzReport {
  const next = xorshift(seed)
  const allowed = new Set(target.errors)
  const report: FuzzReport = { name: target.name, inputs: 0, accepted: 0, rejected: {}, slowestMs: 0 }
  // the seeds themselves first: they must decode
  const inputs = (i: number): Uint8Array => i < target.seeds.length ? target.seeds[i] : mutate(target.seeds, next)
  for (let i = 0; i < target.iterations; i++) {
    const input = inputs(i)
    const t0 = performance.now()
    let problem: string | undefined
    try {
      target.decode(input)
      report.accepted++
      if (i < target.seeds.length) { /* a seed decoding is the expected case */ }
    } catch (err) {
      const name = err instanceof Error ? err.name : typeof err
      if (!(err instanceof Error) || !allowed.has(name)) problem = `untyped error ${name}: ${err instanceof Error ? err.message : String(err)}`
      else if (i < target.seeds.length) problem = `seed ${i} does not decode: ${name}: ${err.message}`
      else report.rejected[name] = (report.rejected[name] ?? 0) + 1
    }
    let ms = performance.now() - t0
    // an input over the bound is timed again: a slow path in the decoder is slow every time, a GC
    // pause or the scheduler stalling this process under load (CI once: 1,030 ms for an input
    // that decodes in 0.1 ms) is not; the input's time is its fastest of REPEATS runs
    for (let r = 0; r < REPEATS && problem == null && ms > maxMsPerInput; r++) {
      const t1 = performance.now()
      try { target.decode(input) } catch {}
      ms = Math.min(ms, performance.now() - t1)
    }
    report.inputs++
    if (ms > report.slowestMs) report.slowestMs = ms
    if (problem == null && ms > maxMsPerInput) problem = `took ${ms.toFixed(1)} ms at best of ${REPEATS + 1} runs (bound ${maxMsPerInput} ms)`
    if (problem != null) {
      report.failure = { index: i, input: Buffer.from(input.subarray(0, 256)).toString('hex'), problem }
      return report
    }
  }
  return report
}
