/**
 * `novacron sim`: runs the seeded consensus simulator (core/consensus/sim) for ProBFT or the PBFT
 * baseline and prints a table, or one JSON object with --json. Quorums for ProBFT are sized by the
 * quorum model over core-wasm's binomial tails (initCoreWasm is awaited first).
 */
import { binomialCdf, binomialSf, initCoreWasm } from '../../../core-wasm/index.ts'
import { STRATEGIES, simulate, type SimResult, type Strategy } from '../../../core/consensus/index.ts'
import { bool, num, str, UsageError, type CliIO, type Command, type ParsedArgs } from '../args.ts'

function table (r: SimResult): string {
  const rows: Array<[string, string]> = [
    ['protocol', r.protocol],
    ['replicas (n) / tolerated (f) / Byzantine', `${r.n} / ${r.f} / ${r.byzantine}`],
    ['strategy, seed', `${r.strategy}, ${r.seed}`],
    ['sample size s / quorum q', `${r.sampleSize} / ${r.quorum}`],
    ['slots decided by every honest replica', String(r.decided)],
    ['safety violations', String(r.safetyViolations)],
    ['messages per decision', String(r.messagesPerDecision)],
    ['bytes per decision', String(r.bytesPerDecision)],
    ['honest messages by type', Object.entries(r.messagesByKind).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'],
    ['latency in steps (median / p99)', `${r.latencySteps.median} / ${r.latencySteps.p99}`],
    ['view changes, adopted decisions', `${r.viewChanges}, ${r.adoptedDecisions}`],
    ['rejected messages', Object.entries(r.rejected).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'],
    ['equivocation evidence (leader / vote)', `${r.evidence.leader} / ${r.evidence.vote}`],
    ['views a Byzantine leader equivocated in', String(r.attackedViews)]
  ]
  if (r.model != null) rows.push(['model: safety failure per view / miss per phase', `${r.model.safetyFailurePerView.toExponential(2)} / ${r.model.livenessFailurePerPhase.toFixed(3)}`])
  if (!r.completed) rows.push(['NOTE', `stopped at tick ${r.ticks} before every honest replica decided`])
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n'
}

async function run (args: ParsedArgs, io: CliIO): Promise<number> {
  const n = num(args, 'n') as number
  const f = Math.floor((n - 1) / 3)
  const byzantine = num(args, 'byzantine') as number
  if (byzantine > f) throw new UsageError(`--byzantine must be at most floor((n-1)/3) = ${f} for n = ${n} (got ${byzantine})`, '--byzantine')
  await initCoreWasm()
  const result = simulate({
    protocol: str(args, 'protocol') as 'probft' | 'pbft',
    n,
    f,
    byzantine,
    strategy: str(args, 'strategy') as Strategy,
    decisions: num(args, 'decisions') as number,
    seed: num(args, 'seed') as number,
    sampleFactor: num(args, 'sample-factor'),
    targetFailure: num(args, 'target-failure'),
    loss: num(args, 'loss'),
    jitter: num(args, 'jitter'),
    partitions: num(args, 'partitions'),
    maxTicks: num(args, 'max-ticks'),
    quorumMath: { binomialSf, binomialCdf }
  })
  io.stdout.write(bool(args, 'json') ? JSON.stringify(result) + '\n' : table(result))
  return result.safetyViolations === 0 ? 0 : 1
}

export const command: Command = {
  name: 'sim',
  summary: 'Run a seeded consensus simulation (ProBFT or PBFT)',
  description: 'Runs n replicas of the real consensus state machine (ed25519 signatures, RFC 9381 ECVRF) over an\n' +
    'in-process network with random latency, message loss and healing partitions; Byzantine replicas follow\n' +
    'the chosen strategy. Exit code 1 when honest replicas disagree on a slot. Same options, same output.',
  options: [
    { name: 'protocol', type: 'string', choices: ['probft', 'pbft'], default: 'probft', description: 'Consensus protocol' },
    { name: 'n', type: 'integer', min: 4, max: 1024, default: 16, description: 'Number of replicas' },
    { name: 'byzantine', type: 'integer', min: 0, default: 0, description: 'Byzantine replicas (at most floor((n-1)/3))' },
    { name: 'strategy', type: 'string', choices: STRATEGIES, default: 'silent', description: 'What the Byzantine replicas do' },
    { name: 'decisions', type: 'integer', min: 1, max: 100000, default: 20, description: 'Slots every honest replica must decide' },
    { name: 'seed', type: 'integer', min: 0, max: 2 ** 31 - 1, default: 1, description: 'Seed of keys, network and adversary' },
    { name: 'sample-factor', type: 'number', min: 0.1, max: 64, default: 2.5, description: 'ProBFT sample size s = ceil(factor * sqrt(n))' },
    { name: 'target-failure', type: 'number', min: 1e-15, max: 0.5, default: 1e-3, description: 'ProBFT target safety failure per view (quorum sizing)' },
    { name: 'loss', type: 'number', min: 0, max: 0.5, default: 0.01, description: 'Probability that a message is lost' },
    { name: 'jitter', type: 'number', min: 0, max: 20, default: 0.5, description: 'Mean extra delay in ticks (delay = 1 + floor(Exp(jitter)))' },
    { name: 'partitions', type: 'integer', min: 0, max: 100, default: 1, description: 'Partitions (random halves, 40 ticks each) in the first 200 ticks' },
    { name: 'max-ticks', type: 'integer', min: 10, description: 'Stop after this many ticks (default: 400 + 200 per decision)' },
    { name: 'json', type: 'boolean', description: 'Print one JSON object instead of a table' }
  ],
  examples: [
    'novacron sim --protocol probft --n 64 --byzantine 21 --strategy equivocating-leader --decisions 200 --seed 7 --json',
    'novacron sim --protocol pbft --n 16 --decisions 10'
  ],
  run
}
