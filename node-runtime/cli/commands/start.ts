/**
 * `novacron start` (what `npm start` runs): the mesh's bootstrap peer. It runs the circuit relay
 * that peers use to signal WebRTC, listens for WebSockets on --host:--ws-port, and serves the
 * built app plus `GET /bootstrap.json` over HTTP on --host:--port (two ports: libp2p's
 * WebSockets transport owns its own HTTP server).
 */
import { existsSync } from 'node:fs'
import { isIP } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { num, str, UsageError, type Command } from '../args.ts'
import { asUsageError, commonInit, commonOptions, isAddressInUse, jsonOutput } from '../../mesh/options.ts'
import { close, createAppServer, listen } from '../../mesh/http-server.ts'
import { ledgerHooks, ledgerOptions, withPeerKey } from '../../ledger/cli-wiring.ts'

export const DEFAULT_PORT = 7420
const root = packageRoot(new URL('.', import.meta.url).pathname)

/** The package root (where package.json is), found upwards: this file also runs bundled from dist/node. */
function packageRoot (from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) return process.cwd()
  }
}

export const command: Command = {
  name: 'start',
  summary: 'Start the bootstrap/relay peer and serve the app (what `npm start` runs)',
  description: [
    'Starts the bootstrap peer of a mesh: a circuit relay (WebRTC signalling only), a WebSockets',
    'listener on --host:--ws-port, and an HTTP server on --host:--port that serves the app and',
    'GET /bootstrap.json. Open the printed URL in a browser to add a tab to the mesh; start',
    "headless peers with 'novacron peer --bootstrap <multiaddr>'. Lines typed on stdin are",
    'broadcast. Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.'
  ].join('\n'),
  options: [
    { name: 'host', type: 'string', value: '<ip>', default: '127.0.0.1', description: 'IP address to listen on (HTTP and WebSockets)' },
    { name: 'port', type: 'integer', value: '<port>', min: 0, max: 65535, default: DEFAULT_PORT, description: 'HTTP port for the app and /bootstrap.json (0 picks a free one)' },
    { name: 'ws-port', type: 'integer', value: '<port>', min: 0, max: 65535, description: 'WebSockets port for libp2p (default: --port + 1; 0 picks a free one)' },
    { name: 'app-dir', type: 'string', value: '<dir>', default: 'dist/app', description: 'Folder of the built app to serve' },
    { name: 'max-reservations', type: 'integer', value: '<n>', min: 1, max: 65536, default: 1024, description: 'Relay reservations the bootstrap grants (one per peer)' },
    ...commonOptions,
    ...ledgerOptions
  ],
  examples: ['novacron start', 'novacron start --port 8000 --data-dir .novacron/bootstrap', 'novacron start --port 0 --ws-port 0 --json'],
  async run (args, io) {
    const host = str(args, 'host') ?? '127.0.0.1'
    const family = isIP(host)
    if (family === 0) throw new UsageError(`--host must be an IP address (got '${host}')`, '--host')
    const port = num(args, 'port') ?? DEFAULT_PORT
    const wsPort = num(args, 'ws-port') ?? (port === 0 ? 0 : port + 1)
    if (wsPort !== 0 && wsPort === port) throw new UsageError('--ws-port must differ from --port', '--ws-port')
    if (wsPort > 65535) throw new UsageError(`--ws-port ${wsPort} is out of range (set --ws-port explicitly)`, '--ws-port')
    // libp2p is loaded only now, after the flags parsed: usage errors stay instant
    const { createMeshNode } = await import('../../../core/net/index.ts')
    const { runPeer } = await import('../../mesh/run-peer.ts')
    let node
    const init = await withPeerKey(await commonInit(args))
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
    const server = createAppServer({
      root: resolve(root, str(args, 'app-dir') ?? 'dist/app'),
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
    const state = await startPeerState(mesh, str(args, 'data-dir'), m => { if (process.env.NOVACRON_DEBUG != null) io.stderr.write(`state: ${m}\n`) })
    // the mesh ledger: this peer is the genesis replica
    const ledger = ledgerHooks(args, io, { node: mesh, privateKey: init.privateKey, genesisPeerId: () => mesh.peerId.toString(), control: state.control })
    try {
      return await runPeer({
        node: mesh,
        io,
        ...ledger,
        json: jsonOutput(args),
        listening: { url, httpPort, role: 'bootstrap' },
        banner: [`open        ${url}`, `bootstrap   ${url}bootstrap.json`],
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
}
