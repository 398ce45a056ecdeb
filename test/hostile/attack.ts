/**
 * The hostile peer's repertoire, run from a stock libp2p node (test/_support/stock-node.ts) against
 * every peer it can connect to: for every protocol a target advertises (read from identify) it
 * sends garbage, a 4 GiB length prefix, a truncated frame, and holds slow streams open; on every
 * topic the target subscribes to it publishes garbage, truncated varints, an oversize payload, a
 * discovery announcement about another peer (forged subject); and, first, one valid broadcast
 * full of terminal escapes (so it must be shown escaped).
 *
 * Failures on the attacker's side (refused streams, closed connections) are expected and counted,
 * never thrown: the test judges the honest peers, not the attacker.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { peerAnnouncement, type StockNode } from '../_support/stock-node.ts'
import type { Stream } from '@libp2p/interface'

export interface AttackInit {
  /** Progress lines (which protocol is under attack). */
  log?: (line: string) => void
  /** Slow (idle) streams opened per protocol and target, held until the attack ends. */
  slowStreams: number
  /** Garbage messages per topic. */
  garbagePerTopic: number
  seed: number
}

export interface AttackReport {
  protocols: Record<string, string[]>
  /** Per target, the protocols at least one attack stream was opened on. */
  reached: Record<string, Set<string>>
  /** Connections the attacker had to re-open after a target hung up on it. */
  redials: number
  topics: string[]
  streamsOpened: number
  streamsRefused: number
  published: number
}

export const ESCAPES = '\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\u009b1m\u202eevil'

function rng (seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
}

/** Protocols `peer` advertised in identify (waits for identify to have run, bounded). */
export async function advertisedProtocols (node: StockNode, peer: string, timeoutMs = 30_000): Promise<string[]> {
  const id = peerIdFromString(peer)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const p = await node.peerStore.get(id)
      if (p.protocols.length > 0) return [...p.protocols].sort()
    } catch { /* not identified yet */ }
    if (Date.now() > deadline) return []
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** Topics the given peers subscribe to, as the attacker's gossipsub has heard (its private `topics` map: test code). */
export function subscribedTopics (node: StockNode, peers: readonly string[]): string[] {
  const topics = (node.services.pubsub as unknown as { topics: Map<string, Set<string>> }).topics
  return [...topics.entries()].filter(([, subs]) => peers.some(p => subs.has(p))).map(([t]) => t).sort()
}

/** `p`, or undefined after `ms`: no single attacker operation may stall a round (seen: a stream close that never settled). */
async function bounded<T> (p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<undefined>(resolve => { timer = setTimeout(() => { resolve(undefined) }, ms) })
  try { return await Promise.race([p, late]) } finally { clearTimeout(timer) }
}

async function openStream (node: StockNode, peer: string, protocol: string): Promise<Stream | undefined> {
  return await bounded(openStreamNow(node, peer, protocol), 10_000)
}

async function openStreamNow (node: StockNode, peer: string, protocol: string): Promise<Stream | undefined> {
  const conn = node.getConnections(peerIdFromString(peer)).find(c => c.status === 'open' && c.limits == null)
  if (conn == null) return undefined
  try {
    return await conn.newStream(protocol, { signal: AbortSignal.timeout(5000), maxOutboundStreams: 10_000, runOnLimitedConnection: false })
  } catch {
    return undefined
  }
}

async function sendAndClose (s: Stream, chunks: Uint8Array[]): Promise<void> {
  try {
    for (const c of chunks) if (!s.send(c)) await s.onDrain({ signal: AbortSignal.timeout(5000) })
    await s.close({ signal: AbortSignal.timeout(5000) })
    // read whatever comes back (an error response, or nothing), bounded: the bound races the read,
    // because aborting the stream does not always end a pending read (a closed stream whose target
    // never answered kept it waiting until the caller's 15 s bound, on /ipfs/id and others)
    const drained = await bounded((async () => { for await (const _ of s) { /* drain */ } })().then(() => true), 3000)
    if (drained == null) s.abort(new Error('attacker gives up reading'))
  } catch { /* the target hung up on us: expected */ }
}

/**
 * One round of the stream attacks on every advertised protocol of `targets` (targets in parallel,
 * protocols one after another, each protocol's attacks all at once); returns the slow streams to
 * release later. A target whose connection is gone is skipped for the rest of the round.
 */
