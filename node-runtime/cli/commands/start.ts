/**
 * `novacron start` (what `npm start` runs): the mesh's bootstrap peer. It runs the circuit relay
 * that peers use to signal WebRTC, listens for WebSockets on --host:--ws-port, and serves the
 * built app plus `GET /bootstrap.json` over HTTP on --host:--port (two ports: libp2p's
 * WebSockets transport owns its own HTTP server).
 */
import { existsSync } from 'node:fs'
import { isIP } from 'node:net'
import { join, resolve } from 'node:path'
import { num, str, UsageError, type CliIO, type Command, type ParsedArgs } from '../args.ts'
import type { PeerRecord } from '../../home/registry.ts'
import { claimPeerHome, type PeerHome } from '../../mesh/peer-home.ts'
import { asUsageError, commonInit, commonOptions, isAddressInUse, jsonOutput } from '../../mesh/options.ts'
import { close, createAppServer, listen } from '../../mesh/http-server.ts'
import { packageRoot } from '../package-root.ts'
import { ledgerHooks, genesisLedgerOptions, withPeerKey } from '../../ledger/cli-wiring.ts'
import { jobOptions } from '../../jobs/cli-wiring.ts'

export const DEFAULT_PORT = 7420
const root = packageRoot(new URL('.', import.meta.url).pathname)

export const command: Command = {
  name: 'start',
  summary: 'Start the bootstrap/relay peer and serve the app (what `npm start` runs)',
  description: [
    'Starts the bootstrap peer of a mesh: a circuit relay (WebRTC signalling only), a WebSockets',
    'listener on --host:--ws-port, and an HTTP server on --host:--port that serves the app and',
    'GET /bootstrap.json and GET /metrics (Prometheus text). Open the printed URL in a browser to add a tab to the mesh; start',
    "headless peers with 'novacron peer --bootstrap <multiaddr>'. Lines typed on stdin are",
    'broadcast. Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.'
  ].join('\n'),
  options: [
    { name: 'host', type: 'string', value: '<ip>', default: '127.0.0.1', description: 'IP address to listen on (HTTP and WebSockets)' },
    { name: 'port', type: 'integer', value: '<port>', min: 0, max: 65535, default: DEFAULT_PORT, description: 'HTTP port for the app and /bootstrap.json (0 picks a free one)' },
    { name: 'ws-port', type: 'integer', value: '<port>', min: 0, max: 65535, description: 'WebSockets port for libp2p (default: --port + 1; 0 picks a free one)' },
    { name: 'app-dir', type: 'string', value: '<dir>', description: "Folder of the built app to serve (default: the package's dist/app, built by npm run build)" },
    { name: 'max-reservations', type: 'integer', value: '<n>', min: 1, max: 65536, default: 1024, description: 'Relay reservations the bootstrap grants (one per peer)' },
    ...commonOptions,
    ...genesisLedgerOptions,
    ...jobOptions
  ],
  examples: ['novacron start', 'novacron start --port 8000 --name lab', 'npm start -- --port 8000', 'novacron start --port 0 --ws-port 0 --json'],
  async run (args, io) {
    const host = str(args, 'host') ?? '127.0.0.1'
    const family = isIP(host)
    if (family === 0) throw new UsageError(`--host must be an IP address (got '${host}')`, '--host')
    const port = num(args, 'port') ?? DEFAULT_PORT
    const wsPort = num(args, 'ws-port') ?? (port === 0 ? 0 : port + 1)
    if (wsPort !== 0 && wsPort === port) throw new UsageError('--ws-port must differ from --port', '--ws-port')
    if (wsPort > 65535) throw new UsageError(`--ws-port ${wsPort} is out of range (set --ws-port explicitly)`, '--ws-port')
    const appDirFlag = str(args, 'app-dir')
    const appDir = appDirFlag != null ? resolve(appDirFlag) : resolve(root, 'dist/app')
    if (appDirFlag != null && !existsSync(join(appDir, 'index.html'))) {
      throw new UsageError(`--app-dir ${appDirFlag}: ${existsSync(appDir) ? 'has no index.html (not a built app)' : 'no such folder'}`, '--app-dir')
    }
    const home = claimPeerHome(args, 'bootstrap')
    try {
      return await serve(args, io, { host, family, port, wsPort, appDir, home })
    } finally {
      home.release()
    }
  }
}

