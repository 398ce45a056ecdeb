/**
 * A CSV of numeric features and one integer label column, parsed into a `Dataset` (isomorphic:
 * text in). Comma-separated, one sample per line, no quoting (features are numbers); a first line
 * with any non-numeric field is a header, and then `labelColumn` may name a column. The label
 * column is the last one unless said otherwise. Every fault is a `DataSourceError` naming the file
 * and the line: a row with another column count (`ragged`), a feature that is not a finite number
 * (`number`), a label that is not an integer in range (`label`).
 */
import { DataSourceError } from '../errors.ts'
import type { Dataset } from '../data.ts'
import { checkLabel, MAX_CLASSES } from './leaf.ts'

export interface CsvOptions {
  /** Column index (0-based) or header name of the label. @default the last column */
  labelColumn?: number | string
  /** Labels must be below this. @default 256 */
  classes?: number
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

export function parseCsv (text: string, file: string, opts: CsvOptions = {}): Dataset {
  const lines = text.split(/\r?\n/)
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop()
  if (lines.length === 0) throw new DataSourceError(file, 'empty', 'no rows')
  const first = lines[0].split(',').map(s => s.trim())
  const header = first.some(f => !NUMBER.test(f)) ? first : null
  const cols = first.length
  if (cols < 2) throw new DataSourceError(file, 'structure', 'need at least one feature column and a label column')
  let label = cols - 1
  if (typeof opts.labelColumn === 'string') {
    const at = header?.indexOf(opts.labelColumn) ?? -1
    if (at < 0) throw new DataSourceError(file, 'structure', `no column named ${JSON.stringify(opts.labelColumn)} in the header${header == null ? ' (the file has no header line)' : ''}`)
    label = at
  } else if (opts.labelColumn != null) {
    if (!Number.isInteger(opts.labelColumn) || opts.labelColumn < 0 || opts.labelColumn >= cols) throw new DataSourceError(file, 'structure', `label column ${opts.labelColumn} is not one of the ${cols} columns`)
    label = opts.labelColumn
  }
  const classes = Math.min(opts.classes ?? MAX_CLASSES, MAX_CLASSES)
  const body = header != null ? lines.slice(1) : lines
  const start = header != null ? 2 : 1
  if (body.length === 0) throw new DataSourceError(file, 'empty', 'a header but no rows')
  const dim = cols - 1
  const x = new Float32Array(body.length * dim)
  const y = new Uint8Array(body.length)
  body.forEach((line, r) => {
    const where = `line ${r + start}`
    const fields = line.split(',')
    if (fields.length !== cols) throw new DataSourceError(file, 'ragged', `${where}: ${fields.length} columns where the first line has ${cols}`)
    let k = 0
    for (let c = 0; c < cols; c++) {
      const f = fields[c].trim()
      if (!NUMBER.test(f)) throw new DataSourceError(file, c === label ? 'label' : 'number', `${where} column ${c + 1}: ${JSON.stringify(f.slice(0, 40))} is not a number`)
      const v = Number(f)
      if (c === label) y[r] = checkLabel(v, classes, file, where)
      else x[r * dim + k++] = v
    }
  })
  let max = 0
  for (const v of y) if (v > max) max = v
  return { x, y, n: body.length, dim, classes: opts.classes ?? max + 1 }
}

/** Writes a dataset as CSV with a header `f0..f{dim-1},label` (the round trip of `parseCsv`). */
export function writeCsv (ds: Dataset): string {
  const head = [...Array.from({ length: ds.dim }, (_, i) => `f${i}`), 'label'].join(',')
  const rows = Array.from({ length: ds.n }, (_, r) => [...Array.from(ds.x.subarray(r * ds.dim, (r + 1) * ds.dim), v => String(v)), String(ds.y[r])].join(','))
  return [head, ...rows].join('\n') + '\n'
}
