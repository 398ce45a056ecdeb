/**
 * Catching up in a `LedgerNode`: gossiped records (`onRecord`, the ledger's check behind MeshGuard's
 * topic validator: a gap makes us pull from the publisher), serving sync requests (sync.ts), and
 * pulling missing records — and the genesis, when we have none — from a peer, 64 at a time,
 * verifying every one through the commit queue, never trusting the sender.
 *
 * Whom a pull asks (`pullAny`: at start, every `syncIntervalMs`, and at once when a record arrives
 * before we hold a genesis): up to `PULL_TARGETS` linked peers in turn, until one answers with what
 * we lack. Peers that just showed they hold the chain (a gossiped record came from them) go first;
 * without a genesis, the genesis peer next; then the others in random order, skipping peers that
 * answered without a genesis in the last `LACKING_MS`. Before, a peer without a genesis asked only
 * the genesis peer (the bootstrap: relay, gossip hub and forwarder at once, the busiest process of
 * the mesh) once per `syncIntervalMs`: at n = 32 under load its answers timed out and late peers
 * sat at height −1 for 6–9 minutes (docs/ledger.md, "Late peers"). One such pull runs at a time.
 * A peer without a genesis also asks holders and the genesis peer it has no usable link to, dialling
 * them (`syncDials` counts those requests): at n = 32 late peers were linked only to each other.
 * And it asks the mesh's other members (`knownPeers`, the topology view), dialling them: at n = 20
 * late peers heard no gossiped record while they waited, so none was named a holder, and every pull went
 * to the saturated bootstrap and timed out. A peer whose answer did not come (`unanswered`) is
 * asked after every other candidate for `SILENT_MS`, so a mute hub is not first in every pull (with
 * more than `PULL_TARGETS` candidates, or one that answers first, it is not asked at all then).
 */
import { Chain } from './chain.ts'
import { readRecord, readSyncResponse, writeSyncRequest } from './codec.ts'
import { serveSync } from './sync.ts'
import type { RecordVerdict } from './transport.ts'
import type { BlockRecord } from './types.ts'
import { EpochInstances } from './epoch-instances.ts'

/** linked peers one pull tries at most, one after another */
export const PULL_TARGETS = 4
/** a peer that answered without a genesis is not asked again for this long */
export const LACKING_MS = 10_000
/** a peer whose answer did not come is asked after all others for this long */
export const SILENT_MS = 30_000
/** peers remembered as holders / lacking / silent, at most (oldest dropped) */
const REMEMBERED = 64

/** How one request went: `done` (we hold what it had, or it had nothing more), or why not. */
type PullOutcome = { ok: true, said: number } | { ok: false, said?: number, why: 'unanswered' | 'noGenesis' | 'rejected' | 'stopped' }

export abstract class SyncPulls extends EpochInstances {
  /** peers a gossiped record just came from (they hold the chain), by when */
  private readonly holders = new Map<string, number>()
  /** peers that answered a pull without a genesis, by when */
  private readonly lacking = new Map<string, number>()
  /** peers whose answer to a pull did not come (timed out, unreachable), by when */
  private readonly silent = new Map<string, number>()
  private pulling = false
  private caughtUp = false

  /**
   * True once this peer caught up after it started: a sync pull ended holding everything the
   * asked peer said it held in its first answer (or that peer had nothing more), or this peer
   * created the chain (a new genesis: no history to catch up). Until then, state built from
   * commits (the jobs layer's) may lack what committed while the peer was away; the jobs layer
   * holds blob eviction until it turns true (core/jobs/retention.ts). The asked peer may itself lag:
   * this is "caught up with a peer", not a proof of holding the mesh's head.
   */
  get synced (): boolean { return this.caughtUp }

  protected markSynced (): void {
    if (this.caughtUp) return
    this.caughtUp = true
    this.debug(`synced at height ${this.chain?.height ?? -1}`)
  }

  async onRecord (from: string, bytes: Uint8Array): Promise<RecordVerdict> {
    let r: BlockRecord
    try { r = readRecord(bytes) } catch { this.count('badRecord'); return 'malformed' }
    remember(this.holders, from, this.clock.now())
    const chain = this.chain
    if (chain == null) this.pullAny() // it holds the chain we lack: ask it (first) now, not at the next interval
    else if (r.height > chain.height + 1) { this.syncBackoff.gap(); this.background('sync pull', this.pull(from)) }
    const v = await this.ingest(r)
    return v === 'reject' ? 'forged' : v
  }

  async serveSync (_from: string, request: Uint8Array): Promise<Uint8Array> { return await serveSync(this.c.store, request) }