interface ServeInit { host: string, family: number, port: number, wsPort: number, appDir: string, home: PeerHome }

async function serve (args: ParsedArgs, io: CliIO, { host, family, port, wsPort, appDir, home }: ServeInit): Promise<number> {
  // libp2p is loaded only now, after the flags parsed: usage errors stay instant
  const { createMeshNode } = await import('../../../core/net/index.ts')
  const { runPeer } = await import('../../mesh/run-peer.ts')
  let node
  const init = await withPeerKey(await commonInit(args, home.record.dataDir))
  try {
    node = await createMeshNode({
      ...init,
      role: 'bootstrap',
      relayServer: true,
      maxReservations: num(args, 'max-reservations'),
      listen: [`/${family === 6 ? 'ip6' : 'ip4'}/${host}/tcp/${wsPort}/ws`]
    })
  } catch (err) {
    throw asUsageError(err)
  }
  const mesh = node
  const { prometheusExport } = await import('../../metrics/prometheus.ts')
  const server = createAppServer({
    metrics: prometheusExport(mesh.metrics),
    root: appDir,
    bootstrap: async () => ({ peerId: mesh.peerId.toString(), multiaddrs: mesh.getMultiaddrs(), peers: await mesh.introductions() })
  })
  let httpPort: number
  try {
    httpPort = await listen(server, host, port)
  } catch (err) {
    if (isAddressInUse(err)) throw new UsageError(`--port ${port}: ${host}:${port} is already in use (choose another --port)`, '--port')
    throw err
  }
  const url = `http://${family === 6 ? `[${host}]` : host}:${httpPort}/`
  // shared state (issue board, memory): the bootstrap keeps a replica too, on disk with --data-dir
  const { startPeerState } = await import('../../state/peer-state.ts')
  const state = await startPeerState(mesh, home.record.dataDir, m => { if (process.env.NOVACRON_DEBUG != null) io.stderr.write(`state: ${m}\n`) })
  home.update({ peerId: mesh.peerId.toString(), url })
  // the mesh ledger: this peer is the genesis replica
  const ledger = ledgerHooks(args, io, { node: mesh, privateKey: init.privateKey, genesisPeerId: () => mesh.peerId.toString(), control: state.control, dataDir: home.record.dataDir })
  try {
    return await runPeer({
      node: mesh,
      io,
      ...ledger,
      json: jsonOutput(args),
      listening: multiaddrs => ({ url, httpPort, role: 'bootstrap', metricsUrl: `${url}metrics`, name: home.record.name, dataDir: home.record.dataDir, next: peerLine(multiaddrs) }),
      banner: multiaddrs => nextSteps(url, home.record, multiaddrs),
      onAddresses: multiaddrs => { home.update({ multiaddrs }) },
      cleanup: async () => { await state.stop(); await close(server) }
    })
  } catch (err) {
    await state.stop()
    await close(server)
    await mesh.stop()
    if (isAddressInUse(err)) throw new UsageError(`--ws-port ${wsPort}: ${host}:${wsPort} is already in use (choose another --ws-port or --port)`, '--ws-port')
    throw err
  }
}

/** The exact command that joins a headless peer to this bootstrap (its WebSockets address). */
function peerLine (multiaddrs: string[]): string {
  const ws = multiaddrs.find(a => a.includes('/ws/')) ?? multiaddrs[0]
  return `novacron peer --bootstrap ${ws ?? '<multiaddr>'}`
}

/** What `start` prints under its addresses: where its data is, and what to do next. */
function nextSteps (url: string, record: PeerRecord, multiaddrs: string[]): string[] {
  return [
    `name        ${record.name} (data in ${record.dataDir})`,
    `open        ${url}`,
    `bootstrap   ${url}bootstrap.json`,
    `metrics     ${url}metrics`,
    '',
    'Next steps:',
    `  1. open ${url} in a browser: every tab is a peer of this mesh`,
    '  2. add a headless peer, in another terminal:',
    `       ${peerLine(multiaddrs)}`,
    "     (on this machine 'novacron peer' alone finds this bootstrap)",
    `  3. the shared board: novacron issues create "First issue", novacron issues list`,
    ''
  ]
}
