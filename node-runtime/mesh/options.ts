/**
 * Options shared by `novacron start` and `novacron peer`, and the checks that turn their values
 * into a mesh config (a bad value is a `UsageError` naming the flag, exit code 2).
 */
import { ConfigError } from '../../core/net/errors.ts'
import type { MeshNodeInit } from '../../core/net/config.ts'
import { UsageError, bool, num, type OptionSpec, type ParsedArgs } from '../cli/args.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { packageVersion } from '../cli/package-root.ts'

export const commonOptions: OptionSpec[] = [
  { name: 'name', type: 'string', value: '<name>', description: "This peer's name on this machine: the CLI's --peer, and the default data dir ~/.novacron/<name> (default: bootstrap for start, the first free peer-<n> for peer)" },
  { name: 'data-dir', type: 'string', value: '<dir>', description: 'Keep the identity (peer-key.pb, so the peer id survives restarts) and the shared state here (default: $NOVACRON_HOME/<name>, NOVACRON_HOME defaults to ~/.novacron)' },
  { name: 'max-peers', type: 'integer', value: '<n>', min: 1, max: 256, default: 8, description: 'Number of direct WebRTC connections to keep' },
  { name: 'dial-timeout', type: 'integer', value: '<ms>', min: 100, max: 120_000, default: 6000, description: 'Give up a dial that makes no progress for this long (it is retried, also from the other side)' },
  { name: 'json', type: 'boolean', description: 'Print one JSON object per line (events: listening, peer:connect, peer:disconnect, broadcast, members, stopped) instead of text' }
]

/** Which mesh config field each flag feeds, so a `ConfigError` can name the flag. */
const FLAG_OF_FIELD: Record<string, string> = { maxPeers: '--max-peers', dialTimeoutMs: '--dial-timeout', bootstrap: '--bootstrap', listen: '--host', maxReservations: '--max-reservations' }

/**
 * The mesh config from the shared flags; the identity comes from (or is created in) `dataDir`.
 * Test-only (`NOVACRON_TEST=1`, as the ledger's hostile modes): `NOVACRON_MESH_PACED_PROTECTED_DIALS=1`
 * paces the dials to replicas (`pacedProtectedDials`, an experiment the ledger benchmark compares
 * with the default); `NOVACRON_MESH_STOCK_HUB_GOSSIP=1` gives a bootstrap gossipsub's stock options
 * instead of the hub's lighter ones (`hubGossip`, compared side by side in bench/_late-links.ts);
 * `NOVACRON_MESH_STOCK_GOSSIP=1` gives an ordinary peer the stock options instead of the lean ones
 * (`leanGossip`, compared in bench/_idle-mesh-probe.ts); `NOVACRON_MESH_TOPOLOGY_MS`,
 * `NOVACRON_MESH_DISCOVERY_MS` and `NOVACRON_MESH_PEER_TTL_MS` set the keep-alive intervals and the
 * view's time-to-live (`topologyIntervalMs`, `discoveryIntervalMs`, `peerTtlMs`, compared there too;
 * the mesh config checks their bounds); there are no flags.
 */
export async function commonInit (args: ParsedArgs, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<MeshNodeInit> {
  return {
    maxPeers: num(args, 'max-peers'),
    dialTimeoutMs: num(args, 'dial-timeout'),
    privateKey: await loadOrCreateIdentity(dataDir),
    // announced in the version handshake (core/net/wire-version.ts)
    build: packageVersion(),
    ...(env.NOVACRON_TEST === '1' && env.NOVACRON_MESH_PACED_PROTECTED_DIALS === '1' ? { pacedProtectedDials: true } : {}),
    ...(env.NOVACRON_TEST === '1' && env.NOVACRON_MESH_STOCK_HUB_GOSSIP === '1' ? { hubGossip: false } : {}),
    ...(env.NOVACRON_TEST === '1' && env.NOVACRON_MESH_STOCK_GOSSIP === '1' ? { leanGossip: false } : {}),
    ...testIntervals(env)
  }
}

/** The test-only keep-alive intervals (NOVACRON_TEST=1): each set variable, as a number. */
function testIntervals (env: NodeJS.ProcessEnv): Pick<MeshNodeInit, 'topologyIntervalMs' | 'discoveryIntervalMs' | 'peerTtlMs'> {
  if (env.NOVACRON_TEST !== '1') return {}
  const vars = { topologyIntervalMs: env.NOVACRON_MESH_TOPOLOGY_MS, discoveryIntervalMs: env.NOVACRON_MESH_DISCOVERY_MS, peerTtlMs: env.NOVACRON_MESH_PEER_TTL_MS }
  return Object.fromEntries(Object.entries(vars).filter(([, v]) => v != null && v !== '').map(([k, v]) => [k, Number(v)]))
}

export function jsonOutput (args: ParsedArgs): boolean {
  return bool(args, 'json')
}

/** Re-throws a mesh `ConfigError` as a `UsageError` naming the first offending flag. */
export function asUsageError (err: unknown): unknown {
  if (!(err instanceof ConfigError)) return err
  const field = err.issues[0]?.field.replace(/\[\d+\]$/, '') ?? ''
  const flag = FLAG_OF_FIELD[field]
  return new UsageError(err.issues.map(i => `${FLAG_OF_FIELD[i.field.replace(/\[\d+\]$/, '')] ?? i.field}: ${i.problem}`).join('; '), flag)
}

export function isAddressInUse (err: unknown): boolean {
  const text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : String(err)
  return /EADDRINUSE|address already in use/i.test(text)
}
