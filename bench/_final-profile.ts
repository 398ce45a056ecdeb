// Scratch (issue 20): what a 256 MiB migration's `final` costs, piece by piece (32,768 chunk names).
import { createHash } from 'node:crypto'
import { initCoreWasm, xxh64Hex } from '../core-wasm/index.ts'
import { ChunkImage } from '../core/migration/chunk-image.ts'
import { ChunkDigests, snapshotDigestOf } from '../core/migration/digest.ts'
import { decodeRequest, encodeRequest } from '../core/migration/protocol-codec.ts'
import { encodeChunkFrame } from '../core/migration/chunk-batch.ts'
await initCoreWasm()
const sha256 = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest()
const n = 32768
const chunk = new Uint8Array(8192).fill(5)
const name = xxh64Hex(chunk)
const image = new ChunkImage(n * 8192, [], sha256)
const frame = encodeChunkFrame(name, chunk)
for (let i = 0; i < n; i++) image.place(i, frame)
const recipe = { totalLength: n * 8192, chunks: Array.from({ length: n }, () => ({ hash: name, length: 8192 })) }
const digests = new ChunkDigests(sha256)
digests.add(name, chunk)
const meta = new Uint8Array(200)
let t0 = performance.now()
const d = await snapshotDigestOf(meta, recipe.chunks, digests)
const srcDigest = performance.now() - t0
t0 = performance.now()
const bytes = encodeRequest({ type: 'final', id: 'x', meta, recipe, sha256: d })
const enc = performance.now() - t0
t0 = performance.now()
const req = decodeRequest(bytes)
const dec = performance.now() - t0
t0 = performance.now()
if (req.type !== 'final' || image.resolve(req.recipe).length > 0) throw new Error('?')
const res = performance.now() - t0
t0 = performance.now()
const d2 = await image.digest(meta, req.recipe.chunks)
const dig = performance.now() - t0
if (d2 !== d) throw new Error('digest')
console.log({ srcDigest, enc, dec, res, dig })
