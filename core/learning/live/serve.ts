/**
 * The answering side of `/novacron/learning/live/1.1.0` for one `LiveLearning` (service.ts): every
 * request is decoded and counted by rpc.ts, then
 *
 * - `start`: refused unless from a learner of this task for a round after the head; then the
 *   participant decides (participant.ts `offer`): training begins (from the base the `start`'s
 *   delta rebuilds, when it carries one that checks), or the update of the same round and base goes
 *   to this coordinator too (a takeover), or it is refused (busy training for another round);
 * - `update`: only for the round this peer coordinates (else `wrong-round`); the collector's cheap
 *   checks first, the signature last (the costly one), then the engine's admission;
 * - `hold`: a coordinator's model about to be committed (its delta from the round's base, or whole)
 *   and its server state: checked, bounded per sender and kept to serve on (holds.ts), answered `ok`;
 * - `getModel` / `getDelta` / `getRound`: what the model store holds (a model LZ4-framed when that
 *   is smaller), else a refusal.
 *
 * A refusal names why; nothing a peer sends throws out of here.
 */
import type { Compressor } from '../codec.ts'
import { errorText } from '../errors.ts'
import type { RoundCollector } from './collector.ts'
import type { LiveMessage } from './codec.ts'
import type { HeldForOthers } from './holds.ts'
import type { ModelStore } from './model-store.ts'
import type { LiveRpc } from './rpc.ts'
import { checkUpdateSignature } from './signing.ts'
import type { LiveStats } from './status.ts'
import { bytesToHex, hexToBytes32, weightsToBytes } from './weights.ts'

export interface ServeHost {
  readonly task: string
  readonly rpc: LiveRpc
  readonly store: ModelStore
  readonly stats: LiveStats
  readonly compressor?: Compressor | undefined
  now: () => number
  isLearner: (peer: string) => boolean
  headRound: () => number
  /** training for another round already */
  /** a `start` this peer takes (null: it trains, or sends its update of the same round to this coordinator too) or refuses (why): participant.ts */
  offer: (coordinator: string, m: Extract<LiveMessage, { type: 'start' }>) => string | null
  /** what coordinators hand over to this peer before their commit (holds.ts) */
  readonly holds: HeldForOthers
  /** the round this peer coordinates now */
  active: () => RoundCollector | undefined
  /** an update from `from` was admitted (what the coordinator measures of it) */
  arrived: (from: string, m: Extract<LiveMessage, { type: 'update' }>) => void
}

export async function serveRequest (host: ServeHost, req: Uint8Array, from: string): Promise<Uint8Array> {
  const read = host.rpc.readRequest(req)
  if ('refusal' in read) return read.refusal
  const m = read.message
  const refuse = (reason: string): Uint8Array => host.rpc.answer({ type: 'refuse', reason })
  switch (m.type) {
    case 'start': {
      if (m.task !== host.task) return refuse('another task')
      if (!host.isLearner(from)) return refuse('coordinator is not a learner of the task')
      if (m.round <= host.headRound()) return refuse(`round ${m.round} is already committed`)
      const why = host.offer(from, m)
      return why == null ? host.rpc.answer({ type: 'ok' }) : refuse(why)
    }
    case 'update': {
      const col = host.active()
      if (m.task !== host.task || col == null || col.round !== m.round || col.baseHash !== bytesToHex(m.base)) {
        host.stats.rejected['wrong-round']++
        return refuse('no such round in progress')
      }
      // cheap checks first, the signature last (it is the costly one)
      const pre = col.precheck(from, host.now())
      const signed = pre == null && await checkUpdateSignature(from, host.task, m.round, m.base, m.body, m.sig)
      const why = col.receive(from, m.body, m.sig, signed, host.now())
      if (why == null) host.arrived(from, m)
      return why == null ? host.rpc.answer({ type: 'ok' }) : refuse(why)
    }
    case 'getModel': {
      const w = host.store.get(bytesToHex(m.hash))
      if (w == null) return refuse('model not held')
      const raw = weightsToBytes(w)
      const z = host.compressor?.compress(raw)
      return host.rpc.answer(z != null && z.length < raw.length ? { type: 'model', hash: m.hash, lz4: true, bytes: z } : { type: 'model', hash: m.hash, lz4: false, bytes: raw })
    }
    case 'getDelta': {
      const d = host.store.delta(bytesToHex(m.hash))
      if (d == null) return refuse('delta not held')
      return host.rpc.answer({ type: 'delta', hash: m.hash, base: hexToBytes32(d.base), body: d.body })
    }
    case 'hold': {
      // a coordinator's new model before its commit (coordinator.ts `handOver`): kept (hash-checked, bounded per sender) to serve once committed
      try { host.holds.accept(from, m) } catch (err) { return refuse(errorText(err)) }
      return host.rpc.answer({ type: 'ok' })
    }
    case 'getRound': {
      const r = host.store.round(m.round)
      if (m.task !== host.task || r == null) return refuse('round not held')
      return host.rpc.answer({ type: 'round', round: m.round, base: hexToBytes32(r.base), updates: r.bodies })
    }
    default: return refuse(`unexpected ${m.type}`)
  }
}
