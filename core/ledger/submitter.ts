/**
 * This peer's own submissions: entries wait in an outbox, go out in microblocks of at most
 * `maxBatchBytes` (many entries per signature: batching), one microblock in flight at a time
 * (seq = the author's committed seq + 1, so a replayed or reordered microblock is stale), signed
 * with the libp2p key. A replica pools its own microblock and sends it to every replica; a
 * follower sends it to one replica, which relays it, and when it is not committed in time to two
 * others each time (routing.ts). Each entry's
 * promise settles on commit (refused at apply → `EntryRefusedError`) or after `submitTimeoutMs`
 * (`SubmitTimeoutError`; the entry may still commit later).
 */
import type { PrivateKey } from '@libp2p/interface'
import { readMicroblock, type Microblock } from './codec.ts'
import { EntryRefusedError, SubmitTimeoutError } from './errors.ts'
import { signMicroblock } from './keys.ts'
import type { Clock } from './live-replica.ts'
import type { AppliedEntry } from './chain.ts'
import type { CommittedEntry, Entry } from './types.ts'

interface Waiter { entry: Entry, at: number, resolve: (e: CommittedEntry) => void, reject: (err: Error) => void, timer: unknown, done: boolean }
interface InFlight { seq: number, mb: Microblock, waiters: Waiter[], sentAt: number, sentTo: Set<string> }

export interface SubmitterOwner {
  self: string
  privateKey: PrivateKey
  clock: Clock
  maxBatchBytes: () => number
  submitTimeoutMs: number
  lastSeq: () => number
  /** hands a signed microblock to the network (pool + replicas, or a follower's chosen replicas); `sentTo` grows */
  dispatch: (mb: Microblock, sentTo: Set<string>, resend: boolean) => void
  ready: () => boolean
  log: (msg: string) => void
}

export class Submitter {
  private outbox: Waiter[] = []
  private inflight?: InFlight
  private signing = false
  /** the batch being signed (out of the outbox, not yet in flight) */
  private signingBatch: Waiter[] = []
  private lastUsed = -1
  private pumpQueued = false
  readonly latencies: number[] = []

  constructor (private readonly o: SubmitterOwner) {}

  get pending (): number { return this.outbox.length + (this.inflight?.waiters.length ?? 0) }
  get busy (): boolean { return this.pending > 0 }

  /**
   * An entry of `kind` waits in the outbox, is being signed or rides the microblock in flight: a
   * signed microblock goes out and may still commit after its waiter timed out, so the same entry
   * submitted again would commit twice.
   */
  hasPending (kind: string): boolean {
    const of = (w: Waiter): boolean => w.entry.kind === kind
    return this.outbox.some(w => !w.done && of(w)) || this.signingBatch.some(of) || (this.inflight?.waiters.some(of) ?? false)
  }

  /**
   * The entry waits for the end of the current synchronous run (see `pumpSoon`): entries submitted
   * together (a loop, `ledger.submitMany`) leave in one microblock. (For one session only bulk
   * submits did: batching every submit had exposed a liveness bug — an idle ledger with dead
   * leaders next in its rotation took 35–60 s to commit — fixed in live-replica.ts.)
   */
  submit (entry: Entry, timeoutMs = this.o.submitTimeoutMs): Promise<CommittedEntry> {
    return new Promise((resolve, reject) => {
      const w: Waiter = { entry, at: this.o.clock.now(), resolve, reject, timer: undefined, done: false }
      w.timer = this.o.clock.setTimeout(() => { this.settle(w, new SubmitTimeoutError(`entry of kind ${entry.kind} not committed within ${timeoutMs} ms`)) }, timeoutMs)
      this.outbox.push(w)
      this.pumpSoon()
    })
  }

  /**
   * Pumps once the current task's synchronous work is done, so entries submitted together (a loop,
   * a bulk `submitMany`) share one microblock: pumping at the first of them sent it alone, and with one
   * microblock in flight per author the rest waited a whole decision for it.
   */
  private pumpSoon (): void {
    if (this.pumpQueued) return
    this.pumpQueued = true
    queueMicrotask(() => { this.pumpQueued = false; this.pump() })
  }

  private settle (w: Waiter, result: CommittedEntry | Error): void {
    if (w.done) return
    w.done = true
    this.o.clock.clearTimeout(w.timer)
    if (result instanceof Error) w.reject(result)
    else w.resolve(result)
  }

  /** Builds and sends the next microblock when none is in flight. */
  pump (): void {
    if (this.inflight != null || this.signing || !this.o.ready()) return
    this.outbox = this.outbox.filter(w => !w.done)
    if (this.outbox.length === 0) return
    const batch: Waiter[] = []
    let bytes = 0
    for (const w of this.outbox) {
      const size = w.entry.data.length + w.entry.kind.length + 8
      if (batch.length > 0 && bytes + size > this.o.maxBatchBytes()) break
      batch.push(w); bytes += size
    }
    this.outbox = this.outbox.slice(batch.length)
    const seq = Math.max(this.o.lastSeq(), this.lastUsed) + 1
    this.lastUsed = seq
    this.signing = true
    this.signingBatch = batch
    signMicroblock(this.o.privateKey, this.o.self, seq, batch.map(w => w.entry)).then(bytes => {
      this.signing = false
      this.signingBatch = []
      this.inflight = { seq, mb: readMicroblock(bytes), waiters: batch, sentAt: this.o.clock.now(), sentTo: new Set() }
      this.o.dispatch(this.inflight.mb, this.inflight.sentTo, false)
    }, (err: unknown) => {
      this.signing = false
      this.signingBatch = []
      for (const w of batch) this.settle(w, err instanceof Error ? err : new Error(String(err)))
    })
  }

  /** Called every second: a microblock not committed within `resendMs` goes out again (to more replicas). */
  maintain (resendMs: number): void {
    const f = this.inflight
    if (f != null && this.o.clock.now() - f.sentAt > resendMs) {
      f.sentAt = this.o.clock.now()
      this.o.dispatch(f.mb, f.sentTo, true)
    }
    this.pump()
  }

  /** Our entries of a committed block (author = self), in order; `committed` builds the user-facing entry. */
  onCommitted (mine: AppliedEntry[], committed: (e: AppliedEntry, latencyMs?: number) => CommittedEntry): void {
    const f = this.inflight
    if (f == null || mine.length === 0) return
    const ofSeq = mine.filter(e => e.seq === f.seq)
    if (ofSeq.length === f.waiters.length && ofSeq.length > 0) {
      const now = this.o.clock.now()
      f.waiters.forEach((w, i) => {
        const latency = now - w.at
        this.latencies.push(latency)
        if (this.latencies.length > 1000) this.latencies.shift()
        const c = committed(ofSeq[i], latency)
        this.settle(w, c.applied ? c : new EntryRefusedError(c.refusal ?? 'refused'))
      })
      this.inflight = undefined
    } else if (mine.some(e => e.seq >= f.seq)) {
      // another microblock of ours took this seq (a restart re-used it): send these entries again
      this.o.log(`microblock seq ${f.seq} superseded; re-queueing ${f.waiters.length} entries`)
      this.outbox.unshift(...f.waiters)
      this.inflight = undefined
    }
    this.pump()
  }

  stop (why: Error): void {
    for (const w of [...this.outbox, ...(this.inflight?.waiters ?? [])]) this.settle(w, why)
    this.outbox = []
    this.inflight = undefined
  }
}
