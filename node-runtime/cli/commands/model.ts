/**
 * `novacron model status|export|predict|verify`: the model a `novacron learn` peer's mesh committed, reached through
 * the peer's control endpoint (--data-dir), like `novacron ledger`.
 *
 * - status: the task, learners, the head round and its hash, and every committed round (coordinator,
 *   participants, the coordinator's and this peer's held-out accuracy, ε), bytes on the wire, rejections.
 * - export: the head model (or --hash) as a tfjs layers-model directory (`model.json` +
 *   `weights.bin`; MLP: Dense(relu) → Dense(softmax)), loadable with `tf.loadLayersModel`.
 * - predict: runs the committed model on the rows of a CSV (features only) or JSON (array of
 *   rows) file and prints the class and its probability per row.
 * - verify: recomputes a committed round from its coordinator's update bodies and compares hashes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bool, num, str, UsageError, type CliIO, type Command, type OptionSpec, type ParsedArgs } from '../args.ts'
import { safeJson, safeText } from '../escape.ts'
import { peerExec } from '../../ledger/client.ts'
import type { ModelStatus, ModelWeights } from '../../learning/live-peer.ts'

const DATA_DIR: OptionSpec = { name: 'data-dir', type: 'string', value: '<dir>', default: '.novacron', description: "The learning peer's data directory (its running peer is reached through it)" }
const JSON_OPT: OptionSpec = { name: 'json', type: 'boolean', description: 'Print JSON instead of text' }
const HASH: OptionSpec = { name: 'hash', type: 'string', value: '<sha256>', description: 'a committed model other than the head (one the peer still holds)' }
const dir = (args: ParsedArgs): string => str(args, 'data-dir') ?? '.novacron'
const print = (io: CliIO, json: boolean, value: unknown, text: string): void => { io.stdout.write(json ? safeJson(value) + '\n' : safeText(text)) }
const pct = (v: number | null): string => v == null ? '–' : `${(v * 100).toFixed(2)}%`

const status: Command = {
  name: 'status',
  summary: 'The task, the latest committed round and model hash, accuracy per round, bytes, rejections',
  options: [DATA_DIR, JSON_OPT],
  examples: ['novacron model status --data-dir .novacron/peer-1', 'novacron model status --json'],
  run: async (args, io) => {
    const s = await peerExec(dir(args))('model.status') as ModelStatus
    const lines = [
      `task        ${s.task} (${s.data}, ${s.trainSamples} training / ${s.testSamples} held-out rows here)`,
      `learners    ${s.learners.length}${s.joined ? '' : ' (this peer has not joined yet)'}`,
      `round       ${s.round}${s.round === 0 ? ' (the initial model)' : ''}`,
      `model       ${s.hash}${s.held ? '' : ' (fetching)'}`,
      `wire        ${s.stats.bytesSent} bytes sent, ${s.stats.bytesReceived} received`,
      `rejected    ${Object.entries(s.stats.rejected).filter(([, v]) => v > 0).map(([k, v]) => `${k}:${v}`).join(' ') || 'none'}; weights refused ${s.stats.refusedWeights}`,
      ...s.rounds.map(r => `  round ${r.round}  ${r.hash.slice(0, 16)}…  ${r.participants.length} participant(s)  accuracy ${pct(r.localAccuracy)} (coordinator ${pct(r.accuracy)})${r.epsilon != null ? `  ε ${r.epsilon}` : ''}`)
    ]
    print(io, bool(args, 'json'), s, lines.join('\n') + '\n')
    return 0
  }
}

/** A tfjs layers model holding `w` (MLP only in this slice). */
async function layersModel (m: ModelWeights): Promise<{ tf: typeof import('@tensorflow/tfjs'), model: import('@tensorflow/tfjs').Sequential }> {
  if (m.spec.kind !== 'mlp') throw new UsageError(`model ${m.spec.kind}: export and predict support the MLP only for now`)
  const { setupNodeBackend } = await import('../../learning/backend.ts')
  await setupNodeBackend()
  const tf = await import('@tensorflow/tfjs')
  const { weightsFromBytes } = await import('../../../core/learning/live/weights.ts')
  const h = m.spec.hidden ?? 64
  const d = m.spec.inputDim
  const c = m.spec.classes
  const w = weightsFromBytes(Buffer.from(m.weights, 'base64'), d * h + h + h * c + c)
  const model = tf.sequential({ name: 'novacron_mlp' })
  model.add(tf.layers.dense({ units: h, activation: 'relu', inputShape: [d], name: 'hidden' }))
  model.add(tf.layers.dense({ units: c, activation: 'softmax', name: 'output' }))
  let off = 0
  const take = (shape: number[]): import('@tensorflow/tfjs').Tensor => {
    const n = shape.reduce((a, b) => a * b, 1)
    const t = tf.tensor(w.subarray(off, off + n), shape)
    off += n
    return t
  }
  model.setWeights([take([d, h]), take([h]), take([h, c]), take([c])])
  return { tf, model }
}

