/**
 * Probe behind the default of `serverEmaDecay` (core/learning/model-ema.ts): the MLP rows of
 * bench/learning.bench.ts that the issue's targets compare (20 clients, Dirichlet(0.5), 20 rounds
 * of 10, the default configuration without an EMA), with the final accuracy of the server's raw
 * model and of its moving average for several decays β. The average does not feed back into
 * training, so one run per row gives every β: the hook folds each round's raw model into one
 * average per β and evaluates it. Prints one line per row and writes
 * bench/results/learning-ema-probe[-seed<N>].json.
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/learning-ema-probe.ts [--seed N]
 */
import { COMPRESSED_UPDATES, createModelEma, createRng, emaStartRound, DEFAULT_TRAINING, initParams, ROBUST_AGGREGATION, runFederated, trainTestSplit, Trainer, type FederatedConfig, type ModelSpec } from '../core/learning/index.ts'
import { setupNodeBackend } from '../node-runtime/learning/backend.ts'
import { loadMnist } from '../node-runtime/learning/mnist.ts'
import { writeResult } from './_results.ts'
import { numberFlag } from './learning-flags.ts'

const SEED = numberFlag(process.argv.slice(2), 'seed', 1, { integer: true, min: 0 })
/** [β, start fraction]: averaging starts at round ⌊start·T⌋ + 1 (before it, the raw model). */
const VARIANTS: Array<[number, number]> = [[0.5, 0], [0.8, 0], [0.9, 0], [0.5, 0.5], [0.8, 0.5], [1, 0.5], [0.5, 0.75], [0.8, 0.75], [1, 0.75]]
const key = ([b, s]: [number, number]): string => `β${b}@${s}`
const model: ModelSpec = { kind: 'mlp', inputDim: 784, classes: 10, hidden: 64 }
await setupNodeBackend('wasm')
const { train, test } = trainTestSplit(await loadMnist(), 0.2, createRng(SEED).fork('split'))
const base: FederatedConfig = {
  model, clients: 20, rounds: 20, clientsPerRound: 10, ...DEFAULT_TRAINING, serverEmaDecay: 0,
  partition: { kind: 'dirichlet', alpha: 0.5 }, selection: 'random', seed: SEED
}
const BYZ: Partial<FederatedConfig> = { byzantine: 4, attack: 'sign-flip' }
const rows: Array<[string, Partial<FederatedConfig>]> = [
  ['random dense', {}], ['tcs dense', { selection: 'tcs' }],
  ['random compressed', COMPRESSED_UPDATES], ['tcs compressed', { ...COMPRESSED_UPDATES, selection: 'tcs' }],
  ['random byzantine', { ...BYZ, ...ROBUST_AGGREGATION }], ['tcs byzantine', { ...BYZ, ...ROBUST_AGGREGATION, selection: 'tcs' }],
  ['random byzantine, plain averaging', BYZ]
]
const out: Record<string, { raw: number[], ema: Record<string, number[]> }> = {}
/** Evaluates the averages (a second Trainer: the run's own holds the raw model). */
const judge = new Trainer(model, initParams(model, createRng(0)))
for (const [name, over] of rows) {
  const emas = VARIANTS.map(v => ({ v, start: emaStartRound(v[1], base.rounds), ema: createModelEma(judge.size, v[0]) }))
  const curve = { raw: [] as number[], ema: Object.fromEntries(VARIANTS.map(v => [key(v), [] as number[]])) }
  await runFederated({ ...base, ...over }, { train, test }, {
    onRound: async (r, { server }) => {
      curve.raw.push(r.accuracy)
      for (const e of emas) {
        if (r.round < e.start) { curve.ema[key(e.v)].push(r.accuracy); continue }
        judge.setWeights(e.ema.update(server))
        curve.ema[key(e.v)].push((await judge.evaluate(test)).accuracy)
      }
    }
  })
  out[name] = curve
  const fin = (a: number[]): string => `${(a[a.length - 1] * 100).toFixed(2)}`
  console.log(`${name.padEnd(34)} raw ${fin(curve.raw)}  ${VARIANTS.map(v => `${key(v)} ${fin(curve.ema[key(v)])}`).join('  ')}`)
}
judge.dispose()
console.log(`wrote ${writeResult(`learning-ema-probe${SEED === 1 ? '' : `-seed${SEED}`}`, { seed: SEED, variants: VARIANTS.map(key), setup: base, accuracyByRound: out })}`)
