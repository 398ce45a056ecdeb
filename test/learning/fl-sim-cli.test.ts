/**
 * `novacron fl-sim`: help and usage errors through the real CLI entry (`main`, in-process: they
 * never load tfjs, so this stays fast), and a tiny seeded JSON run as a real process.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { DEFAULT_TRAINING } from '../../core/learning/defaults.ts'
import { parseCommandArgs } from '../../node-runtime/cli/args.ts'
import { command, configFromArgs } from '../../node-runtime/cli/commands/fl-sim.ts'
import { runMain } from '../_support/run-main.ts'
import { startCli, stopAll } from '../_support/processes.ts'

after(async () => { await stopAll() })

async function runCli (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const p = startCli(['fl-sim', ...args])
  const code = await p.exited
  return { code, stdout: p.stdout, stderr: p.stderr }
}

test('--help documents every option', async () => {
  const r = await runMain(['fl-sim', '--help'])
  assert.equal(r.code, 0)
  for (const flag of ['--clients', '--rounds', '--partition', '--select', '--dp-epsilon', '--quantize', '--byzantine', '--aggregate', '--seed', '--json', '--backend', '--topk', '--server-ema', '--server-ema-start']) {
    assert.ok(r.stdout.includes(flag), `help lacks ${flag}`)
  }
})

test('without flags the run uses the documented default configuration (core/learning/defaults.ts)', () => {
  const cfg = configFromArgs(parseCommandArgs(command, []))
  for (const [k, v] of Object.entries(DEFAULT_TRAINING)) assert.deepEqual(cfg[k as keyof typeof cfg], v, k)
  assert.equal(cfg.serverOptimizer, 'adam')
  assert.equal(cfg.serverLearningRate, 0.03)
  assert.equal(cfg.finalLearningRate, 0.02)
  // sgd keeps its own defaults (plain FedAvg: η = 1, β = 0) unless given
  const sgd = configFromArgs(parseCommandArgs(command, ['--server-opt', 'sgd']))
  assert.deepEqual([sgd.serverLearningRate, sgd.serverMomentum], [1, 0])
  assert.equal(cfg.serverFinalLearningRate, undefined, 'no server decay by default')
  const set = configFromArgs(parseCommandArgs(command, ['--server-lr', '0.01', '--server-momentum', '0.9', '--server-tau', '0.01', '--server-warmup', '3', '--final-lr', '0.1', '--server-final-lr', '0.002', '--server-ema', '0.5', '--server-ema-start', '0.25']))
  assert.deepEqual([set.serverLearningRate, set.serverMomentum, set.serverTau, set.serverWarmupRounds, set.finalLearningRate, set.serverFinalLearningRate, set.serverEmaDecay, set.serverEmaStart], [0.01, 0.9, 0.01, 3, 0.1, 0.002, 0.5, 0.25])
  assert.equal(configFromArgs(parseCommandArgs(command, ['--server-ema', '0'])).serverEmaDecay, 0)
  // the final client rate follows --lr unless given: the same 5× decay
  assert.ok(Math.abs((configFromArgs(parseCommandArgs(command, ['--lr', '0.05'])).finalLearningRate ?? 0) - 0.01) < 1e-12)
})

test('bad flags are usage errors (exit 2) naming the flag', async () => {
  for (const [args, flag] of [
    [['--select', 'best'], '--select'],
    [['--partition', 'dirichlet:-1'], '--partition'],
    [['--quantize', '9'], '--quantize'],
    [['--clients', '3', '--byzantine', '4'], '--byzantine'],
    [['--aggregate', 'mean'], '--aggregate'],
    [['--rounds', 'x'], '--rounds'],
    [['--server-warmup', '-1'], '--server-warmup'],
    [['--final-lr', '0'], '--final-lr'],
    [['--server-final-lr', '0'], '--server-final-lr'],
    [['--server-ema', '1.5'], '--server-ema'],
    [['--server-ema-start', '1'], '--server-ema-start'],
    [['--server-ema', '-0.5'], '--server-ema'],
    [['--max-train', '500', '--train-per-class', '10'], '--max-train'],
    [['--max-test', '-1'], '--max-test'],
    [['--nope'], '--nope']
  ] as const) {
    const r = await runMain(['fl-sim', ...args])
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.ok(r.stderr.includes(flag), `${args.join(' ')}: ${r.stderr}`)
  }
})

test('a tiny seeded run prints backend, per-round and summary JSON, identical in a second (in-process) run', async () => {
  const args = ['--clients', '4', '--rounds', '2', '--train-per-class', '20', '--hidden', '8', '--quantize', '8', '--byzantine', '1', '--aggregate', 'median', '--dp-epsilon', '8', '--seed', '3', '--json']
  const a = await runCli(args)
  assert.equal(a.code, 0, a.stderr)
  const lines = a.stdout.trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
  assert.deepEqual(lines.map(l => l.event), ['backend', 'round', 'round', 'summary'])
  assert.equal(lines[0].backend, 'wasm')
  const summary = lines[3]
  assert.equal(summary.rounds, 2)
  assert.ok(typeof summary.finalAccuracy === 'number')
  assert.ok((summary.epsilon as number) > 0 && (summary.epsilon as number) <= 8)
  assert.ok((summary.totalBytes as number) > 0)
  assert.match(a.stderr, /round 2\/2 acc/)
  const b = await runMain(['fl-sim', ...args])
  assert.equal(b.code, 0, b.stderr)
  const strip = (s: string): string => s.replace(/"wallSeconds":[0-9.]+/, '')
  assert.equal(strip(b.stdout), strip(a.stdout))
})

test('--data leaf:<dir> and csv:<file>: classes and input size from the data; a malformed file is a typed error naming it (exit 1)', async () => {
  const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = mkdtempSync(join(tmpdir(), 'novacron-flsim-data-'))
  try {
    // 3 classes in 4 features, separable: class c has feature c high
    const row = (c: number, k: number): number[] => [0, 1, 2, 3].map(f => (f === c ? 1 : 0) + 0.01 * ((k * 7 + f) % 5))
    const user = (u: number, n: number): { x: number[][], y: number[] } => ({ x: Array.from({ length: n }, (_, k) => row((u + k) % 3, k)), y: Array.from({ length: n }, (_, k) => (u + k) % 3) })
    const leaf = (ids: string[], n: number): string => JSON.stringify({ users: ids, num_samples: ids.map(() => n), user_data: Object.fromEntries(ids.map((id, u) => [id, user(u, n)])) })
    mkdirSync(join(dir, 'leaf', 'train'), { recursive: true })
    mkdirSync(join(dir, 'leaf', 'test'), { recursive: true })
    writeFileSync(join(dir, 'leaf', 'train', 'a.json'), leaf(['a', 'b', 'c', 'd'], 30))
    writeFileSync(join(dir, 'leaf', 'test', 'a.json'), leaf(['t'], 30))
    const r = await runMain(['fl-sim', '--data', `leaf:${join(dir, 'leaf')}`, '--clients', '2', '--rounds', '2', '--hidden', '8', '--json', '--quiet', '--compress', 'off'])
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
    assert.equal(lines[0].data, `leaf:${join(dir, 'leaf')}`)
    assert.equal(lines[0].trainSamples, 120)
    assert.equal(lines[0].testSamples, 30)
    assert.equal(lines.filter(l => l.event === 'round').length, 2)
    writeFileSync(join(dir, 'd.csv'), 'a,b,c,d,label\n' + Array.from({ length: 60 }, (_, k) => [...row(k % 3, k), k % 3].join(',')).join('\n'))
    const c = await runMain(['fl-sim', '--data', `csv:${join(dir, 'd.csv')}`, '--clients', '2', '--rounds', '1', '--hidden', '8', '--json', '--quiet', '--compress', 'off', '--partition', 'iid'])
    assert.equal(c.code, 0, c.stderr)
    assert.equal((JSON.parse(c.stdout.split('\n')[0]) as { trainSamples: number }).trainSamples, 48)
    writeFileSync(join(dir, 'leaf', 'test', 'b.json'), '{"users": ["x"], "num_samp')
    const bad = await runMain(['fl-sim', '--data', `leaf:${join(dir, 'leaf')}`, '--clients', '2', '--rounds', '1', '--json'])
    assert.equal(bad.code, 1)
    const { error: err } = JSON.parse(bad.stderr.trim().split('\n').at(-1) ?? '{}') as { error: { name: string, message: string } }
    assert.equal(err.name, 'DataSourceError')
    assert.ok(err.message.includes(join(dir, 'leaf', 'test', 'b.json')), err.message)
    const usage = await runMain(['fl-sim', '--data', 'ftp://x', '--rounds', '1'])
    assert.equal(usage.code, 2)
    assert.ok(usage.stderr.includes('--data'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
