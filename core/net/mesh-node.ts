/**
 * `createMeshNode`: one peer of the NovaCron mesh, the same code in a browser tab and in Node.
 *
 * The shell around the pure parts (`TopologyView`, `chooseDials`, the codecs): it owns the libp2p
 * node, the timers and the event wiring. A peer connects to its bootstrap (kept alive by
 * `BootstrapKeeper`), reserves a relay slot there, learns of other peers through pubsub peer
 * discovery, and dials them over `/p2p-circuit/webrtc` — the relay only carries the WebRTC
 * signalling, after which the link is direct. Every peer gossips its neighbour list on a topology
 * topic so any peer can draw the whole mesh (what a peer does with those messages: mesh-messages.ts).
 *
 * What peers send passes `MeshGuard` first (mesh-guard.ts): topic validators on the mesh's topics,
 * per-peer budgets on topics and request protocols, strikes that disconnect a misbehaving peer;
 * every rejection is counted in `metrics` (docs/metrics.md).
 *
 * Lifecycle: `start()`/`stop()` are serialised through one promise chain, so they are idempotent
 * and safe to call concurrently; `stop()` says goodbye on the topology topic, clears every timer,
 * aborts dials in flight and stops libp2p (closing every socket and stream).
 */
import { createLibp2p } from 'libp2p'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter, type Connection, type IdentifyResult, type Libp2p, type PeerId, type Stream, type Logger } from '@libp2p/interface'
import type { GossipSub } from '@libp2p/gossipsub'
import type { PubSubPeerDiscovery } from '@libp2p/pubsub-peer-discovery'
import type { Identify } from '@libp2p/identify'
import { bootstrapPeerId, MAX_PEERS_BOUNDS, validateConfig, type MeshConfig, type MeshNodeInit } from './config.ts'
import { libp2pOptions } from './libp2p-options.ts'
import { BROADCAST_TOPIC, DISCOVERY_TOPIC, TOPOLOGY_TOPIC } from './topics.ts'
import { MetricsRegistry } from '../metrics/index.ts'
import { registerMeshMetrics, type MeshMetrics } from './mesh-metrics.ts'
import { MeshGuard, TOPIC_BUDGETS, type GossipCheck } from './mesh-guard.ts'
import type { Budget } from './peer-guard.ts'
import { LinkHealth } from './link-health.ts'
import { DuplicateLinkGuard } from './duplicate-links.ts'
import { KeepAlive } from './keepalive.ts'
import { GossipRepair } from './gossip-repair.ts'
import { SilentLinks } from './silent-links.ts'
import { LinkSweeper, connectionsOf } from './link-sweeper.ts'
import { streamStats, type StreamStats, type StatsConnection } from './stream-stats.ts'
import { DataChannelTracker } from './datachannel-tracker.ts'
import { encodeMessage, MSG_BROADCAST, MSG_LEAVE, type Neighbour } from './mesh-codec.ts'
import { Announcer } from './announcer.ts'
import { wireMeshEvents } from './mesh-events.ts'
import { AppTopics } from './app-topics.ts'
import { TopologyView, type ViewSnapshot } from './topology.ts'
import { BootstrapKeeper } from './bootstrap-keeper.ts'
import { IdentifyRetry } from './identify-retry.ts'
import { withTimeout, type RequestHandler, type RequestOptions } from './rpc.ts'
import { MeshRequests, type HandleOptions } from './requests.ts'
import { ConfigError, NoUsableLinkError, NotStartedError, PingTimeoutError } from './errors.ts'
import { LinkVouches } from './link-vouch.ts'
import { VersionGate, type RefusedPeer } from './wire-version.ts'
import { MeshDialer, progressDial, WebRTCDialAborts } from './mesh-dialer.ts'
import { meshDiagnostics, type MeshDiagnostics } from './mesh-diagnostics.ts'
import { introductions, isPeerHint, type PeerHint } from './peer-hints.ts'
import { bestPerPeer, linksOf, type MeshNodeEvents, type MeshNodeParts, type MeshStats, type MeshStatus, type PeerLink, type PubsubMessage } from './mesh-types.ts'

