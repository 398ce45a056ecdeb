/**
 * The ledger inside `novacron start` / `novacron peer`: one call from each command module.
 *
 * It opens the store (LevelDB in `<data-dir>/ledger`, in memory without a data dir), creates the
 * ledger with the peer's own libp2p key (the MeshNode's) and quorum math from core-wasm, serves the
 * `ledger.*`/`config.*` control ops on the data dir's control endpoint, applies committed mesh
 * settings to the MeshNode at their slot, and prints `ledger:epoch` / `ledger:config` events.
 * `stop()` is graceful (the ledger submits `leave` while the mesh still runs) and idempotent; the
 * command calls it before stopping the mesh node.
 *
 * core/ledger is reached through the narrow `LedgerCore` port (./core-binding.ts fills it), so this
 * wiring is testable with a scripted core and does not care how the shell is built.
 */
import { registerLedgerMetrics } from '../../core/ledger/metrics.ts'
import type { PrivateKey } from '@libp2p/interface'
import type { MeshNode } from '../../core/net/index.ts'
import type { KindValidator, LedgerInit } from '../../core/ledger/index.ts'
import { LEARNING_KINDS } from '../../core/learning/live/entries.ts'
import type { LedgerApi, LedgerStore, ReplicaInfo } from '../../core/ledger/types.ts'
import type { ControlServer } from '../state/control.ts'
import { openLevelStore } from './level-store.ts'
import { recordGenesisId } from './offline.ts'
import { runLedgerOp, type LedgerOpTarget } from './ops.ts'

export type LedgerProtocol = 'probft' | 'pbft'
/** the hostile behaviours core/ledger implements (test-only) */
export type HostileMode = NonNullable<LedgerInit['hostile']>
export const HOSTILE_MODES: readonly HostileMode[] = ['equivocate', 'conflicting-votes', 'forged-vrf', 'garbage', 'flood', 'mute']

/** A running ledger as this wiring uses it. */
export interface LedgerRuntime extends LedgerApi, Pick<EventTarget, 'addEventListener' | 'removeEventListener'> {
  /** registers an entry kind with its validator (before `start`: the stored chain is replayed with it) */
  registerKind: (kind: string, validate: KindValidator) => void
  /** caught up since it started (core/ledger/sync-pull.ts's `synced`) */
  readonly synced?: boolean
  start: () => Promise<void>
  stop: () => Promise<void>
}

export interface LedgerCreateInit {
  genesisPeerId: string
  protocol?: LedgerProtocol
  hostile?: HostileMode
  /** ask to become a replica (core/ledger's `join`) @default true */
  join?: boolean
}

/** What this wiring needs from core/ledger (and core-wasm). */
export interface LedgerCore {
  createLedger: (init: LedgerCreateInit, components: { mesh: MeshNode, privateKey: PrivateKey, store: LedgerStore }) => Promise<LedgerRuntime>
  memoryStore: () => LedgerStore
  config: Omit<LedgerOpTarget, 'ledger'>
}

export interface PeerLedgerInit {
  node: MeshNode
  privateKey: PrivateKey
  genesisPeerId: string
  dataDir?: string
  control?: ControlServer
  protocol?: LedgerProtocol
  /** test-only (NOVACRON_TEST=1): see hostileFromEnv */
  hostile?: HostileMode
  /** ask to become a replica @default true (false: follow the ledger and submit through the replicas) */
  join?: boolean
  /** prints one event (JSON line or human text, as the command does) */
  out: (event: string, fields: Record<string, unknown>, human: string) => void
  /** called with the created ledger before it starts (e.g. jobs register their entry kinds) */
  beforeStart?: (ledger: LedgerRuntime) => void
}

export interface PeerLedger {
  readonly ledger: LedgerRuntime
  /** settings applied to this peer's MeshNode so far, by key */
  readonly applied: Record<string, unknown>
  stop: () => Promise<void>
}

