/**
 * A test-only hostile learner (`novacron learn` with NOVACRON_TEST=1 and
 * NOVACRON_TEST_HOSTILE=<kinds>): it trains like any peer, then replaces what it sends. Each time
 * it contributes to a round it sends, in order,
 *
 *   wrong-base  an update naming a base hash the round does not have (refused as `wrong-round`)
 *   forged      a plausible update signed by another Ed25519 key than its own (`signature`)
 *   altered     a plausible update signed by its own key, then one byte of the body changed
 *               (`signature`)
 *   then one of the in-round kinds, cycling in the order given:
 *   nan         every value NaN, float32 on the wire (rejected as `non-finite`)
 *   huge        every value 1e6 (L2 norm ≈ 1.6e8 for 25k parameters: rejected as `norm` when the
 *               task has a norm bound, i.e. --dp-clip)
 *   shape       size + 7 values (rejected as `shape`)
 *
 * The honest update is never sent. Never wired outside NOVACRON_TEST=1.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { Compressor } from '../codec.ts'
import { encodeUpdate } from '../codec.ts'
import { createRng } from '../rng.ts'

export const HOSTILE_KINDS = ['wrong-base', 'forged', 'altered', 'nan', 'huge', 'shape'] as const
export type HostileKind = typeof HOSTILE_KINDS[number]

/** How a hostile send is signed: by its own key (the default), by another key, or by its own key before one body byte changes. */
export type HostileSigning = 'forged' | 'altered'

/** What a hostile learner sends instead of its honest update: (base, body) pairs, in order. */
export type HostileUpdates = (u: { round: number, base: Uint8Array, size: number }) => Array<{ base: Uint8Array, body: Uint8Array, forge?: HostileSigning }>

/** A signature of `bytes` by a key that is not the sender's (a fixed test key). */
export function forgeSignature (bytes: Uint8Array): Uint8Array {
  return ed25519.sign(bytes, sha256(new TextEncoder().encode('novacron/test/hostile/forger')))
}

/** The body with one byte changed (after it was signed). */
export function alterBody (body: Uint8Array): Uint8Array {
  const out = body.slice()
  out[out.length >> 1] ^= 0x01
  return out
}

export class HostileKindError extends Error {
  static override name = 'HostileKindError'
  override name = 'HostileKindError'
}

export function parseHostileKinds (text: string): HostileKind[] {
  const kinds = text.split(',').map(k => k.trim()).filter(k => k !== '')
  for (const k of kinds) if (!(HOSTILE_KINDS as readonly string[]).includes(k)) throw new HostileKindError(`unknown hostile kind ${k} (one of ${HOSTILE_KINDS.join(', ')})`)
  if (kinds.length === 0) throw new HostileKindError(`no hostile kind given (one or more of ${HOSTILE_KINDS.join(', ')})`)
  return kinds as HostileKind[]
}

export function hostileUpdates (kinds: readonly HostileKind[], compressor?: Compressor): HostileUpdates {
  const inRound = kinds.filter(k => k === 'nan' || k === 'huge' || k === 'shape')
  let n = 0
  return ({ round, base, size }) => {
    const out: Array<{ base: Uint8Array, body: Uint8Array, forge?: HostileSigning }> = []
    const encode = (values: Float32Array): Uint8Array => encodeUpdate({ round, sender: 0, samples: 1, clients: 1, values }, createRng(round), { bits: 0, ...(compressor != null ? { compressor } : {}) }).bytes
    if (kinds.includes('wrong-base')) out.push({ base: sha256(new TextEncoder().encode(`not the base of round ${round}`)), body: encode(new Float32Array(size)) })
    for (const forge of ['forged', 'altered'] as const) if (kinds.includes(forge)) out.push({ base, body: encode(new Float32Array(size).fill(0.001)), forge })
    if (inRound.length > 0) {
      const kind = inRound[n++ % inRound.length]
      const values = kind === 'nan' ? new Float32Array(size).fill(NaN) : kind === 'huge' ? new Float32Array(size).fill(1e6) : new Float32Array(size + 7).fill(0.01)
      out.push({ base, body: encode(values) })
    }
    return out
  }
}
