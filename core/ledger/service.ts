/**
 * `createLedger`: the ledger of one peer on the live mesh — `LedgerNode` (the shell) wired to
 * `Links` (streams, gossip and sync over the peer's `MeshNode`). `start()` / `stop()` are
 * idempotent; stop submits `leave` first when this peer is a replica (`leaveOnStop`).
 */
import type { PrivateKey } from '@libp2p/interface'
import type { AsyncSignatureCheck, SignatureVerifier } from '../consensus/crypto.ts'
import type { QuorumMath } from '../consensus/quorum.ts'
import type { MeshNode } from '../net/mesh-node.ts'
import { checkMeshFrameSize } from './frame-size.ts'
import { LedgerNode, type LedgerNodeInit } from './ledger-node.ts'
import { Links } from './links.ts'
import type { LedgerInbound } from './transport.ts'
import type { LedgerStore } from './types.ts'
import type { SlotTracer } from './slot-trace.ts'

export type LedgerInit = LedgerNodeInit

export interface LedgerComponents {
  mesh: MeshNode
  /** the peer's libp2p key (also the MeshNode's) */
  privateKey: PrivateKey
  store: LedgerStore
  /** core-wasm's binomialSf / binomialCdf */
  quorumMath: QuorumMath
  /** the platform's Ed25519 verifier (Node: node-runtime/ledger/native-ed25519.ts) @default noble */
  signatures?: SignatureVerifier
  /** an asynchronous native Ed25519 check used ahead of the engine (tabs: core/consensus/webcrypto-ed25519.ts) */
  asyncSignatures?: AsyncSignatureCheck
  log?: (msg: string) => void
  /** the slot timeline (slot-trace.ts) */
  trace?: SlotTracer
}

export class LedgerService extends LedgerNode {
  private lifecycle: Promise<void> = Promise.resolve()

  constructor (init: LedgerInit, components: LedgerComponents, readonly links: Links) {
    super(init, { transport: links, privateKey: components.privateKey, store: components.store, quorumMath: components.quorumMath, ...(components.signatures != null ? { signatures: components.signatures } : {}), ...(components.asyncSignatures != null ? { asyncSignatures: components.asyncSignatures } : {}), ...(components.log != null ? { log: components.log } : {}), ...(components.trace != null ? { trace: components.trace } : {}) })
  }

  override async start (): Promise<void> {
    const run = this.lifecycle.then(async () => {
      await this.links.start()
      await super.start()
      this.pullAny() // a follower (or a restarted peer) pulls at once from its peers
    })
    this.lifecycle = run.catch(() => {})
    await run
  }

  override async stop (): Promise<void> {
    const run = this.lifecycle.then(async () => {
      await super.stop()
      await this.links.stop()
    })
    this.lifecycle = run.catch(() => {})
    await run
  }
}

/** Throws `MeshFrameSizeError` when the mesh's `maxFrameSize` cannot carry the ledger's gossip records (frame-size.ts). */
export function createLedger (init: LedgerInit, components: LedgerComponents): LedgerService {
  checkMeshFrameSize(components.mesh.config.maxFrameSize)
  let service: LedgerService | undefined
  const inbound: LedgerInbound = {
    onFrame: (from, frame) => { service?.onFrame(from, frame) },
    onRecord: async (from, record) => await (service?.onRecord(from, record) ?? Promise.resolve('ignore' as const)),
    serveSync: async (from, request) => {
      if (service == null) throw new Error('ledger not ready')
      return await service.serveSync(from, request)
    }
  }
  service = new LedgerService(init, components, new Links(components.mesh, inbound, components.log))
  return service
}