/** Entry kinds registered on every Node peer's ledger: live learning's `model.join` / `model.round`. */
const ENTRY_KINDS: Record<string, KindValidator> = { ...LEARNING_KINDS }

/** Mesh settings a committed `config` entry changes on the running MeshNode, by key. */
const APPLY: Record<string, (node: MeshNode, value: unknown) => void> = {
  'mesh.maxPeers': (node, value) => { node.setMaxPeers(value as number) }
}

/**
 * The `ledger.links` control op: the other replicas of the current epoch, and which of them this
 * peer has a direct (not relay-limited) link to — the rest get its consensus frames through a
 * forwarding replica (core/ledger/routing.ts). The ledger benchmark sums it over the peers. Also
 * every open link by transport (`direct` WebRTC, `websocket` — the bootstrap link —, `relayed` and
 * how many of those are relay-limited), whether the genesis peer is linked without limits, and the
 * mesh counters that say why links went (`overCapClosed`, `deadLinks`, …): what a late peer that
 * cannot reach the chain is short of (docs/ledger.md, "Late peers at n = 32").
 */
export function replicaLinks (node: Pick<MeshNode, 'links' | 'peerId'> & Partial<Pick<MeshNode, 'stats'>>, ledger: Pick<LedgerApi, 'status'>, genesisPeerId?: string): ReplicaLinks {
  const self = node.peerId.toString()
  const others = ledger.status().replicas.map(r => r.peerId).filter(p => p !== self)
  const links = node.links()
  const linked = new Set(links.filter(l => !l.limited).map(l => l.peerId))
  const missing = others.filter(p => !linked.has(p))
  const count = (pred: (l: (typeof links)[number]) => boolean): number => new Set(links.filter(pred).map(l => l.peerId)).size
  return {
    replicas: others.length,
    direct: others.length - missing.length,
    missing,
    mesh: {
      unlimitedPeers: linked.size,
      peers: [...linked],
      webrtc: count(l => l.transport === 'webrtc' && !l.limited),
      websocket: count(l => l.transport === 'websocket' && !l.limited),
      relayed: count(l => l.transport === 'relayed'),
      limited: count(l => l.limited),
      ...(genesisPeerId != null ? { genesisLinked: linked.has(genesisPeerId) } : {}),
      ...(node.stats != null ? { stats: { ...node.stats } } : {})
    }
  }
}

/** What `ledger.links` answers (see replicaLinks). */
export interface ReplicaLinks {
  replicas: number
  direct: number
  missing: string[]
  mesh: { unlimitedPeers: number, peers: string[], webrtc: number, websocket: number, relayed: number, limited: number, genesisLinked?: boolean, stats?: Record<string, number> }
}

/** The hostile mode asked for by the environment: only when NOVACRON_TEST=1 (tests), else none. */
export function hostileFromEnv (env: NodeJS.ProcessEnv = process.env): HostileMode | undefined {
  if (env.NOVACRON_TEST !== '1') return undefined
  const mode = env.NOVACRON_LEDGER_HOSTILE
  if (mode == null || mode === '') return undefined
  if (!(HOSTILE_MODES as readonly string[]).includes(mode)) throw new RangeError(`NOVACRON_LEDGER_HOSTILE must be one of ${HOSTILE_MODES.join(', ')} (got '${mode}')`)
  return mode as HostileMode
}

/** Test-only (NOVACRON_TEST=1): NOVACRON_LEDGER_SYNC_BACKOFF=0 keeps the periodic pull at its base interval (compared in bench/_idle-mesh-probe.ts). */
function syncBackoffFromEnv (env: NodeJS.ProcessEnv = process.env): { syncMaxIntervalMs?: number } {
  return env.NOVACRON_TEST === '1' && env.NOVACRON_LEDGER_SYNC_BACKOFF === '0' ? { syncMaxIntervalMs: 5000 } : {}
}