const exportCmd: Command = {
  name: 'export',
  summary: 'Write the committed model as a tfjs model directory (model.json + weights.bin)',
  options: [{ name: 'out', type: 'string', value: '<dir>', description: 'directory to write (created if missing)' }, HASH, DATA_DIR, JSON_OPT],
  examples: ['novacron model export --out ./mnist-model --data-dir .novacron/peer-1'],
  run: async (args, io) => {
    const out = str(args, 'out')
    if (out == null) throw new UsageError('--out <dir> is required', '--out')
    const m = await peerExec(dir(args))('model.weights', str(args, 'hash') != null ? { hash: str(args, 'hash') } : {}) as ModelWeights
    const { tf, model } = await layersModel(m)
    await mkdir(out, { recursive: true })
    await model.save(tf.io.withSaveHandler(async artifacts => {
      const weightData = artifacts.weightData as ArrayBuffer
      await writeFile(join(out, 'weights.bin'), new Uint8Array(weightData))
      const json = { format: 'layers-model', generatedBy: 'novacron model export', convertedBy: null, modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }], userDefinedMetadata: { round: m.round, sha256: m.hash } }
      await writeFile(join(out, 'model.json'), JSON.stringify(json))
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }))
    print(io, bool(args, 'json'), { out, round: m.round, hash: m.hash }, `exported    round ${m.round} (${m.hash.slice(0, 16)}…) to ${out}/model.json\n`)
    return 0
  }
}

async function readRows (file: string, dim: number): Promise<number[][]> {
  const { DataSourceError } = await import('../../../core/learning/errors.ts')
  let text: string
  try { text = await readFile(file, 'utf8') } catch (err) { throw new DataSourceError(file, 'unreadable', `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`) }
  let rows: unknown
  if (file.endsWith('.json')) {
    try { rows = JSON.parse(text) } catch { throw new DataSourceError(file, 'json', 'not valid JSON') }
  } else {
    rows = text.split(/\r?\n/).filter(l => l.trim() !== '' && !/[a-df-zA-DF-Z]/.test(l)).map(l => l.split(',').map(f => Number(f.trim())))
  }
  if (!Array.isArray(rows) || rows.length === 0) throw new DataSourceError(file, 'empty', 'expected rows of features')
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== dim) throw new DataSourceError(file, 'ragged', `row ${i + 1}: ${Array.isArray(r) ? r.length : 0} features where the model takes ${dim}`)
    if (!r.every(v => typeof v === 'number' && Number.isFinite(v))) throw new DataSourceError(file, 'number', `row ${i + 1}: not all numbers`)
  })
  return rows as number[][]
}

const predict: Command = {
  name: 'predict',
  summary: 'Run the committed model on rows of a CSV or JSON file',
  options: [{ name: 'input', type: 'string', value: '<file>', description: 'CSV (one row of features per line) or .json (an array of rows)' }, { name: 'limit', type: 'integer', min: 1, default: 1000, description: 'at most this many rows' }, HASH, DATA_DIR, JSON_OPT],
  examples: ['novacron model predict --input digits.csv --data-dir .novacron/peer-1 --json'],
  run: async (args, io) => {
    const input = str(args, 'input')
    if (input == null) throw new UsageError('--input <file> is required', '--input')
    const m = await peerExec(dir(args))('model.weights', str(args, 'hash') != null ? { hash: str(args, 'hash') } : {}) as ModelWeights
    const rows = (await readRows(input, m.spec.inputDim)).slice(0, num(args, 'limit') ?? 1000)
    const { tf, model } = await layersModel(m)
    const probs = tf.tidy(() => model.predict(tf.tensor2d(rows)) as import('@tensorflow/tfjs').Tensor).arraySync() as number[][]
    const predictions = probs.map(p => { const c = p.indexOf(Math.max(...p)); return { class: c, probability: Math.round(p[c] * 1e6) / 1e6 } })
    print(io, bool(args, 'json'), { round: m.round, hash: m.hash, predictions }, predictions.map((p, i) => `row ${i + 1}: class ${p.class} (${(p.probability * 100).toFixed(1)}%)`).join('\n') + '\n')
    return 0
  }
}

const verify: Command = {
  name: 'verify',
  summary: 'Recompute a committed round from its update bodies, check their signatures and compare the SHA-256',
  options: [{ name: 'round', type: 'integer', min: 1, description: 'the round (default: the head)' }, DATA_DIR, JSON_OPT],
  examples: ['novacron model verify --round 3 --data-dir .novacron/peer-2'],
  run: async (args, io) => {
    const r = await peerExec(dir(args))('model.verify', num(args, 'round') != null ? { round: num(args, 'round') } : {}) as { round: number, hash: string, recomputed: string, match: boolean, updates: number, badSignatures: string[] }
    const sigs = r.badSignatures.length === 0 ? 'every update signed by its participant' : `NOT SIGNED by their participant: ${r.badSignatures.join(', ')}`
    print(io, bool(args, 'json'), r, `round       ${r.round}: ${r.updates} update(s) → ${r.recomputed}\nsignatures  ${sigs}\ncommitted   ${r.hash} ${r.match ? '(match)' : '(MISMATCH)'}\n`)
    return r.match ? 0 : 1
  }
}

export const command: Command = {
  name: 'model',
  summary: 'The model the mesh committed: status, export, predict, verify',
  description: 'Talks to the `novacron learn` peer running on --data-dir through its control endpoint.',
  options: [],
  subcommands: [status, exportCmd, predict, verify]
}
