/**
 * In-memory stand-ins for `LiveLearning`'s two narrow components, shared by the in-process live
 * learning tests: `MemLedger` (a totally ordered entry list that runs the registered validators;
 * one entry per slot) and `MemMesh` (a request calls the other peer's handler; a dropped peer's
 * requests fail and it leaves every other peer's links and view; an `unlinked` pair has only a
 * limited link until `link` makes a direct one; a `frozen` peer died unnoticed (linked, in the
 * view, silent), `unlistedPeers` lost their bootstrap link; `tamper` rewrites answers, a lying peer, `tamperRequest` requests;
 * `answered` sees each answered request, `fails` makes a request fail, `delay` holds one back), plus fixed Ed25519 identities.
 */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { LEARNING_KINDS, learningIdentity, type LearningLedger, type LearningMesh, type LedgerEntryView } from '../../core/learning/live/index.ts'

// real Ed25519 identities from fixed seeds: the draw keys and update signatures derive from them
export const KEYS = await Promise.all([1, 2, 3, 4, 5].map(async i => await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(i))))
export const PEERS = KEYS.map(k => peerIdFromPrivateKey(k).toString())
export const IDS = KEYS.map(k => learningIdentity(k))

export class MemLedger {
  readonly entries: LedgerEntryView[] = []
  /** whether ports offer `onCommit` (told of every entry as it commits), as a Node peer's ledger does; off: learners poll only */
  notify = false
  private readonly listeners = new Set<() => void>()
  port (author: string): LearningLedger {
    return {
      submit: async entry => {
        const validate = LEARNING_KINDS[entry.kind]
        const why = validate == null ? 'unknown kind' : validate(entry.data, author)
        this.entries.push({ slot: this.entries.length, index: 0, kind: entry.kind, author, data: entry.data, applied: why == null })
        for (const fn of this.listeners) fn()
        return {}
      },
      log: async (from, limit, index = 0) => this.entries.filter(e => e.slot > from || (e.slot === from && e.index >= index)).slice(0, limit),
      ...(this.notify ? { onCommit: (fn: () => void) => { this.listeners.add(fn); return () => { this.listeners.delete(fn) } } } : {})
    }
  }
}

export type Handler = (req: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array>
export class MemMesh {
  readonly handlers = new Map<string, Handler>()
  readonly dropped = new Set<string>()
  /** test hook: rewrites an answer on its way (a lying peer) */
  tamper?: (from: string, answer: Uint8Array) => Uint8Array
  /** test hook: rewrites `from`'s request to `to` on its way (a lying requester, e.g. a `start` with a bad delta) */
  tamperRequest?: (from: string, to: string, request: Uint8Array) => Uint8Array
  /** test hook: `to` answered `from`'s request (e.g. drop a peer right after it accepted a `start`) */
  answered?: (from: string, to: string, request: Uint8Array) => void
  /** test hook: whether `from`'s request to `to` fails (e.g. a peer that reaches no source of a model) */
  fails?: (from: string, to: string, request: Uint8Array) => boolean
  /** test hook: a promise `from`'s request to `to` waits on before it is delivered (e.g. a slow source of a model) */
  delay?: (from: string, to: string, request: Uint8Array) => Promise<void> | undefined
  /** pairs (`pair(a, b)`) linked only through the relay: limited links, requests refused, until `link` makes a direct one */
  readonly unlinked = new Set<string>()
  /** test hook: whether `link(to)` from `from` makes a direct link (default: yes) */
  linkable?: (from: string, to: string) => boolean
  /** every `link` call, as [from, to] */
  readonly dials: Array<[string, string]> = []
  /** peers no bootstrap lists any more (`unlisted()`): their bootstrap link closed */
  readonly unlistedPeers = new Set<string>()
  /**
   * dead peers the mesh has not noticed: still linked and in every view, but they answer no ping
   * and no request (a request to or from one fails after `stallMs`, as a live request times out),
   * and their handler stays registered when their service stops
   */
  readonly frozen = new Set<string>()
  stallMs = 5000
  static pair (a: string, b: string): string { return a < b ? `${a} ${b}` : `${b} ${a}` }
  port (peerId: string): LearningMesh {
    return {
      peerId,
      handle: async (_p, h) => { this.handlers.set(peerId, h) },
      unhandle: async () => { if (!this.frozen.has(peerId)) this.handlers.delete(peerId) },
      request: async (peer, _p, payload) => {
        if (this.frozen.has(peer) || this.frozen.has(peerId)) {
          // unref'd: a stalled request does not keep a finished test process alive
          await new Promise(resolve => { (setTimeout(resolve, this.stallMs) as unknown as { unref?: () => void }).unref?.() })
          throw new Error(`request to ${peer} timed out`)
        }
        const h = this.handlers.get(peer)
        if (h == null || this.dropped.has(peer) || this.dropped.has(peerId)) throw new Error(`no route to ${peer}`)
        if (this.unlinked.has(MemMesh.pair(peerId, peer))) throw new Error(`only a limited (relayed) link to ${peer}`)
        if (this.fails?.(peerId, peer, payload) === true) throw new Error(`request to ${peer} failed (test hook)`)
        await this.delay?.(peerId, peer, payload)
        const sent = this.tamperRequest?.(peerId, peer, payload) ?? payload
        const answer = await h(sent, { peerId })
        this.answered?.(peerId, peer, sent)
        return this.tamper?.(peer, answer) ?? answer
      },
      links: () => [...this.handlers.keys()].filter(p => p !== peerId && !this.dropped.has(p)).map((p, i) => ({ peerId: p, rttMs: 5 + i, limited: this.unlinked.has(MemMesh.pair(peerId, p)) })),
      // a dropped peer leaves the view too, as the live mesh's does once its bootstrap link closed
      members: () => [...this.handlers.keys()].filter(p => !this.dropped.has(p)),
      link: async peer => {
        this.dials.push([peerId, peer])
        if (this.dropped.has(peer) || !this.handlers.has(peer)) return false
        if (this.unlinked.has(MemMesh.pair(peerId, peer)) && (this.linkable?.(peerId, peer) ?? true)) this.unlinked.delete(MemMesh.pair(peerId, peer))
        return !this.unlinked.has(MemMesh.pair(peerId, peer))
      },
      unlisted: () => [...this.unlistedPeers].filter(p => p !== peerId),
      ping: async peer => {
        if (this.frozen.has(peer) || this.dropped.has(peer) || !this.handlers.has(peer)) throw new Error(`no echo from ${peer}`)
        return 1
      }
    }
  }
}