/** The genesis peer id of a mesh: the peer id at the end of its (first) bootstrap multiaddr. */
export function genesisFromBootstrap (bootstrap: string[]): string {
  const addr = bootstrap[0] ?? ''
  const id = /\/p2p\/([^/]+)$/.exec(addr)?.[1]
  if (id == null) throw new RangeError(`the bootstrap multiaddr must end in /p2p/<peer id> (got '${addr}')`)
  return id
}

export async function startPeerLedger (init: PeerLedgerInit, core: LedgerCore): Promise<PeerLedger> {
  const store = init.dataDir != null ? await openLevelStore(init.dataDir) : core.memoryStore()
  if (init.dataDir != null) recordGenesisId(init.dataDir, init.genesisPeerId) // for `ledger verify` on the stopped peer
  let ledger: LedgerRuntime
  try {
    ledger = await core.createLedger({
      genesisPeerId: init.genesisPeerId,
      ...(init.protocol != null ? { protocol: init.protocol } : {}),
      ...(init.hostile != null ? { hostile: init.hostile } : {}),
      ...(init.join === false ? { join: false } : {}),
      ...syncBackoffFromEnv()
    }, { mesh: init.node, privateKey: init.privateKey, store })
    // every Node peer knows the entry kinds of the subsystems it runs, so all apply them alike
    for (const [kind, validate] of Object.entries(ENTRY_KINDS)) ledger.registerKind(kind, validate)
    registerLedgerMetrics(init.node.metrics, ledger) // /metrics (docs/metrics.md)
  } catch (err) {
    await store.close()
    throw err
  }
  const applied: Record<string, unknown> = {}
  const onConfig = (e: Event): void => {
    const { key, value, slot, replayed } = (e as CustomEvent<{ key: string, value: unknown, slot: number, replayed?: boolean }>).detail
    const apply = APPLY[key]
    let error: string | undefined
    if (apply != null) {
      try { apply(init.node, value); applied[key] = value } catch (err) { error = `${(err as Error).name}: ${(err as Error).message}` }
    }
    init.out('ledger:config', { key, value, slot, applied: apply != null && error == null, ...(error != null ? { error } : {}), ...(replayed === true ? { replayed } : {}) },
      `config      ${key} = ${JSON.stringify(value)} at slot ${slot}${replayed === true ? ' (stored, applied at start)' : ''}${error != null ? ` (not applied: ${error})` : ''}`)
  }
  const onEpoch = (e: Event): void => {
    const { epoch, start, replicas } = (e as CustomEvent<{ epoch: number, start: number, replicas: ReplicaInfo[] }>).detail
    init.out('ledger:epoch', { epoch, start, replicas: replicas.map(r => r.peerId), at: Date.now() }, `epoch       ${epoch} from slot ${start}: ${replicas.length} replica(s)`)
  }
  ledger.addEventListener('config', onConfig)
  ledger.addEventListener('epoch', onEpoch)
  const target: LedgerOpTarget = { ledger, ...core.config }
  const handler = async (op: string, args: Record<string, unknown>): Promise<unknown> => {
    if (op === 'ledger.applied') return { ...applied, 'mesh.maxPeers.current': init.node.config.maxPeers }
    if (op === 'ledger.links') return replicaLinks(init.node, ledger, init.genesisPeerId)
    return await runLedgerOp(target, op, args)
  }
  init.control?.addOps('ledger.', handler)
  init.control?.addOps('config.', handler)
  try {
    init.beforeStart?.(ledger)
    await ledger.start()
  } catch (err) {
    await store.close()
    throw err
  }
  let stopping: Promise<void> | undefined
  return {
    ledger,
    applied,
    stop: async () => {
      stopping ??= (async () => {
        try {
          await ledger.stop()
        } finally {
          ledger.removeEventListener('config', onConfig)
          ledger.removeEventListener('epoch', onEpoch)
          await store.close()
        }
      })()
      await stopping
    }
  }
}
