/**
 * `novacron peer`: a headless Node peer that joins a mesh through a bootstrap, reserves a relay
 * slot there and keeps direct WebRTC connections to up to --max-peers other peers. With
 * --metrics-port it serves `GET /metrics` (Prometheus text, docs/metrics.md) on 127.0.0.1.
 *
 * Without --bootstrap it joins the bootstrap running on this machine (the list of running peers,
 * node-runtime/home/registry.ts); without --name / --data-dir it is the first free `peer-<n>` with
 * its data in ~/.novacron/peer-<n>, so several peers start on one machine with no flags at all.
 */
import { list, num, UsageError, type CliIO, type Command, type ParsedArgs } from '../args.ts'
import type { MeshNode } from '../../../core/net/index.ts'
import type { ControlServer } from '../../state/control.ts'
import type { PeerLedger } from '../../ledger/peer-ledger.ts'
import type { PrivateKey } from '@libp2p/interface'
import { safeJson, safeText } from '../escape.ts'
import { novacronHome, runningPeers } from '../../home/registry.ts'
import { asUsageError, commonInit, commonOptions, isAddressInUse, jsonOutput } from '../../mesh/options.ts'
import { claimPeerHome } from '../../mesh/peer-home.ts'
import { ledgerHooks, ledgerOptions, withPeerKey } from '../../ledger/cli-wiring.ts'
import { jobOptions } from '../../jobs/cli-wiring.ts'
import { genesisFromBootstrap } from '../../ledger/peer-ledger.ts'

export const command: Command = {
  name: 'peer',
  summary: 'Start a headless peer that joins a mesh',
  description: [
    'Joins the mesh of the bootstrap given by --bootstrap (its multiaddr, as printed by',
    "'novacron start' or served at http://<host>:<port>/bootstrap.json; default: the bootstrap",
    'running on this machine), then connects directly over WebRTC to other peers. Prints its',
    'peer id first; says so when the bootstrap does not answer (it keeps retrying). Lines typed',
    'on stdin are broadcast to the mesh; broadcasts from others are printed (control characters',
    'escaped). With --metrics-port, GET /metrics on 127.0.0.1:<port> serves Prometheus metrics',
    '(docs/metrics.md). Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.'
  ].join('\n'),
  options: [
    { name: 'bootstrap', type: 'list', value: '<multiaddr>', description: "Bootstrap multiaddr ending in /p2p/<peer id> (repeat for several; default: the bootstrap 'novacron start' runs on this machine)" },
    { name: 'metrics-port', type: 'integer', value: '<port>', min: 0, max: 65535, description: 'Serve Prometheus metrics at http://127.0.0.1:<port>/metrics (0 picks a free port; default: off)' },
    ...commonOptions,
    ...ledgerOptions,
    ...jobOptions
  ],
  examples: ['novacron peer', 'novacron peer --bootstrap /ip4/127.0.0.1/tcp/7421/ws/p2p/12D3KooW...', 'novacron peer --name worker --json', 'novacron peer --metrics-port 9464'],
  async run (args, io) { return await runPeerCommand(args, io) }
}

/** What a command running a peer adds to it (`novacron learn`): started after the ledger, stopped before it. */
export interface PeerExtension {
  afterStart: (ctx: { node: MeshNode, privateKey: PrivateKey, ledger: PeerLedger | undefined, control: ControlServer | undefined, out: (event: string, fields: Record<string, unknown>, human: string) => void }) => Promise<void>
  beforeStop: () => Promise<void>
}

/** `novacron peer`'s body, shared with the commands that run a peer with more on it. */
export async function runPeerCommand (args: ParsedArgs, io: CliIO, extension?: PeerExtension): Promise<number> {
  let bootstrap = list(args, 'bootstrap')
  if (bootstrap.length === 0) {
    const local = runningPeers(novacronHome()).find(r => r.role === 'bootstrap' && (r.multiaddrs ?? []).length > 0)
    if (local == null) {
      throw new UsageError("--bootstrap <multiaddr> is required: no bootstrap runs on this machine (start one with 'novacron start', or paste the multiaddr it printed)", '--bootstrap')
    }
    bootstrap = (local.multiaddrs ?? []).filter(a => a.includes('/ws/'))
    if (bootstrap.length === 0) bootstrap = local.multiaddrs ?? []
    io.stderr.write(`novacron: joining the bootstrap '${local.name}' running on this machine (pid ${local.pid})\n`)
  }
  const home = claimPeerHome(args, 'peer')
  try {
    // libp2p is loaded only now, after the flags parsed: usage errors stay instant
    const { createMeshNode } = await import('../../../core/net/index.ts')
    const { runPeer } = await import('../../mesh/run-peer.ts')
    let node
    const init = await withPeerKey(await commonInit(args, home.record.dataDir))
    try {
      node = await createMeshNode({ ...init, role: 'peer', bootstrap, listen: ['/p2p-circuit', '/webrtc'] })
    } catch (err) {
      throw asUsageError(err)
    }
    home.update({ peerId: node.peerId.toString() })
    // shared state (issue board, memory): replicated over this node, on disk in the data dir
    const { startPeerState } = await import('../../state/peer-state.ts')
    const state = await startPeerState(node, home.record.dataDir, m => { if (process.env.NOVACRON_DEBUG != null) io.stderr.write(`state: ${m}\n`) })
    const metricsPort = num(args, 'metrics-port')
    let metrics: { server: import('node:http').Server, url: string } | undefined
    if (metricsPort != null) {
      const { prometheusExport } = await import('../../metrics/prometheus.ts')
      const { createMetricsServer } = await import('../../metrics/server.ts')
      const { listen } = await import('../../mesh/http-server.ts')
      const server = createMetricsServer(prometheusExport(node.metrics))
      try {
        metrics = { server, url: `http://127.0.0.1:${await listen(server, '127.0.0.1', metricsPort)}/metrics` }
      } catch (err) {
        await state.stop()
        if (isAddressInUse(err)) throw new UsageError(`--metrics-port ${metricsPort}: 127.0.0.1:${metricsPort} is already in use`, '--metrics-port')
        throw err
      }
    }
    // the mesh ledger: the genesis replica is the bootstrap (its peer id ends the multiaddr)
    const ledger = ledgerHooks(args, io, { node, privateKey: init.privateKey, genesisPeerId: () => genesisFromBootstrap(bootstrap), control: state.control, dataDir: home.record.dataDir })
    const { close } = await import('../../mesh/http-server.ts')
    const json = jsonOutput(args)
    const out = (event: string, fields: Record<string, unknown>, human: string): void => { io.stdout.write(json ? safeJson({ event, ...fields }) + '\n' : safeText(human + '\n')) }
    const meshNode = node
    return await runPeer({
      node,
      io,
      afterStart: async () => {
        await ledger?.afterStart()
        await extension?.afterStart({ node: meshNode, privateKey: init.privateKey, ledger: ledger?.current(), control: state.control, out })
      },
      beforeStop: async () => {
        try { await extension?.beforeStop() } finally { await ledger?.beforeStop() }
      },
      json: jsonOutput(args),
      listening: { name: home.record.name, dataDir: home.record.dataDir, ...(metrics != null ? { metricsUrl: metrics.url } : {}) },
      banner: [`name        ${home.record.name} (data in ${home.record.dataDir})`, ...(metrics != null ? [`metrics     ${metrics.url}`] : [])],
      onAddresses: multiaddrs => { home.update({ multiaddrs }) },
      cleanup: async () => { await state.stop(); if (metrics != null) await close(metrics.server) }
    })
  } finally {
    home.release()
  }
}
