/**
 * Labelled datasets as flat typed arrays, the deterministic train/test split, and the partitions
 * of a training set across clients: IID, Dirichlet(α) label skew, and "shards" label skew (each
 * client holds `k` labels). Everything is a pure function of the data and a seeded `Rng`, so the
 * same seed gives every client the same samples on every platform.
 */
import { LearningConfigError } from './errors.ts'
import { dirichlet, shuffle, type Rng } from './rng.ts'

export interface Dataset {
  /** Row-major features, `n * dim` values. */
  x: Float32Array
  /** Class label of each row, `0 .. classes-1`. */
  y: Uint8Array
  n: number
  dim: number
  classes: number
}

/**
 * Builds a dataset from one flat array of `dim`-value rows per label (label = array index), in
 * label order: how the `mnist` package ships its digits, read from disk in Node or fetched in a tab.
 */
export function datasetFromLabelRows (rowsByLabel: ArrayLike<number>[], dim: number): Dataset {
  const n = rowsByLabel.reduce((sum, rows) => sum + rows.length / dim, 0)
  const x = new Float32Array(n * dim)
  const y = new Uint8Array(n)
  let row = 0
  rowsByLabel.forEach((rows, label) => {
    x.set(rows, row * dim)
    y.fill(label, row, row + rows.length / dim)
    row += rows.length / dim
  })
  return { x, y, n, dim, classes: rowsByLabel.length }
}

export type PartitionSpec =
  | { kind: 'iid' }
  | { kind: 'dirichlet', alpha: number }
  | { kind: 'shards', labelsPerClient: number }

/** Parses `iid`, `dirichlet:0.5`, `shards:2` (the CLI's `--partition`). */
export function parsePartition (text: string): PartitionSpec {
  const [kind, arg] = text.split(':')
  if (kind === 'iid' && arg === undefined) return { kind: 'iid' }
  const v = Number(arg)
  if (kind === 'dirichlet' && arg !== undefined && Number.isFinite(v) && v > 0) return { kind: 'dirichlet', alpha: v }
  if (kind === 'shards' && arg !== undefined && Number.isInteger(v) && v >= 1) return { kind: 'shards', labelsPerClient: v }
  throw new LearningConfigError(`partition must be iid, dirichlet:<alpha > 0> or shards:<labels >= 1> (got '${text}')`)
}

/** Rows `idx` of `ds` as a new dataset (copies). */
export function subset (ds: Dataset, idx: ArrayLike<number>): Dataset {
  const x = new Float32Array(idx.length * ds.dim)
  const y = new Uint8Array(idx.length)
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r]
    x.set(ds.x.subarray(i * ds.dim, (i + 1) * ds.dim), r * ds.dim)
    y[r] = ds.y[i]
  }
  return { x, y, n: idx.length, dim: ds.dim, classes: ds.classes }
}

/**
 * Stratified deterministic split: within each class the rows are shuffled with `rng` and the first
 * `testFraction` go to the test set, so both sets keep the class balance of the source.
 */
export function trainTestSplit (ds: Dataset, testFraction: number, rng: Rng): { train: Dataset, test: Dataset } {
  if (!(testFraction > 0 && testFraction < 1)) throw new LearningConfigError(`testFraction must be in (0, 1) (got ${testFraction})`)
  const train: number[] = []
  const test: number[] = []
  for (const rows of byClass(ds)) {
    shuffle(rng, rows)
    const cut = Math.round(rows.length * testFraction)
    test.push(...rows.slice(0, cut))
    train.push(...rows.slice(cut))
  }
  return { train: subset(ds, shuffle(rng, train)), test: subset(ds, shuffle(rng, test)) }
}

/** Takes `perClass` rows of every class (or all of a class if it has fewer), deterministically. */
export function balancedSample (ds: Dataset, perClass: number, rng: Rng): Dataset {
  const idx: number[] = []
  for (const rows of byClass(ds)) idx.push(...shuffle(rng, rows).slice(0, perClass))
  return subset(ds, shuffle(rng, idx))
}

function byClass (ds: Dataset): number[][] {
  const rows: number[][] = Array.from({ length: ds.classes }, () => [])
  for (let i = 0; i < ds.n; i++) rows[ds.y[i]].push(i)
  return rows
}

/** Splits row indices of `ds` across `clients` per `spec`; every row goes to exactly one client. */
export function partition (ds: Dataset, clients: number, spec: PartitionSpec, rng: Rng): number[][] {
  if (!Number.isInteger(clients) || clients < 1) throw new LearningConfigError(`clients must be a positive integer (got ${clients})`)
  const out: number[][] = Array.from({ length: clients }, () => [])
  if (spec.kind === 'iid') {
    const all = shuffle(rng, Array.from({ length: ds.n }, (_, i) => i))
    all.forEach((row, j) => out[j % clients].push(row))
    return out
  }
  const classes = byClass(ds).map(rows => shuffle(rng, rows))
  if (spec.kind === 'dirichlet') {
    // Per class, draw client proportions p ~ Dir(α) and cut the class's rows at the cumulative sums.
    for (const rows of classes) {
      const p = dirichlet(rng, spec.alpha, clients)
      let start = 0
      let acc = 0
      for (let c = 0; c < clients; c++) {
        acc += p[c]
        const end = c === clients - 1 ? rows.length : Math.round(acc * rows.length)
        out[c].push(...rows.slice(start, end))
        start = end
      }
    }
  } else {
    // Shards: each class is cut into equal shards; client c takes labelsPerClient shards of
    // distinct classes, assigned round-robin over a seeded class order.
    const k = Math.min(spec.labelsPerClient, ds.classes)
    const owners: number[][] = Array.from({ length: ds.classes }, () => [])
    const order = shuffle(rng, Array.from({ length: ds.classes }, (_, i) => i))
    let pos = 0
    for (let c = 0; c < clients; c++) {
      for (let j = 0; j < k; j++) owners[order[(pos++) % ds.classes]].push(c)
    }
    classes.forEach((rows, label) => {
      const who = owners[label]
      if (who.length === 0) return
      who.forEach((c, s) => out[c].push(...rows.slice(Math.floor(s * rows.length / who.length), Math.floor((s + 1) * rows.length / who.length))))
    })
  }
  return out.map(rows => shuffle(rng, rows))
}

/** Label histogram (counts) of the rows `idx` of `ds`. */
export function labelHistogram (ds: Dataset, idx?: ArrayLike<number>): number[] {
  const h = new Array<number>(ds.classes).fill(0)
  if (idx == null) for (let i = 0; i < ds.n; i++) h[ds.y[i]]++
  else for (let r = 0; r < idx.length; r++) h[ds.y[idx[r]]]++
  return h
}

/**
 * Copies the side×side image `src` into `out` shifted by (dx, dy) pixels (right and down when
 * positive), zero fill: the training-time augmentation of `TrainOptions.augmentShift`.
 */
export function shiftImage (src: Float32Array, out: Float32Array, side: number, dx: number, dy: number): void {
  if (src.length !== side * side || out.length !== side * side) throw new RangeError(`shiftImage: expected ${side * side} pixels (got ${src.length}, ${out.length})`)
  out.fill(0)
  for (let r = Math.max(0, dy); r < Math.min(side, side + dy); r++) {
    const from = (r - dy) * side
    const c0 = Math.max(0, dx)
    const c1 = Math.min(side, side + dx)
    out.set(src.subarray(from + c0 - dx, from + c1 - dx), r * side + c0)
  }
}