export type { MeshNodeEvents, MeshStats, MeshStatus, PeerLink, PubsubMessage } from './mesh-types.ts'

export { TOPOLOGY_TOPIC, BROADCAST_TOPIC }

export { MAX_INBOUND_STREAMS } from './requests.ts'

export class MeshNode extends TypedEventEmitter<MeshNodeEvents> {
  /** The validated config; only `setMaxPeers` replaces it (with a new frozen object) at run time. */
  get config (): MeshConfig { return this._config }
  private _config: MeshConfig
  readonly libp2p: Libp2p<{ pubsub: GossipSub }>
  readonly peerId: PeerId
  readonly stats: MeshStats = { badMessages: 0, rpcErrors: 0, dialFailures: 0, dialSuccesses: 0, deadLinks: 0, stillbornLinks: 0, duplicateLinksRefused: 0, duplicateLinksClosed: 0, overCapClosed: 0, lostDialsCancelled: 0, recycledLinks: 0, pings: 0, pingFailures: 0, silentLinksClosed: 0, gossipStreamsRepaired: 0, identifyRetries: 0, identifyRecovered: 0, versionRefused: 0 }
  /** This node's metrics (docs/metrics.md); other subsystems register theirs here too. */
  readonly metrics: MetricsRegistry
  private readonly meshMetrics: MeshMetrics
  private readonly guard: MeshGuard
  private _status: MeshStatus = 'stopped'
  private lifecycle: Promise<void> = Promise.resolve()
  private readonly view: TopologyView
  private readonly keeper: BootstrapKeeper
  private readonly dialer: MeshDialer
  private readonly health = new LinkHealth()
  private readonly channels = new DataChannelTracker()
  private readonly keepAlive: KeepAlive
  private readonly silentLinks: SilentLinks
  /** duplicate, dead and channel-heavy links closed; peers our bootstrap dropped checked (link-sweeper.ts) */
  private readonly sweeper: LinkSweeper
  /** who vouches for a quarantined peer: a bootstrap's list, or (remembered) a link of ours */
  private readonly vouches: LinkVouches
  /** the request/response half: handle, request, openStream, linkDirect (requests.ts) */
  private readonly requests: MeshRequests
  private readonly gossipRepair: GossipRepair
  private readonly identifyRetry: IdentifyRetry
  private readonly announcer: Announcer
  /** the version handshake: peers of another wire version are refused (wire-version.ts) */
  private readonly versions: VersionGate
  private readonly appTopics: AppTopics
  private readonly log: Logger
  private timers: Array<ReturnType<typeof setInterval>> = []
  private dialTimer?: ReturnType<typeof setTimeout>
  private readonly unlisten: Array<() => void> = []
  /** Peer ids of our configured bootstraps: the only peers whose neighbour lists may drop others from the view. */
  private readonly bootstrapIds: ReadonlySet<string>

