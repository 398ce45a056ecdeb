/**
 * LEAF data files (the federated-benchmark convention of Caldas et al.): one JSON object per file,
 *
 *   { "users": [u, ...], "num_samples": [n, ...], "user_data": { u: { "x": [row, ...], "y": [label, ...] } } }
 *
 * where a row is an array of numbers (nested arrays, e.g. 28×28 images, are flattened row-major)
 * and a label an integer class. The users are the natural clients. Parsing is isomorphic (text in,
 * typed arrays out; the Node shell reads the `train/` and `test/` folders) and strict: every fault
 * is a `DataSourceError` naming the file, the user and the row, never a partial dataset.
 */
import { DataSourceError } from '../errors.ts'
import type { Dataset } from '../data.ts'

/** Largest class count a label may imply (labels are stored as bytes). */
export const MAX_CLASSES = 256

export interface LeafUser {
  id: string
  /** Row-major features, `n * dim` values. */
  x: Float32Array
  y: Uint8Array
  n: number
}

export interface LeafFile {
  file: string
  dim: number
  users: LeafUser[]
}

export interface LeafParseOptions {
  /** Labels must be below this (the model's class count when it is fixed). @default 256 */
  classes?: number
}

function flatten (row: unknown, out: number[], file: string, where: string): void {
  if (typeof row === 'number') {
    if (!Number.isFinite(row)) throw new DataSourceError(file, 'number', `${where}: ${String(row)} is not a finite number`)
    out.push(row)
    return
  }
  if (!Array.isArray(row)) throw new DataSourceError(file, 'number', `${where}: ${JSON.stringify(row)?.slice(0, 40) ?? String(row)} is not a number`)
  for (const v of row) flatten(v, out, file, where)
}

/** Checks a label and returns it: an integer in [0, classes). */
export function checkLabel (v: unknown, classes: number, file: string, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= classes) {
    throw new DataSourceError(file, 'label', `${where}: label ${JSON.stringify(v)} is out of range (integers 0..${classes - 1})`)
  }
  return v
}

/** Parses one LEAF JSON file (its text); `file` names it in errors. */
export function parseLeafJson (text: string, file: string, opts: LeafParseOptions = {}): LeafFile {
  const classes = Math.min(opts.classes ?? MAX_CLASSES, MAX_CLASSES)
  let doc: unknown
  try { doc = JSON.parse(text) } catch (err) {
    throw new DataSourceError(file, 'json', `not valid JSON (${err instanceof Error ? err.message : String(err)}); truncated?`)
  }
  if (doc == null || typeof doc !== 'object' || Array.isArray(doc)) throw new DataSourceError(file, 'structure', 'expected an object { users, num_samples, user_data }')
  const o = doc as Record<string, unknown>
  if (!Array.isArray(o.users) || !o.users.every(u => typeof u === 'string')) throw new DataSourceError(file, 'structure', '"users" must be an array of strings')
  const ids = o.users as string[]
  if (new Set(ids).size !== ids.length) throw new DataSourceError(file, 'structure', '"users" lists a user twice')
  const counts = o.num_samples
  if (counts !== undefined && (!Array.isArray(counts) || counts.length !== ids.length)) throw new DataSourceError(file, 'mismatch', '"num_samples" must have one count per user')
  const data = o.user_data
  if (data == null || typeof data !== 'object' || Array.isArray(data)) throw new DataSourceError(file, 'structure', '"user_data" must be an object keyed by user')
  const byUser = data as Record<string, unknown>
  let dim = -1
  const users: LeafUser[] = ids.map((id, u) => {
    const d = Object.hasOwn(byUser, id) ? byUser[id] : undefined
    if (d == null || typeof d !== 'object') throw new DataSourceError(file, 'structure', `user ${JSON.stringify(id)} has no entry in "user_data"`)
    const { x, y } = d as { x?: unknown, y?: unknown }
    if (!Array.isArray(x) || !Array.isArray(y)) throw new DataSourceError(file, 'structure', `user ${JSON.stringify(id)}: "x" and "y" must be arrays`)
    if (x.length !== y.length) throw new DataSourceError(file, 'mismatch', `user ${JSON.stringify(id)}: ${x.length} rows in "x" but ${y.length} labels in "y"`)
    if (counts !== undefined && (counts as unknown[])[u] !== x.length) throw new DataSourceError(file, 'mismatch', `user ${JSON.stringify(id)}: num_samples says ${JSON.stringify((counts as unknown[])[u])} but "x" has ${x.length} rows`)
    const flat: number[] = []
    const labels = new Uint8Array(x.length)
    for (let r = 0; r < x.length; r++) {
      const where = `user ${JSON.stringify(id)} row ${r}`
      const before = flat.length
      flatten(x[r], flat, file, where)
      const len = flat.length - before
      if (dim < 0) dim = len
      if (len !== dim || len === 0) throw new DataSourceError(file, 'ragged', `${where}: ${len} features where earlier rows have ${dim}`)
      labels[r] = checkLabel(y[r], classes, file, where)
    }
    return { id, x: Float32Array.from(flat), y: labels, n: x.length }
  })
  if (dim < 0) throw new DataSourceError(file, 'empty', 'no samples')
  return { file, dim, users }
}

/** Writes users as LEAF JSON (the round trip of `parseLeafJson`; flat rows). */
export function writeLeafJson (users: readonly LeafUser[], dim: number): string {
  const userData: Record<string, { x: number[][], y: number[] }> = {}
  for (const u of users) {
    userData[u.id] = {
      x: Array.from({ length: u.n }, (_, r) => Array.from(u.x.subarray(r * dim, (r + 1) * dim))),
      y: Array.from(u.y)
    }
  }
  return JSON.stringify({ users: users.map(u => u.id), num_samples: users.map(u => u.n), user_data: userData })
}

/**
 * Joins the users of several files (of one folder) into one dataset: rows in file order, then user
 * order. `classes` is the label count (max label + 1 over every file given, unless fixed).
 */
export function leafDataset (files: readonly LeafFile[], classes: number): { dataset: Dataset, users: Array<{ id: string, rows: number[] }> } {
  if (files.length === 0) throw new DataSourceError('(no files)', 'empty', 'no LEAF JSON files')
  const dim = files[0].dim
  for (const f of files) if (f.dim !== dim) throw new DataSourceError(f.file, 'ragged', `rows have ${f.dim} features where ${files[0].file} has ${dim}`)
  const all = files.flatMap(f => f.users)
  const n = all.reduce((s, u) => s + u.n, 0)
  const x = new Float32Array(n * dim)
  const y = new Uint8Array(n)
  const users: Array<{ id: string, rows: number[] }> = []
  let row = 0
  for (const u of all) {
    x.set(u.x, row * dim)
    y.set(u.y, row)
    users.push({ id: u.id, rows: Array.from({ length: u.n }, (_, i) => row + i) })
    row += u.n
  }
  return { dataset: { x, y, n, dim, classes }, users }
}

/** Max label + 1 over files (the class count a LEAF folder implies). */
export function leafClasses (files: readonly LeafFile[]): number {
  let max = -1
  for (const f of files) for (const u of f.users) for (const v of u.y) if (v > max) max = v
  return max + 1
}
