/**
 * What `novacron start` / `novacron peer` add for the ledger, so each command module changes by a
 * few lines: the options (`--no-ledger`, `--ledger-protocol`), the peer's key loaded or generated
 * up front (the MeshNode and the ledger sign with the same one), and the hooks `runPeer` calls —
 * start the ledger once the mesh runs, stop it (graceful `leave`) before the mesh stops.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { MeshNode, MeshNodeInit } from '../../core/net/index.ts'
import { bool, str, type CliIO, type OptionSpec, type ParsedArgs } from '../cli/args.ts'
import type { ControlServer } from '../state/control.ts'
import { hostileFromEnv, startPeerLedger, type LedgerProtocol, type PeerLedger } from './peer-ledger.ts'
import { jobsFor } from '../jobs/cli-wiring.ts'

export const ledgerOptions: OptionSpec[] = [
  { name: 'no-ledger', type: 'boolean', description: 'Do not run the mesh ledger on this peer (it then neither follows nor orders anything)' },
  { name: 'no-ledger-join', type: 'boolean', description: 'Follow the ledger without asking to become one of its replicas (entries are still submitted through them)' },
  { name: 'ledger-protocol', type: 'string', choices: ['probft', 'pbft'], default: 'probft', description: 'Consensus of a new ledger: the genesis peer (start) records it in genesis; ProBFT, or the PBFT baseline' }
]

/** `start`'s: its peer writes the genesis and is a replica from the first block, so it cannot decline to join. */
export const genesisLedgerOptions: OptionSpec[] = ledgerOptions.filter(o => o.name !== 'no-ledger-join')

/** The key the MeshNode and the ledger share: the data dir's, or a fresh one made here. */
export async function withPeerKey (init: MeshNodeInit): Promise<MeshNodeInit & { privateKey: PrivateKey }> {
  return { ...init, privateKey: init.privateKey ?? await generateKeyPair('Ed25519') }
}

export interface LedgerHooks {
  afterStart: () => Promise<void>
  beforeStop: () => Promise<void>
  /** the running ledger, once afterStart resolved */
  current: () => PeerLedger | undefined
}

/**
 * `ctx.dataDir` is the peer's data dir as resolved (explicit `--data-dir` or the default
 * `<home>/<name>`): the jobs' blobs live under it either way. The ledger itself still persists only
 * with an explicit `--data-dir`.
 */
export function ledgerHooks (args: ParsedArgs, io: CliIO, ctx: { node: MeshNode, privateKey: PrivateKey, genesisPeerId: () => string, control?: ControlServer, dataDir?: string }): LedgerHooks | undefined {
  if (bool(args, 'no-ledger')) return undefined
  const json = bool(args, 'json')
  let ledger: PeerLedger | undefined
  const out = (event: string, fields: Record<string, unknown>, human: string): void => { io.stdout.write(json ? JSON.stringify({ event, ...fields }) + '\n' : human + '\n') }
  // jobs ride on the ledger: their kinds are registered before it starts, the worker after
  const jobs = jobsFor(args, io, { node: ctx.node, control: ctx.control, out, ...(ctx.dataDir != null ? { dataDir: ctx.dataDir } : {}) })
  const debug = process.env.NOVACRON_DEBUG != null ? (m: string) => { io.stderr.write(`ledger: ${m}\n`) } : undefined
  return {
    afterStart: async () => {
      const { nodeLedgerCore } = await import('./core-binding.ts')
      ledger = await startPeerLedger({
        node: ctx.node,
        privateKey: ctx.privateKey,
        genesisPeerId: ctx.genesisPeerId(),
        dataDir: str(args, 'data-dir'),
        control: ctx.control,
        protocol: (str(args, 'ledger-protocol') ?? 'probft') as LedgerProtocol,
        hostile: hostileFromEnv(),
        join: !bool(args, 'no-ledger-join'),
        out,
        beforeStart: l => { jobs?.prepare(l) }
      }, nodeLedgerCore(debug))
      await jobs?.start()
    },
    beforeStop: async () => {
      try { await jobs?.stop() } finally { await ledger?.stop() }
    },
    current: () => ledger
  }
}
