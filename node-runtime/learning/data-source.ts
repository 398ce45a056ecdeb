/**
 * The `--data <source>` of `novacron learn` and `novacron fl-sim`, read from disk in Node:
 *
 *   mnist          the 10,000 digits of the `mnist` package, split 80/20 (stratified, seeded)
 *   leaf:<dir>     a LEAF data directory: `<dir>/train/*.json` (the users are the clients) and
 *                  `<dir>/test/*.json` (the held-out set)
 *   csv:<file>     numeric features and an integer label column (the last, or --label-column);
 *                  split 80/20 like mnist. `csv:<train>,<test>` takes the held-out rows from a
 *                  second file instead
 *
 * (a bare path is `leaf:` when it is a directory and `csv:` when it ends in `.csv`). The class
 * count and the input size come from the data. Parsing is core/learning/sources (isomorphic);
 * this file only reads files, and turns unreadable ones into `DataSourceError`s naming them.
 *
 * `peerShard` gives one peer of `count` its own training rows: for mnist and csv the engine's
 * partition (Dirichlet non-IID by default, seeded: every peer computes the same split and takes
 * part `index`), for LEAF the natural users (user j goes to peer j mod count).
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { balancedSample, createRng, partition, shuffle, subset, trainTestSplit, type Dataset, type PartitionSpec } from '../../core/learning/index.ts'
import { DataSourceError, LearningConfigError } from '../../core/learning/errors.ts'
import { parseCsv } from '../../core/learning/sources/csv.ts'
import { leafClasses, leafDataset, parseLeafJson, type LeafFile } from '../../core/learning/sources/leaf.ts'
import { loadMnist } from './mnist.ts'
import type { DataSpec } from './data-spec.ts'

export { parseDataSpec, parseShard } from './data-spec.ts'
export type { DataSpec } from './data-spec.ts'

export interface LoadOptions {
  seed: number
  /** Held-out share for mnist and single-file csv. @default 0.2 */
  testFraction?: number
  /** CSV label column (index or header name). @default last column */
  labelColumn?: number | string
}

export interface LoadedData {
  /** e.g. `mnist`, `leaf:/data/femnist` */
  name: string
  train: Dataset
  test: Dataset
  /** LEAF only: each training user's rows of `train` (the natural clients). */
  users?: Array<{ id: string, rows: number[] }>
}

async function readText (file: string): Promise<string> {
  try { return await readFile(file, 'utf8') } catch (err) {
    throw new DataSourceError(file, 'unreadable', `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
}

async function leafFolder (dir: string, classes?: number): Promise<LeafFile[]> {
  let names: string[]
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory')
    names = (await readdir(dir)).filter(n => n.endsWith('.json')).sort()
  } catch (err) {
    throw new DataSourceError(dir, 'unreadable', `cannot read the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  if (names.length === 0) throw new DataSourceError(dir, 'empty', 'no .json files')
  const out: LeafFile[] = []
  for (const n of names) out.push(parseLeafJson(await readText(join(dir, n)), join(dir, n), classes != null ? { classes } : {}))
  return out
}

export async function loadDataSource (spec: DataSpec, opts: LoadOptions): Promise<LoadedData> {
  const testFraction = opts.testFraction ?? 0.2
  if (spec.kind === 'mnist') {
    const split = trainTestSplit(await loadMnist(), testFraction, createRng(opts.seed).fork('split'))
    return { name: 'mnist', ...split }
  }
  if (spec.kind === 'leaf') {
    const trainFiles = await leafFolder(join(spec.dir, 'train'))
    const testFiles = await leafFolder(join(spec.dir, 'test'))
    const classes = Math.max(leafClasses(trainFiles), leafClasses(testFiles))
    const train = leafDataset(trainFiles, classes)
    const test = leafDataset(testFiles, classes)
    if (test.dataset.dim !== train.dataset.dim) throw new DataSourceError(join(spec.dir, 'test'), 'ragged', `rows have ${test.dataset.dim} features where train/ has ${train.dataset.dim}`)
    return { name: `leaf:${spec.dir}`, train: train.dataset, test: test.dataset, users: train.users }
  }
  const label = opts.labelColumn != null ? { labelColumn: opts.labelColumn } : {}
  const all = parseCsv(await readText(spec.file), spec.file, label)
  if (spec.testFile != null) {
    const test = parseCsv(await readText(spec.testFile), spec.testFile, label)
    if (test.dim !== all.dim) throw new DataSourceError(spec.testFile, 'ragged', `rows have ${test.dim} features where ${spec.file} has ${all.dim}`)
    const classes = Math.max(all.classes, test.classes)
    return { name: `csv:${spec.file},${spec.testFile}`, train: { ...all, classes }, test: { ...test, classes } }
  }
  return { name: `csv:${spec.file}`, ...trainTestSplit(all, testFraction, createRng(opts.seed).fork('split')) }
}

/** The training rows of peer `index` of `count` (see the module doc). */
export function peerShard (data: LoadedData, index: number, count: number, spec: PartitionSpec, seed: number, maxTrain = 0): Dataset {
  return subset(data.train, peerRows(data, index, count, spec, seed, maxTrain))
}

/**
 * The rows of `data.train` that peer `index` of `count` trains on (`peerShard`), cut to `maxTrain`
 * of them when it holds more (a seeded sample; 0 = all): `novacron learn --shard i/n --max-train m`,
 * and `fl-sim --max-train m`'s client i, so the two train on the very same rows.
 */
export function peerRows (data: LoadedData, index: number, count: number, spec: PartitionSpec, seed: number, maxTrain = 0): number[] {
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(index) && index >= 0 && index < count)) throw new LearningConfigError(`shard must be <index>/<count> with 0 <= index < count (got ${index}/${count})`)
  const rows = data.users != null
    ? data.users.filter((_, j) => j % count === index).flatMap(u => u.rows)
    : partition(data.train, count, spec, createRng(seed).fork('partition'))[index]
  if (maxTrain <= 0 || rows.length <= maxTrain) return rows
  return shuffle(createRng(seed).fork(`max-train:${index}`), Array.from({ length: rows.length }, (_, k) => k)).slice(0, maxTrain).map(k => rows[k])
}

/** At most `maxTest` held-out rows, class-balanced and seeded (0 = all): `learn --max-test` and `fl-sim --max-test` alike. */
export function heldOut (data: LoadedData, seed: number, maxTest = 0): Dataset {
  return maxTest > 0 && data.test.n > maxTest ? balancedSample(data.test, Math.ceil(maxTest / data.test.classes), createRng(seed).fork('max-test')) : data.test
}