  constructor (config: MeshConfig, libp2p: Libp2p<{ pubsub: GossipSub }>, parts: MeshNodeParts = {}) {
    super()
    const { discovery, linkGuard, dialAborts, metrics = new MetricsRegistry() } = parts
    this.versions = parts.versionGate ?? new VersionGate()
    this._config = config
    this.libp2p = libp2p
    this.peerId = libp2p.peerId
    this.log = libp2p.logger.forComponent('novacron:mesh')
    this.metrics = metrics
    this.meshMetrics = registerMeshMetrics(metrics, libp2p)
    this.guard = new MeshGuard({
      metrics: this.meshMetrics,
      log: this.log,
      budgets: new Map<string, Budget>([[TOPOLOGY_TOPIC, TOPIC_BUDGETS.topology], [BROADCAST_TOPIC, TOPIC_BUDGETS.broadcast], [DISCOVERY_TOPIC, TOPIC_BUDGETS.discovery]]),
      strikeLimit: config.strikeLimit,
      disconnect: async peer => { await libp2p.hangUp(peerIdFromString(peer)) }
    })
    this.appTopics = new AppTopics(this.guard, () => this._status === 'started' ? libp2p.services.pubsub : undefined, this.log)
    this.view = new TopologyView(this.peerId.toString(), config.peerTtlMs)
    this.keepAlive = new KeepAlive({
      getConnections: () => libp2p.getConnections(),
      handle: async (protocol, handler, opts) => { await libp2p.handle(protocol, handler, opts) },
      unhandle: async protocol => { await libp2p.unhandle(protocol) },
      log: this.log,
      onPing: () => { this.stats.pings++ },
      onPingFailed: conn => { this.stats.pingFailures++; this.silentLinks.pingFailed(conn) },
      onAbuse: () => { this.stats.badMessages++ }
    }, { intervalMs: config.pingIntervalMs, timeoutMs: config.dialTimeoutMs })
    this.silentLinks = new SilentLinks({
      ping: async (conn, timeoutMs) => await this.keepAlive.ping(conn, timeoutMs),
      proven: conn => this.health.proven(conn),
      log: this.log,
      onClosed: () => { this.stats.silentLinksClosed++ }
    }, { confirmTimeoutMs: Math.max(1500, config.dialTimeoutMs / 2) })
    // libp2p identifies a link once; a link it failed on would carry no gossip and no relay reservation.
    // Retries grow to at least the bootstrap dial's patience, however short the first timeout
    this.identifyRetry = new IdentifyRetry({
      getConnections: () => libp2p.getConnections(),
      identify: async (conn, signal) => await this.identifyAgain(conn, signal),
      identified: conn => this.health.identifiedOver(conn),
      log: this.log,
      stats: this.stats
    }, { timeoutMs: config.identifyTimeoutMs, maxTimeoutMs: Math.max(8 * config.identifyTimeoutMs, 4 * config.dialTimeoutMs) })
    this.dialer = new MeshDialer(libp2p, config, this.stats, this.log, () => { this.scheduleDials() }, dialAborts)
    this.gossipRepair = new GossipRepair({
      usableLink: id => this.health.pick(libp2p.getConnections(peerIdFromString(id))),
      isGossipPeer: id => libp2p.services.pubsub.getPeers().some(p => p.toString() === id),
      // not in GossipSub's interface: read where the class keeps it; without it, every such close repairs
      hasOutbound: id => (libp2p.services.pubsub as { streamsOutbound?: Map<string, unknown> }).streamsOutbound?.has(id) ?? false,
      identify: async conn => await this.identifyAgain(conn),
      log: msg => { this.log(msg) },
      onRepair: () => { this.stats.gossipStreamsRepaired++ }
    })
    linkGuard?.bind({
      self: this.peerId.toString(),
      dialing: id => this.dialer.isDialing(id) || libp2p.getDialQueue().some(d => d.peerId?.toString() === id && d.multiaddrs.some(a => a.getComponents().some(c => c.name === 'webrtc'))),
      connections: id => libp2p.getConnections(peerIdFromString(id)),
      proven: conn => this.health.proven(conn),
      // a live link answers in milliseconds; the upgrade waiting on this has at least 10 s
      answers: async conn => await this.keepAlive.ping(conn, Math.max(1500, config.dialTimeoutMs / 2)).then(() => true, err => {
        this.log('proven link %s to %s no longer answers (%s): closing it', conn.id, conn.remotePeer, err instanceof Error ? err.message : String(err))
        conn.abort(new Error('a proven link stopped answering pings'))
        return false
      }),
      refused: (id, direction, reason) => {
        this.stats.duplicateLinksRefused++
        this.log('refusing a second direct %s link with %s: %s', direction, id, reason)
      }
    })
    this.announcer = new Announcer({
      config,
      topic: TOPOLOGY_TOPIC,
      publish: async (topic, data) => await libp2p.services.pubsub.publish(topic, data),
      neighbours: () => this.neighbours(),
      multiaddrs: () => this.getMultiaddrs(),
      ...(discovery != null ? { discover: () => { discovery._broadcast() } } : {}),
      discoveryReach: () => libp2p.services.pubsub.getSubscribers(DISCOVERY_TOPIC).length,
      isStarted: () => this._status === 'started',
      log: this.log
    })
    const targets = config.bootstrap.map(addr => ({ addr, peerId: bootstrapPeerId(addr) }))
    this.bootstrapIds = new Set(targets.map(t => t.peerId))
    this.vouches = new LinkVouches(this.view, this.bootstrapIds, id => this.libp2p.getConnections(peerIdFromString(id)).some(c => c.status === 'open'))
    this.requests = new MeshRequests({
      libp2p,
      guard: this.guard,
      health: this.health,
      direct: { libp2p, dialer: this.dialer, pick: conns => this.health.pick(conns), log: this.log },
      config: () => this._config,
      served: this.meshMetrics.requests,
      onFailed: () => { this.stats.rpcErrors++ },
      log: this.log
    })
    this.sweeper = new LinkSweeper({
      getConnections: connectionsOf(libp2p),
      health: this.health,
      channels: this.channels,
      ping: async (conn, timeoutMs) => await this.keepAlive.ping(conn, timeoutMs),
      config: () => this._config,
      stats: this.stats,
      isStarted: () => this._status === 'started',
      leave: peerId => this.view.leave(peerId, Date.now(), true),
      viewChanged: () => { this.emitView() },
      log: this.log
    })
    this.keeper = new BootstrapKeeper({
      targets,
      backoffMs: config.bootstrapBackoffMs,
      backoffMaxMs: config.bootstrapBackoffMaxMs,
      // given as long as the bootstrap gives an inbound upgrade (4 × dialTimeoutMs), with no shorter
      // idle limit: the WebSocket opening and the noise handshake are one step each (no progress
      // event inside), and at n = 20–32 under load the bootstrap took over 6 s to answer the
      // WebSocket upgrade, so a 6 s idle limit abandoned every late peer's dial, for minutes
      dial: async addr => { await progressDial(libp2p, [multiaddr(addr)], { idleMs: 4 * config.dialTimeoutMs, capMs: 4 * config.dialTimeoutMs }) },
      isConnected: id => libp2p.getConnections().some(c => c.remotePeer.toString() === id),
      onError: (addr, err, next) => { this.log('bootstrap %s unreachable (%s), retry in %d ms', addr, err.message, next) }
    })
  }

