/**
 * Who coordinates a round, decided by the ledger: the learners are the authors of the committed
 * `model.join` entries of the task (in commit order), and the coordinator of round r is drawn from
 * them by the hash of what the ledger committed last for the task:
 *
 *   start  = uint32be(SHA-256(utf8("<task>:<r>:<hash of round r-1's weights>"))[0..4]) mod n
 *   order  = learners rotated to start at `start`
 *
 * `order[0]` coordinates; when round r is still not committed `timeoutMs` after round r − 1 was
 * (as each peer saw it), `order[1]` takes over, and so on: a coordinator that dropped does not
 * stall the task. Two coordinators may then both commit a round r; every peer takes the first one
 * the ledger ordered (service.ts), so they still agree.
 */
import { sha256 } from '@noble/hashes/sha2.js'

export function coordinatorOrder (task: string, round: number, prevHash: string, learners: readonly string[]): string[] {
  if (learners.length === 0) return []
  const h = sha256(new TextEncoder().encode(`${task}:${round}:${prevHash}`))
  const start = ((h[0] << 24) >>> 0 | h[1] << 16 | h[2] << 8 | h[3]) % learners.length
  return [...learners.slice(start), ...learners.slice(0, start)]
}

/** The coordinator `elapsedMs` after the previous commit: one more takeover per `timeoutMs`. */
export function coordinatorAt (order: readonly string[], elapsedMs: number, timeoutMs: number): string | undefined {
  if (order.length === 0) return undefined
  const attempt = Math.max(0, Math.floor(elapsedMs / timeoutMs))
  return order[attempt % order.length]
}
