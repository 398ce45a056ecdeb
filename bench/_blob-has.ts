/**
 * `BlobService.has` on a 64 MiB blob (a live peer's checkpoint cap) in a memory store, side by side
 * in one process: before (the old answer: assemble the whole blob and check its SHA-256), after
 * (the manifest and the chunk index), and `verify` (every chunk read, SHA-256 streamed). Writes
 * bench/results/blob-has.json.  Run: `npx tsx bench/_blob-has.ts`.
 */
import os from 'node:os'
import { initCoreWasm } from '../core-wasm/index.ts'
import { assemble, createBlobService, MemoryBlobStore, type BlobComponents } from '../core/blobs/index.ts'
import { seededBytes } from '../test/_support/seeded-bytes.ts'
import { median, timeRuns, writeResult } from './_results.ts'

await initCoreWasm()
const store = new MemoryBlobStore()
const service = createBlobService({} as unknown as BlobComponents, { store })
const bytes = 64 * 1024 * 1024
const m = service.put(seededBytes(bytes, 7))
const before = (): boolean => {
  const mf = store.getManifest(m.id)
  if (mf == null || !mf.chunks.every(c => store.hasChunk(c.hash))) return false
  return assemble(mf, h => store.getChunk(h)) != null
}
const runs = 7
const load = os.loadavg()
const rows = {
  beforeAssembleAndHashMs: await timeRuns(runs, () => { if (!before()) throw new Error('before: not held') }),
  afterIndexMs: await timeRuns(runs, () => { if (!service.has(m.id)) throw new Error('after: not held') }),
  verifyStreamedMs: await timeRuns(runs, () => { if (!service.verify(m.id)) throw new Error('verify: not intact') })
}
const result = {
  blobBytes: bytes,
  chunks: m.chunks.length,
  runs,
  loadavgAtStart: load,
  loadavgAtEnd: os.loadavg(),
  median: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, Number(median(v).toFixed(3))])),
  runsMs: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, v.map(x => Number(x.toFixed(3)))]))
}
console.log(JSON.stringify(result, null, 2))
console.log(writeResult('blob-has', result))
