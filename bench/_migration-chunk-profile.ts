/**
 * Scratch (issue 20): where a migration's per-chunk time goes on one main thread, as in the
 * `migration` bench. A full memory delta of `--mib` MiB of random bytes (as the worker's dirty
 * tracking posts it) through the source's planner (`apply`), the `chunks` requests written in
 * place (chunk-batch.ts), the target's decode and placement into its image (chunk-image.ts), then
 * the snapshot digest on both sides; each step timed alone. `--rounds 2` runs the same memory
 * twice (a second round writes pages already touched); `--webcrypto` hashes as a tab does.
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/_migration-chunk-profile.ts --mib 64 [--cb 4096]
 */
import { createHash } from 'node:crypto'
import { loadavg } from 'node:os'
import { initCoreWasm, xxh64 } from '../core-wasm/index.ts'
import { ChunkBatchWriter, type BatchChunk } from '../core/migration/chunk-batch.ts'
import { ChunkImage } from '../core/migration/chunk-image.ts'
import { snapshotDigestOf } from '../core/migration/digest.ts'
import { PreCopySender } from '../core/migration/precopy.ts'
import { decodeRequest } from '../core/migration/protocol-codec.ts'
import type { MemoryDelta } from '../core/jobs/worker-protocol.ts'

const argv = process.argv.slice(2)
const arg = (name: string, dflt: number): number => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : dflt }
const MIB = arg('mib', 64)
const ROUNDS = arg('rounds', 1)
const sha256 = argv.includes('--webcrypto') ? undefined : (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest()
await initCoreWasm()
const CB = arg('cb', 8192)
const size = MIB * 1024 * 1024
const n = size / CB
const t = (): number => performance.now()
const per = (ms: number): string => `${ms.toFixed(0)} ms (${(ms * 1000 / n).toFixed(1)} µs/chunk)`
const image = new ChunkImage(size, [], sha256, CB)
const writer = new ChunkBatchWriter()
let x = 0x12345678
for (let round = 0; round < ROUNDS; round++) {
  const mem = new Uint8Array(size)
  for (let i = 0; i < size; i += 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; new DataView(mem.buffer).setUint32(i, x >>> 0, true) }
  let t0 = t()
  const hashes = new BigUint64Array(n)
  for (let i = 0; i < n; i++) hashes[i] = xxh64(mem.subarray(i * CB, (i + 1) * CB))
  const hashMs = t() - t0
  const delta: MemoryDelta = { memoryBytes: size, chunkBytes: CB, full: true, indices: Uint32Array.from({ length: n }, (_, i) => i), hashes, bytes: mem }
  t0 = t()
  const sender = new PreCopySender({ sha256 })
  const plan = sender.apply(delta)
  const applyMs = t() - t0
  const batch: BatchChunk[] = [...plan.send].map(([hash, chunk]) => ({ index: plan.index.get(hash) ?? 0, hash, chunk }))
  let writeMs = 0
  let decodeMs = 0
  let placeMs = 0
  for (let i = 0; i < batch.length; i += 64) {
    t0 = t()
    const req = writer.write('p', batch.slice(i, i + 64))
    writeMs += t() - t0
    t0 = t()
    const d = decodeRequest(req)
    decodeMs += t() - t0
    t0 = t()
    if (d.type === 'chunks') for (const c of d.chunks) image.place(c.index, c.frame)
    placeMs += t() - t0
  }
  const meta = new Uint8Array(16)
  t0 = t()
  if (image.resolve(plan.recipe).length > 0) throw new Error('chunks missing')
  const a = await snapshotDigestOf(meta, plan.recipe.chunks, sender.digests)
  const b = await image.digest(meta, plan.recipe.chunks)
  const digestMs = t() - t0
  if (a !== b) throw new Error('digests differ')
  const total = applyMs + writeMs + decodeMs + placeMs + digestMs
  console.log(JSON.stringify({ mib: MIB, round, load: loadavg().map(v => v.toFixed(1)) }))
  console.log(`worker-side xxh64 ${per(hashMs)}; apply ${per(applyMs)}; requests written ${per(writeMs)}; decode ${per(decodeMs)}; placed ${per(placeMs)}; resolve + digests (both) ${per(digestMs)}`)
  console.log(`total main-thread chunk path ${per(total)} → ${(size / 1e6 / (total / 1000)).toFixed(1)} MB/s`)
}