  get status (): MeshStatus { return this._status }

  /** Runs identify over `conn` again: libp2p then emits `peer:identify`, and the registrar tells gossipsub and the relay. */
  private async identifyAgain (conn: Connection, signal?: AbortSignal): Promise<unknown> {
    const identifier = (this.libp2p.services as { identify?: Identify }).identify
    if (identifier == null) throw new Error('the node runs no identify service')
    return await identifier.identify(conn, signal != null ? { signal } : {})
  }

  /** Starts the node; resolves once listening. Idempotent, safe to call concurrently with `stop()`. */
  async start (): Promise<void> { await this.enqueue(async () => { await this.doStart() }) }

  /** Stops the node and releases every socket, timer and stream. Idempotent. */
  async stop (): Promise<void> { await this.enqueue(async () => { await this.doStop() }) }

  private async enqueue (fn: () => Promise<void>): Promise<void> {
    const run = this.lifecycle.then(fn)
    // the chain must survive a failed transition; the caller still sees the failure through `run`
    this.lifecycle = run.catch(() => {})
    await run
  }

  private setStatus (s: MeshStatus): void {
    this._status = s
    this.safeDispatch('status', s)
  }

  private async doStart (): Promise<void> {
    if (this._status === 'started') return
    this.setStatus('starting')
    try {
      this.listen()
      await this.keepAlive.start()
      this.silentLinks.start()
      await this.libp2p.start()
      const pubsub = this.libp2p.services.pubsub
      pubsub.topicValidators.set(TOPOLOGY_TOPIC, this.guard.validator(TOPOLOGY_TOPIC, 'mesh'))
      pubsub.topicValidators.set(BROADCAST_TOPIC, this.guard.validator(BROADCAST_TOPIC, 'mesh'))
      // an announcement about peer X is accepted only when X signed it (the library does not check)
      pubsub.topicValidators.set(DISCOVERY_TOPIC, this.guard.validator(DISCOVERY_TOPIC, 'discovery'))
      pubsub.subscribe(TOPOLOGY_TOPIC)
      pubsub.subscribe(BROADCAST_TOPIC)
      this.appTopics.install(pubsub)
      this.keeper.start()
      this.dialer.start()
      this.timers.push(setInterval(() => { this.maintain() }, this.config.maintainIntervalMs))
      this.timers.push(setInterval(() => { this.announcer.topologyIfQuiet() }, this.config.topologyIntervalMs))
      this.setStatus('started')
      this.announcer.topologySoon()
    } catch (err) {
      await this.release()
      this.setStatus('stopped')
      throw err
    }
  }

