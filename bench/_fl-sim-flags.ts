/**
 * The `fl-sim` configuration bench/live-learning compares its live learners with (random selection
 * of all P clients, FedAvg with server η 1 and no EMA, constant lr 0.1, `quantize`-bit top-k uplink,
 * `down`-bit downlink, a `hidden`-unit MLP, a Dirichlet(0.5) partition), as `fl-sim` flags: the
 * bench runs them as a process, the accuracy probes (_fl-split-probe.ts, _live-sim-probe.ts) parse
 * them in process, so all three run one configuration.
 */
export interface FlSimFlags { peers: number, rounds: number, quantize: number, topk: number, down: number, hidden: number, seed: number }

export function liveBenchFlSimArgs (o: FlSimFlags): string[] {
  return ['--clients', String(o.peers), '--per-round', String(o.peers), '--rounds', String(o.rounds), '--partition', 'dirichlet:0.5', '--select', 'random',
    '--server-opt', 'sgd', '--server-ema', '0', '--lr', '0.1', '--final-lr', '0.1', '--quantize', String(o.quantize), '--topk', String(o.topk),
    '--down-quantize', String(o.down), '--hidden', String(o.hidden), '--seed', String(o.seed)]
}
