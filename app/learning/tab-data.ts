/**
 * What a tab trains on in mesh training — no network at run time beyond the page's own server:
 *
 *   sample            the first `perLabel` bundled digits of every label, split 75/25 by the
 *                     task's seed and this tab's peer id (the panel's quick default)
 *   mnist  <i>/<n>    shard i of n of all 10,000 bundled digits, split and partitioned exactly as
 *                     `novacron learn --data mnist --shard i/n --seed s` does (80/20 stratified
 *                     split, Dirichlet(0.5) partition by the seed): a tab and Node peers can take
 *                     disjoint shards of one partition
 *   file              a file the user picked: CSV (features, then the label column last, as
 *                     `--data csv:<file>`) or a LEAF JSON file (every user's rows), split 80/20
 *                     by the seed; the model's input size and classes follow the data
 *
 * Pure over its inputs (the digits are fetched by the caller: mnist.ts), so Node tests check it
 * against node-runtime's data sources. A malformed file is core/learning's `DataSourceError`
 * naming the file.
 */
import { createRng, partition, subset, trainTestSplit, type Dataset } from '../../core/learning/index.ts'
import { parseCsv } from '../../core/learning/sources/csv.ts'
import { leafClasses, leafDataset, parseLeafJson } from '../../core/learning/sources/leaf.ts'

export type TabData =
  | { kind: 'sample', perLabel: number }
  | { kind: 'mnist', index: number, count: number }
  | { kind: 'file', name: string, text: string }

export interface TabDataset { train: Dataset, test: Dataset, name: string }

/** The rows of `data` for a tab with `peerId` in a task seeded by `seed`; `digits` = the bundled digits in label order (all, or at least `perLabel` of each for `sample`). */
export function tabDataset (data: TabData, seed: number, peerId: string, digits: () => Dataset): TabDataset {
  if (data.kind === 'sample') {
    const { train, test } = trainTestSplit(digits(), 0.25, createRng(seed).fork(`tab:${peerId}`))
    return { train, test, name: `${data.perLabel} bundled digits per label` }
  }
  if (data.kind === 'mnist') {
    if (!(Number.isInteger(data.count) && data.count >= 1 && Number.isInteger(data.index) && data.index >= 0 && data.index < data.count)) throw new RangeError(`shard must be <index>/<count> with 0 <= index < count (got ${data.index}/${data.count})`)
    // node-runtime/learning/data-source.ts: loadDataSource('mnist') then peerShard(dirichlet 0.5)
    const split = trainTestSplit(digits(), 0.2, createRng(seed).fork('split'))
    const parts = partition(split.train, data.count, { kind: 'dirichlet', alpha: 0.5 }, createRng(seed).fork('partition'))
    return { train: subset(split.train, parts[data.index]), test: split.test, name: `mnist shard ${data.index}/${data.count}` }
  }
  let all: Dataset
  if (/\.json$/i.test(data.name)) {
    const file = parseLeafJson(data.text, data.name)
    all = leafDataset([file], leafClasses([file])).dataset
  } else {
    all = parseCsv(data.text, data.name)
  }
  const split = trainTestSplit(all, 0.2, createRng(seed).fork('split'))
  return { ...split, name: data.name }
}

/** Parses the panel's shard text `i/n`, or null. */
export function parseShard (text: string): { index: number, count: number } | null {
  const m = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(text)
  if (m == null) return null
  const index = Number(m[1])
  const count = Number(m[2])
  return count >= 1 && index < count ? { index, count } : null
}
