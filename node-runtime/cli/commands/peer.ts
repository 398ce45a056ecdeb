/**
 * `novacron peer`: a headless Node peer that joins a mesh through a bootstrap, reserves a relay
 * slot there and keeps direct WebRTC connections to up to --max-peers other peers.
 */
import { list, str, UsageError, type Command } from '../args.ts'
import { asUsageError, commonInit, commonOptions, jsonOutput } from '../../mesh/options.ts'
import { ledgerHooks, ledgerOptions, withPeerKey } from '../../ledger/cli-wiring.ts'
import { genesisFromBootstrap } from '../../ledger/peer-ledger.ts'

export const command: Command = {
  name: 'peer',
  summary: 'Start a headless peer that joins a mesh',
  description: [
    'Joins the mesh of the bootstrap given by --bootstrap (its multiaddr, as printed by',
    "'novacron start' or served at http://<host>:<port>/bootstrap.json), then connects directly",
    'over WebRTC to other peers. Lines typed on stdin are broadcast to the mesh; broadcasts from',
    'others are printed. Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.'
  ].join('\n'),
  options: [
    { name: 'bootstrap', type: 'list', value: '<multiaddr>', description: 'Bootstrap multiaddr ending in /p2p/<peer id> (repeat for several); required' },
    ...commonOptions,
    ...ledgerOptions
  ],
  examples: ['novacron peer --bootstrap /ip4/127.0.0.1/tcp/7421/ws/p2p/12D3KooW...', 'novacron peer --bootstrap <multiaddr> --data-dir .novacron/peer1 --json'],
  async run (args, io) {
    const bootstrap = list(args, 'bootstrap')
    if (bootstrap.length === 0) throw new UsageError('--bootstrap <multiaddr> is required', '--bootstrap')
    // libp2p is loaded only now, after the flags parsed: usage errors stay instant
    const { createMeshNode } = await import('../../../core/net/index.ts')
    const { runPeer } = await import('../../mesh/run-peer.ts')
    let node
    const init = await withPeerKey(await commonInit(args))
    try {
      node = await createMeshNode({ ...init, role: 'peer', bootstrap, listen: ['/p2p-circuit', '/webrtc'] })
    } catch (err) {
      throw asUsageError(err)
    }
    // shared state (issue board, memory): replicated over this node, on disk with --data-dir
    const { startPeerState } = await import('../../state/peer-state.ts')
    const state = await startPeerState(node, str(args, 'data-dir'), m => { if (process.env.NOVACRON_DEBUG != null) io.stderr.write(`state: ${m}\n`) })
    // the mesh ledger: the genesis replica is the bootstrap (its peer id ends the multiaddr)
    const ledger = ledgerHooks(args, io, { node, privateKey: init.privateKey, genesisPeerId: () => genesisFromBootstrap(bootstrap), control: state.control })
    return await runPeer({ node, io, json: jsonOutput(args), ...ledger, cleanup: state.stop })
  }
}