  private async doStop (): Promise<void> {
    if (this._status === 'stopped') return
    this.setStatus('stopping')
    // say goodbye so peers drop us now rather than after peerTtlMs (best effort, bounded)
    try {
      await withTimeout(undefined, TOPOLOGY_TOPIC, 1000, async () => { await this.libp2p.services.pubsub.publish(TOPOLOGY_TOPIC, encodeMessage({ type: MSG_LEAVE })) })
    } catch (err) {
      this.log('could not publish leave: %s', err instanceof Error ? err.message : String(err))
    }
    await this.release()
    this.setStatus('stopped')
  }

  private async release (): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    this.announcer.reset()
    clearTimeout(this.dialTimer)
    this.dialTimer = undefined
    this.keeper.stop()
    this.dialer.stop()
    this.gossipRepair.stop()
    for (const off of this.unlisten.splice(0)) off()
    this.silentLinks.stop()
    await this.keepAlive.stop()
    await this.libp2p.stop()
  }

  private listen (): void {
    this.unlisten.push(wireMeshEvents({
      libp2p: this.libp2p,
      config: () => this._config,
      view: this.view,
      channels: this.channels,
      dialer: this.dialer,
      keepAlive: this.keepAlive,
      sweeper: this.sweeper,
      health: this.health,
      announcer: this.announcer,
      keeper: this.keeper,
      vouches: this.vouches,
      gossipRepair: this.gossipRepair,
      disconnects: this.meshMetrics.disconnects,
      messages: {
        view: this.view,
        guard: this.guard,
        vouches: this.vouches,
        appTopics: this.appTopics,
        bootstrapIds: this.bootstrapIds,
        checkGone: id => { this.sweeper.checkGone(id) },
        hangUp: async id => { await this.libp2p.hangUp(peerIdFromString(id)) },
        broadcast: (from, text) => { this.safeDispatch('broadcast', { from, text }) },
        viewChanged: () => { this.emitView() },
        stats: this.stats,
        log: this.log
      },
      checkVersion: id => { this.checkVersion(id) },
      scheduleDials: () => { this.scheduleDials() },
      dispatch: (type, detail) => { this.safeDispatch(type, detail) },
      emitView: () => { this.emitView() },
      log: this.log
    }))
  }

  private maintain (): void {
    if (this._status !== 'started') return
    if (this.view.expire(Date.now()).length > 0) this.emitView()
    this.keeper.check()
    this.identifyRetry.check()
    this.sweeper.sweep()
    if (this.config.role !== 'bootstrap') this.dialer.maintain(this.view)
  }

  /**
   * Changes the target number of direct links while running (a committed `mesh.maxPeers` ledger
   * entry, applied by every peer at the same slot). The next dial round aims for the new target and
   * new inbound links obey the new hard cap; existing links are not cut (a lower target takes
   * effect as links come and go). Same bounds as at start-up; a bad value is a `ConfigError`.
   */
  setMaxPeers (maxPeers: number): void {
    const [, , min, max] = MAX_PEERS_BOUNDS
    if (typeof maxPeers !== 'number' || !Number.isInteger(maxPeers) || maxPeers < min || maxPeers > max) {
      throw new ConfigError([{ field: 'maxPeers', problem: `must be an integer between ${min} and ${max} (got ${JSON.stringify(maxPeers)})` }])
    }
    if (maxPeers === this._config.maxPeers) return
    this._config = Object.freeze({ ...this._config, maxPeers })
    this.dialer.setConfig(this._config)
    this.scheduleDials()
  }

  /** Runs the dial policy soon (coalesced): on discovery of a newcomer and whenever a dial settles. */
  private scheduleDials (): void {
    if (this.dialTimer != null || this._status !== 'started' || this.config.role === 'bootstrap') return
    this.dialTimer = setTimeout(() => {
      this.dialTimer = undefined
      if (this._status === 'started') this.dialer.maintain(this.view)
    }, 10)
  }

  /** Closes every link to a peer that announced another wire version, and says why (wire-version.ts). */
  private checkVersion (id: IdentifyResult): void {
    const refused = this.versions.check(id.peerId.toString(), id.agentVersion, id.protocols)
    if (refused == null) return
    this.stats.versionRefused++
    this.meshMetrics.disconnects.inc({ reason: 'version' })
    this.log.error(refused.message)
    this.safeDispatch('peer:refused', refused)
    this.libp2p.hangUp(id.peerId).catch(err => { this.log('closing links to %s failed: %s', refused.peerId, err instanceof Error ? err.message : String(err)) })
  }

  /** Peers refused for their wire version (still remembered), most recent last. */
  refusedPeers (): RefusedPeer[] { return this.versions.list() }

  private emitView (): void { this.safeDispatch('view', this.topology()) }

  private safeDispatch<K extends keyof MeshNodeEvents> (type: K, detail: MeshNodeEvents[K]['detail']): void {
    try { this.safeDispatchEvent(type, { detail }) } catch (err) {
      this.log.error('listener of %s threw: %s', type, err instanceof Error ? err.message : String(err))
    }
  }

  /** Current connections (one entry per connection). */
  links (): PeerLink[] { return linksOf(this.libp2p.getConnections()) }

  /** Open connections per transport, streams per protocol, and streams beside data channels per WebRTC link. */
  streamStats (): StreamStats {
    return streamStats(this.libp2p.getConnections() as unknown as StatsConnection[], c => this.channels.inbound(c))
  }

  /** Our neighbours, one per peer, with the best transport we have to it. */
  neighbours (): Neighbour[] { return bestPerPeer(this.links()) }

  /** The whole mesh as this peer knows it: every announced peer and its neighbour list. */
  topology (): ViewSnapshot {
    const snap = this.view.snapshot()
    snap.peers.push({ peerId: snap.self, role: this.config.role, neighbours: this.neighbours(), lastSeen: Date.now() })
    snap.peers.sort((a, b) => a.peerId < b.peerId ? -1 : 1)
    return snap
  }

  /**
   * Up to `max` peers we know how to reach over WebRTC, fewest direct links first. `novacron start`
   * serves them in /bootstrap.json so a joining tab can dial at once (see `introduce`).
   */
  async introductions (max = 8): Promise<PeerHint[]> {
    return await introductions(this.libp2p.peerStore, this.view, max)
  }

  /**
   * Tells the node about peers it may dial before peer discovery does (from a bootstrap's
   * `introductions`). Entries that are not a peer id plus WebRTC multiaddrs ending in it are
   * skipped; returns how many peers were new to it. The dial policy decides whom to dial, as for
   * peers found by discovery.
   */
  introduce (hints: readonly PeerHint[]): number {
    let taken = 0
    for (const h of hints.slice(0, 64)) {
      if (!isPeerHint(h) || !this.dialer.discovered(h.peerId, h.multiaddrs)) continue
      taken++
    }
    if (taken > 0) this.scheduleDials()
    return taken
  }

  /** Peer ids of non-bootstrap members in the view (self included). */
  members (): string[] {
    return [...this.view.ids('peer'), ...this.view.ids('browser'), ...(this.config.role === 'bootstrap' ? [] : [this.peerId.toString()])].sort()
  }

  /**
   * Members and linked peers that no bootstrap lists any more (`TopologyView.unlistedAmong`); none
   * while no bootstrap announcement was heard. For a caller deciding quickly whether a peer died
   * (core/learning/live/probes.ts): the mesh itself drops such a peer only once a ping fails.
   */
  unlistedPeers (): string[] {
    return this.view.unlistedAmong([...this.members(), ...this.links().map(l => l.peerId)]).sort()
  }

  getMultiaddrs (): string[] { return this.libp2p.getMultiaddrs().map(String) }

  async broadcast (text: string): Promise<void> {
    this.assertStarted()
    await this.libp2p.services.pubsub.publish(BROADCAST_TOPIC, encodeMessage({ type: MSG_BROADCAST, text }))
  }

  /** Peers we know subscribed to `topic` (those directly connected that told us). */
  subscribers (topic: string): string[] {
    return this.libp2p.services.pubsub.getSubscribers(topic).map(String)
  }

  /**
   * Publishes `data` on `topic`; resolves with the peers it was sent to directly (none while no
   * peer's subscription to the topic is known yet: those peers hear of it only through
   * `topic:subscribe`, so a caller that must reach them catches up then).
   */
  async publish (topic: string, data: Uint8Array): Promise<string[]> {
    this.assertStarted()
    const { recipients } = await this.libp2p.services.pubsub.publish(topic, data)
    return recipients.map(String)
  }

  /**
   * Subscribes `handler` to `topic`; returns the function that unsubscribes it. With `budget`, each
   * author may publish at most that many messages on it (mesh-guard.ts): more are dropped before
   * they are forwarded, counted, and charged to a direct sender. With `check`, a payload it does not
   * accept is rejected before it is delivered or forwarded (the first subscriber's budget and check
   * stand for the topic).
   */
  subscribe (topic: string, handler: (msg: PubsubMessage) => void, opts: { budget?: Budget, check?: GossipCheck } = {}): () => void {
    return this.appTopics.subscribe(topic, handler, opts)
  }

  /**
   * Serves request/response calls on `protocol`. Each peer's calls are held to `budget` (default:
   * the node's `requestsPerSecond` and `requestBurst`); a call over it is refused and is a strike.
   */
  async handle (protocol: string, handler: RequestHandler, opts: HandleOptions = {}): Promise<void> {
    await this.requests.handle(protocol, handler, opts)
  }

  async unhandle (protocol: string): Promise<void> { await this.requests.unhandle(protocol) }

  /**
   * Keeps direct links to `peerIds` (replacing the previous set): the dialer dials them when known
   * and never closes them over its hard cap. The ledger protects the replicas of its epoch.
   */
  protect (peerIds: Iterable<string>): void {
    this.dialer.protect([...peerIds].filter(id => id !== this.peerId.toString()))
    this.scheduleDials()
  }

  /**
   * Opens a long-lived stream to `peer` on `protocol` (over the healthiest open connection, else a
   * new dial); the caller owns it and closes it. For one-shot calls use `request`.
   */
  async openStream (peer: PeerId | string, protocol: string, opts: { signal?: AbortSignal } = {}): Promise<Stream> {
    this.assertStarted()
    return await this.requests.openStream(peer, protocol, opts)
  }

  /** Sends one request to `peer` and returns its response payload. */
  async request (peer: PeerId | string, protocol: string, payload: Uint8Array, opts: RequestOptions = {}): Promise<Uint8Array> {
    this.assertStarted()
    return await this.requests.request(peer, protocol, payload, opts)
  }

  /** Why there is no direct link to `peer` now (`MeshDialer.dialState`): for diagnostics only. */
  dialState (peer: string): string {
    return this.dialer.dialState(peer)
  }

  /** Why this node has the degree it has: links, dials in flight, failed dials (mesh-diagnostics.ts). */
  diagnostics (): MeshDiagnostics {
    const { dialer } = this
    return meshDiagnostics({ self: this.peerId.toString(), maxPeers: this.config.maxPeers, connections: this.libp2p.getConnections(), health: this.health, dialsInFlight: dialer.dialsInFlight(), failureCounts: dialer.failureCounts(), candidates: dialer.candidateStates(), stats: this.stats, now: Date.now() })
  }

  /**
   * Makes sure a direct (not relay-limited) link to `peer` is open, dialling it now and again as the
   * dialer allows until one is or `waitMs` has passed (e.g. while its WebRTC addresses are not known
   * yet). True when one is open afterwards. For a caller that must reach this very peer over a link
   * that carries requests: a learning coordinator about to select learners (core/learning/live).
   */
  async linkDirect (peer: string, waitMs: number): Promise<boolean> {
    this.assertStarted()
    return await this.requests.linkDirect(peer, waitMs)
  }

  /**
   * One keep-alive round trip to `peer` over its healthiest link, within `timeoutMs` (a ping the
   * mesh already has in flight is shared, but this call still gives up at its own timeout);
   * resolves with the RTT in ms, rejects when there is no usable link or no echo in time. Changes
   * nothing in the mesh by itself (unlike its own checks, a failed probe drops no peer; like any failed
   * ping over a proven direct link it is confirmed once, and the link closed if that fails too, silent-links.ts):
   * for a caller that must decide quickly whether to wait for this peer (a learning coordinator,
   * core/learning/live/probes.ts).
   */
  async ping (peer: string, timeoutMs: number): Promise<number> {
    this.assertStarted()
    const conn = this.health.pick(this.libp2p.getConnections(peerIdFromString(peer)))
    if (conn == null) throw new NoUsableLinkError(`no usable link to ${peer}`)
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new PingTimeoutError(`no echo from ${peer} within ${timeoutMs} ms`)) }, timeoutMs) })
    try {
      return await Promise.race([this.keepAlive.ping(conn, timeoutMs), expired])
    } finally { clearTimeout(timer) }
  }

  private assertStarted (): void {
    if (this._status !== 'started') throw new NotStartedError(`mesh node is ${this._status}`)
  }
}

/** Validates `init` (throwing one `ConfigError` listing every bad field) and builds a stopped node. */
export async function createMeshNode (init: MeshNodeInit & { metrics?: MetricsRegistry } = {}): Promise<MeshNode> {
  // the key is made here rather than inside libp2p so the node can sign application data (state entries)
  const config = validateConfig(init.privateKey == null ? { ...init, privateKey: await generateKeyPair('Ed25519') } : init)
  let discovery: PubSubPeerDiscovery | undefined
  const [linkGuard, dialAborts] = [new DuplicateLinkGuard(), new WebRTCDialAborts()]
  const versionGate = new VersionGate({ bootstraps: new Set(config.bootstrap.map(bootstrapPeerId)) })
  const libp2p = await createLibp2p(libp2pOptions(config, { onDiscovery: d => { discovery = d }, linkGuard, versionGate, dialAborts })) as unknown as Libp2p<{ pubsub: GossipSub }>
  return new MeshNode(config, libp2p, { discovery, linkGuard, versionGate, dialAborts, ...(init.metrics != null ? { metrics: init.metrics } : {}) })
}
