/**
 * Scratch (issue 20): where a migration's per-chunk time goes on one main thread, as in the
 * `migration` bench. A full memory delta of `--mib` MiB of random bytes (as the worker's dirty
 * tracking posts it) through the source's planner (`apply`), chunk frames, `chunks` requests,
 * the target's decode and accept, then the snapshot digest on both sides; each step timed alone.
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/_migration-chunk-profile.ts --mib 64
 */
import { createHash } from 'node:crypto'
import { loadavg } from 'node:os'
import { initCoreWasm, xxh64 } from '../core-wasm/index.ts'
import { snapshotDigestOf } from '../core/migration/digest.ts'
import { encodeChunkFrame, PreCopyReceiver, PreCopySender } from '../core/migration/precopy.ts'
import { decodeRequest, encodeRequest } from '../core/migration/protocol-codec.ts'
import type { MemoryDelta } from '../core/jobs/worker-protocol.ts'

const argv = process.argv.slice(2)
const MIB = Number(argv[argv.indexOf('--mib') + 1] ?? 64) || 64
/** `--webcrypto`: chunk digests through crypto.subtle (a tab's), not node:crypto */
const sha256 = argv.includes('--webcrypto') ? undefined : (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest()
await initCoreWasm()
const CB = 8192
const size = MIB * 1024 * 1024
const mem = new Uint8Array(size)
let x = 0x12345678
for (let i = 0; i < size; i += 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; new DataView(mem.buffer).setUint32(i, x >>> 0, true) }
const n = size / CB
const t = (): number => performance.now()
let t0 = t()
const hashes = new BigUint64Array(n)
for (let i = 0; i < n; i++) hashes[i] = xxh64(mem.subarray(i * CB, (i + 1) * CB))
const hashMs = t() - t0
const delta: MemoryDelta = { memoryBytes: size, chunkBytes: CB, full: true, indices: Uint32Array.from({ length: n }, (_, i) => i), hashes, bytes: mem }
t0 = t()
const sender = new PreCopySender({ sha256 })
const plan = sender.apply(delta)
const applyMs = t() - t0
const entries = [...plan.send]
const framesAll: Uint8Array[] = []
t0 = t()
for (const [h, c] of entries) framesAll.push(encodeChunkFrame(h, c))
const frameMs = t() - t0
t0 = t()
const reqs: Uint8Array[] = []
for (let i = 0; i < framesAll.length; i += 64) reqs.push(encodeRequest({ type: 'chunks', id: 'p', frames: framesAll.slice(i, i + 64) }))
const requestMs = t() - t0
t0 = t()
const decoded = reqs.map(r => decodeRequest(r))
const decodeMs = t() - t0
const receiver = new PreCopyReceiver([], sha256)
t0 = t()
for (const d of decoded) if (d.type === 'chunks') for (const f of d.frames) receiver.accept(f)
const acceptMs = t() - t0
const meta = new Uint8Array(16)
t0 = t()
const a = await snapshotDigestOf(meta, plan.recipe.chunks, sender.digests)
const b = await snapshotDigestOf(meta, plan.recipe.chunks, receiver.digests)
const digestMs = t() - t0
if (a !== b) throw new Error('digests differ')
const per = (ms: number): string => `${ms.toFixed(0)} ms (${(ms * 1000 / n).toFixed(1)} µs/chunk)`
console.log(JSON.stringify({ mib: MIB, load: loadavg().map(v => v.toFixed(1)) }))
console.log(`worker-side xxh64 ${per(hashMs)}; apply ${per(applyMs)}; frames ${per(frameMs)}; requests ${per(requestMs)}; decode ${per(decodeMs)}; accept ${per(acceptMs)}; digests (both, awaited) ${per(digestMs)}`)
console.log(`total main-thread chunk path ${per(applyMs + frameMs + requestMs + decodeMs + acceptMs + digestMs)} → ${(size / 1e6 / ((applyMs + frameMs + requestMs + decodeMs + acceptMs + digestMs) / 1000)).toFixed(1)} MB/s`)
