/**
 * `novacron peer`: a headless Node peer that joins a mesh through a bootstrap, reserves a relay
 * slot there and keeps direct WebRTC connections to up to --max-peers other peers. With
 * --metrics-port it serves `GET /metrics` (Prometheus text, docs/metrics.md) on 127.0.0.1.
 */
import { list, num, str, UsageError, type Command } from '../args.ts'
import { isAddressInUse } from '../../mesh/options.ts'
import { asUsageError, commonInit, commonOptions, jsonOutput } from '../../mesh/options.ts'

export const command: Command = {
  name: 'peer',
  summary: 'Start a headless peer that joins a mesh',
  description: [
    'Joins the mesh of the bootstrap given by --bootstrap (its multiaddr, as printed by',
    "'novacron start' or served at http://<host>:<port>/bootstrap.json), then connects directly",
    'over WebRTC to other peers. Lines typed on stdin are broadcast to the mesh; broadcasts from',
    'others are printed (control characters escaped). With --metrics-port, GET /metrics on',
    '127.0.0.1:<port> serves Prometheus metrics (docs/metrics.md). Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.'
  ].join('\n'),
  options: [
    { name: 'bootstrap', type: 'list', value: '<multiaddr>', description: 'Bootstrap multiaddr ending in /p2p/<peer id> (repeat for several); required' },
    { name: 'metrics-port', type: 'integer', value: '<port>', min: 0, max: 65535, description: 'Serve Prometheus metrics at http://127.0.0.1:<port>/metrics (0 picks a free port; default: off)' },
    ...commonOptions
  ],
  examples: ['novacron peer --bootstrap /ip4/127.0.0.1/tcp/7421/ws/p2p/12D3KooW...', 'novacron peer --bootstrap <multiaddr> --metrics-port 9464', 'novacron peer --bootstrap <multiaddr> --data-dir .novacron/peer1 --json'],
  async run (args, io) {
    const bootstrap = list(args, 'bootstrap')
    if (bootstrap.length === 0) throw new UsageError('--bootstrap <multiaddr> is required', '--bootstrap')
    // libp2p is loaded only now, after the flags parsed: usage errors stay instant
    const { createMeshNode } = await import('../../../core/net/index.ts')
    const { runPeer } = await import('../../mesh/run-peer.ts')
    let node
    try {
      node = await createMeshNode({ ...await commonInit(args), role: 'peer', bootstrap, listen: ['/p2p-circuit', '/webrtc'] })
    } catch (err) {
      throw asUsageError(err)
    }
    // shared state (issue board, memory): replicated over this node, on disk with --data-dir
    const { startPeerState } = await import('../../state/peer-state.ts')
    const state = await startPeerState(node, str(args, 'data-dir'), m => { if (process.env.NOVACRON_DEBUG != null) io.stderr.write(`state: ${m}\n`) })
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
    const { close } = await import('../../mesh/http-server.ts')
    return await runPeer({
      node,
      io,
      json: jsonOutput(args),
      ...(metrics != null ? { listening: { metricsUrl: metrics.url }, banner: [`metrics     ${metrics.url}`] } : {}),
      cleanup: async () => { await state.stop(); if (metrics != null) await close(metrics.server) }
    })
  }
}