  /** Starts a pull over the candidate peers (`pullTargets`) unless one is running. */
  pullAny (): void {
    if (this.pulling || !this.running) return
    this.pulling = true
    this.background('sync pull', (async () => {
      for (const peer of this.pullTargets()) {
        const r = await this.pullFrom(peer)
        if (r.ok || r.why === 'stopped') return
      }
      this.syncBackoff.gap() // nobody answered with what we lack: we do not know that nothing is missing
    })().finally(() => { this.pulling = false }))
  }

  /**
   * Whom `pullAny` asks, in order (at most PULL_TARGETS): recent holders, the genesis peer when we
   * have no chain, linked peers at random, and — without a chain — the mesh's other members at
   * random; peers that did not answer in the last SILENT_MS come after those, and peers that
   * answered without a genesis in the last LACKING_MS last (a slow peer may still answer; those
   * surely lack it). Without a chain, holders, the genesis peer and members
   * are asked even when we hold no usable link to them (the request dials one): a late peer whose
   * links all go to a busy hub and to other peers without the chain must still reach one that has it.
   */
  protected pullTargets (): string[] {
    const now = this.clock.now()
    const linked = this.c.transport.connectedPeers()
    const anyLink = this.chain == null
    const shuffle = (ps: string[]): string[] => ps.map(p => ({ p, k: Math.random() })).sort((a, b) => a.k - b.k).map(x => x.p)
    const holders = [...this.holders].filter(([p, at]) => now - at < LACKING_MS && (anyLink || linked.includes(p))).sort((a, b) => b[1] - a[1]).map(([p]) => p)
    const genesis = this.chain == null && (anyLink || linked.includes(this.init.genesisPeerId)) ? [this.init.genesisPeerId] : []
    const members = anyLink ? shuffle((this.c.transport.knownPeers?.() ?? []).filter(p => p !== this.c.transport.self && !linked.includes(p))) : []
    const recent = (m: Map<string, number>, ms: number) => (p: string): boolean => now - (m.get(p) ?? -Infinity) < ms
    const lacking = recent(this.lacking, LACKING_MS)
    const silent = recent(this.silent, SILENT_MS)
    const all = [...holders, ...genesis, ...shuffle(linked), ...members]
    const order = [...new Set([...all.filter(p => !lacking(p) && !silent(p)), ...all.filter(p => !lacking(p)), ...all])]
    return order.slice(0, PULL_TARGETS)
  }

  /**
   * Pulls missing records (and the genesis, when we have none) from one peer, verifying each.
   * Resolves with the height the peer said it holds in its first answer (undefined: no answer).
   */
  async pull (peer: string): Promise<number | undefined> {
    return (await this.pullFrom(peer)).said
  }

  private async pullFrom (target: string): Promise<PullOutcome> {
    let said: number | undefined
    for (let round = 0; round < 64; round++) {
      if (!this.running) return { ok: false, said, why: 'stopped' }
      const from = (this.chain?.height ?? -1) + 1
      let res
      this.frames.counts.syncPulls++
      try {
        // a target we hold no usable link to (a holder or the genesis peer, asked without a chain): dial it
        const direct = !this.c.transport.connectedPeers().includes(target)
        if (direct) this.frames.counts.syncDials++
        res = readSyncResponse(await this.c.transport.request(target, writeSyncRequest({ from, limit: 64 }), direct ? { direct } : undefined))
      } catch (err) {
        remember(this.silent, target, this.clock.now())
        this.debug(`sync pull from ${target} (from ${from}) unanswered: ${err instanceof Error ? err.message : String(err)}`)
        return { ok: false, said, why: 'unanswered' }
      }
      said ??= res.height
      if (res.height > from - 1) this.syncBackoff.gap() // it holds more than we do
      this.silent.delete(target)
      if (this.chain == null) {
        if (res.genesis.length === 0 || !await this.adoptGenesis(res.genesis)) {
          remember(this.lacking, target, this.clock.now())
          this.debug(`sync pull from ${target}: no usable genesis (${res.genesis.length} bytes, its height ${res.height})`)
          return { ok: false, said, why: 'noGenesis' }
        }
        await this.c.store.putGenesis(res.genesis)
        this.enterEpoch((this.chain as unknown as Chain).current, 0)
      }
      if (res.records.length === 0) { this.markSynced(); return { ok: true, said } }
      for (const b of res.records) {
        let r: BlockRecord
        try { r = readRecord(b) } catch { this.count('badRecord'); return { ok: false, said, why: 'rejected' } }
        if (await this.ingest(r) === 'reject') return { ok: false, said, why: 'rejected' }
      }
      if ((this.chain?.height ?? -1) >= res.height) { this.markSynced(); return { ok: true, said } }
    }
    return { ok: true, said: said ?? -1 }
  }
}

function remember (m: Map<string, number>, peer: string, at: number): void {
  m.delete(peer)
  m.set(peer, at)
  if (m.size > REMEMBERED) m.delete(m.keys().next().value as string)
}