export async function attackStreams (node: StockNode, targets: Record<string, string[]>, init: AttackInit, report: AttackReport, redial: (peer: string) => Promise<void>): Promise<Stream[]> {
  const next = rng(init.seed)
  const noise = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => next() & 0xff)
  const slow: Stream[] = []
  const linked = (peer: string): boolean => node.getConnections(peerIdFromString(peer)).some(c => c.status === 'open' && c.limits == null)
  await Promise.all(Object.entries(targets).map(async ([peer, protocols]) => {
    for (const protocol of protocols) {
      if (!linked(peer)) {
        // the target hung up on us (strike limit): an attacker simply comes back, unless it cannot
        try { await redial(peer); report.redials++ } catch (err) { init.log?.(`re-dial of ${peer.slice(-6)} failed: ${(err as Error).message}`) }
        if (!linked(peer)) { report.streamsRefused += protocols.length - protocols.indexOf(protocol); break }
      }
      init.log?.(`streams: ${peer.slice(-6)} ${protocol}`)
      const attacks: Uint8Array[][] = [
        [noise(4096)], // garbage
        [Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), noise(1024)], // a 4 GiB length prefix
        [Uint8Array.of(0xe4, 0x00), noise(10)], // says 100 bytes, sends 10, ends
        [Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)], // an over-long varint
        [noise(3 * 1024 * 1024)] // oversize: 3 MiB of noise
      ]
      await Promise.all([
        ...attacks.map(async chunks => {
          const s = await openStream(node, peer, protocol)
          if (s == null) { report.streamsRefused++; return }
          report.streamsOpened++
          ;(report.reached[peer] ??= new Set()).add(protocol)
          const done = await bounded(sendAndClose(s, chunks).then(() => true), 15_000)
          if (done == null) s.abort(new Error('attacker gives up'))
        }),
        ...Array.from({ length: init.slowStreams }, async () => {
          const s = await openStream(node, peer, protocol)
          if (s == null) { report.streamsRefused++; return }
          report.streamsOpened++
          try { s.send(Uint8Array.of(0x05)) } catch { /* closed already */ } // one byte of a 5-byte frame, then silence
          slow.push(s)
        })
      ])
    }
  }))
  return slow
}

/** Malformed and forged gossip on every topic the targets subscribe to. */
export async function attackTopics (node: StockNode, topics: readonly string[], victims: readonly string[], init: AttackInit, report: AttackReport): Promise<void> {
  const next = rng(init.seed ^ 0x5bd1e995)
  const noise = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => next() & 0xff)
  const forger = await generateKeyPair('Ed25519')
  const publish = async (topic: string, data: Uint8Array): Promise<void> => {
    // bounded: a target that stops reading must not stall the attacker
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<void>(resolve => { timer = setTimeout(resolve, 5000) })
    try { await Promise.race([node.services.pubsub.publish(topic, data).then(() => { report.published++ }), late]) } catch { /* no peers left to hear it */ } finally { clearTimeout(timer) }
  }
  for (const topic of topics) {
    init.log?.(`gossip: ${topic}`)
    node.services.pubsub.subscribe(topic)
    for (let i = 0; i < init.garbagePerTopic; i++) await publish(topic, noise(1 + (next() % 512)))
    await publish(topic, Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)) // truncated over-long varint
    await publish(topic, Uint8Array.of(0x03, 0xff, 0xff, 0xff, 0xff, 0x0f)) // a 4 GiB string length
    await publish(topic, noise(512 * 1024)) // oversize for every mesh topic (the state topic's cap is 256 KiB)
    // forged: an announcement whose subject is a victim (or a stranger), signed by the attacker
    for (const victim of victims) {
      const key = peerIdFromString(victim).publicKey
      if (key != null) await publish(topic, peerAnnouncement(key, [multiaddr(`/ip4/10.66.0.1/tcp/1/ws/p2p/${victim}`).bytes]))
    }
    await publish(topic, peerAnnouncement(forger.publicKey, []))
  }
}

/** A valid broadcast whose text is hostile to terminals: `novacron peer` without --json must show it escaped. */
export async function hostileBroadcast (node: StockNode): Promise<void> {
  const text = new TextEncoder().encode(ESCAPES)
  node.services.pubsub.subscribe('novacron/broadcast/1')
  await node.services.pubsub.publish('novacron/broadcast/1', Uint8Array.from([0x03, text.length, ...text]))
}
