/**
 * `npm run bench -- compression`: the WASM LZ4 core against lz4js and fflate (level 1) in this
 * process and the native `lz4` CLI (`lz4 -b1`, `lz4 -b9`), on one deterministic 64 MiB mixed corpus
 * (text, JSON, source code, binary records, zero runs, random bytes), plus: the level-9 mode, WASM
 * memory after streaming 256 MiB, dedup savings on the corpus after a 5% change, and quorum-solve
 * time. Decompression is measured four ways against lz4js doing the same kind of work (fresh
 * output or a reused one, with or without the content checksum), plus the fresh-output pair again
 * in a child process with huge pages for malloc, and the page-fault cost of a fresh 64 MiB buffer.
 * Codecs are timed interleaved, run by run, with wall and CPU time; writes
 * bench/results/compression.json with the load average. Ratios between libraries in the same run
 * are the numbers that matter on a shared machine.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { deflateSync, inflateSync } from 'fflate'
import {
  compressFrame, createDelta, chunkData, decompressFrame, decompressFrameInto, initCoreWasm, Lz4FrameDecoder,
  Lz4FrameEncoder, solveQuorum, wasmMemoryBytes
} from '../core-wasm/index.ts'
import { median, timeRuns, writeResult } from './_results.ts'

const MiB = 1 << 20
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
/** Decompression is cheap next to compression (lz4js and fflate take seconds): more runs, steadier medians. */
const DECOMPRESS_RUNS = Number(process.env.BENCH_DECOMPRESS_RUNS ?? 11)

/** xorshift32: the corpus is the same on every machine and every run. */
function rng (seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296 }
}

const WORDS = ('the of and to in is that for it as with was on be by this are or from at which an but not have ' +
  'mesh peer block frame quorum replica commit prepare view leader chunk snapshot model weight gradient ' +
  'browser node relay signal stream protocol message byzantine fault tolerant consensus sample verify').split(' ')

export function corpus (size: number): Uint8Array {
  const r = rng(20261122)
  const out = new Uint8Array(size)
  const enc = new TextEncoder()
  const source = readFileSync(new URL('../node_modules/typescript/lib/typescript.js', import.meta.url))
  let off = 0
  let kind = 0
  let srcOff = 0
  const put = (b: Uint8Array): void => { const n = Math.min(b.length, size - off); out.set(b.subarray(0, n), off); off += n }
  while (off < size) {
    const seg = 256 * 1024
    const end = Math.min(size, off + seg)
    switch (kind++ % 8) {
      case 0: case 1: { // text: 16/64
        let s = ''
        while (s.length < seg) {
          const n = 6 + Math.floor(r() * 14)
          const words = Array.from({ length: n }, () => WORDS[Math.floor(r() * r() * WORDS.length)])
          s += words.join(' ') + (r() < 0.2 ? '.\n' : '. ')
        }
        put(enc.encode(s).subarray(0, end - off)); break
      }
      case 2: case 6: { // JSON records: 16/64
        let s = ''
        for (let i = 0; s.length < seg; i++) {
          s += JSON.stringify({ id: Math.floor(r() * 1e6), peer: `12D3KooW${Math.floor(r() * 1e9).toString(36)}`, view: Math.floor(r() * 500), ok: r() < 0.9, latencyMs: Math.round(r() * 2000) / 10, tags: [WORDS[Math.floor(r() * WORDS.length)], WORDS[Math.floor(r() * WORDS.length)]] }) + ',\n'
        }
        put(enc.encode(s).subarray(0, end - off)); break
      }
      case 3: { // source code: 8/64
        if (srcOff + seg > source.length) srcOff = 0
        put(source.subarray(srcOff, srcOff + (end - off))); srcOff += seg; break
      }
      case 4: { // binary: little-endian records with slowly varying fields, and float32 weights: 8/64
        const b = new DataView(new ArrayBuffer(end - off))
        let t = Math.floor(r() * 1e6)
        for (let i = 0; i + 16 <= b.byteLength; i += 16) {
          t += Math.floor(r() * 4)
          b.setUint32(i, t, true); b.setUint16(i + 4, Math.floor(r() * 8), true); b.setUint16(i + 6, 0x00ff, true)
          b.setFloat32(i + 8, Math.sin(i / 4096) * 3, true); b.setFloat32(i + 12, (r() - 0.5) * 0.1, true)
        }
        put(new Uint8Array(b.buffer)); break
      }
      case 5: { // zero runs with small islands: 8/64
        const z = new Uint8Array(end - off)
        for (let i = 0; i < z.length; i += 4096 + Math.floor(r() * 8192)) z[i] = Math.floor(r() * 256)
        put(z); break
      }
      default: { // random bytes: 8/64
        const z = new Uint8Array(end - off)
        for (let i = 0; i < z.length; i++) z[i] = Math.floor(r() * 256)
        put(z)
      }
    }
  }
  return out
}

interface Codec {
  name: string
  compress: (d: Uint8Array) => Uint8Array
  decompress: (c: Uint8Array, n: number) => Uint8Array
  /** false: same compressor as another row; compress once for its input, do not time it again */
  timeCompress?: boolean
}

/** A decoder writing into one reused output buffer: the same for both (lz4js.decompressFrame(src, dst)). */
function intoReused (name: string, compress: (d: Uint8Array) => Uint8Array, into: (c: Uint8Array, out: Uint8Array) => number): Codec {
  let out = new Uint8Array(0)
  return {
    name,
    compress,
    timeCompress: false,
    decompress: (c, n) => {
      if (out.length < n) out = new Uint8Array(n).fill(0)
      return out.subarray(0, into(c, out))
    }
  }
}

async function lz4jsModule (): Promise<Lz4js> {
  const name: string = 'lz4js' // untyped package: import through a string so tsc does not resolve it
  return await import(name) as Lz4js
}

async function lz4jsCodec (): Promise<Codec> {
  const name: string = 'lz4js'
  const lz4js = await import(name) as Lz4js
  return { name: 'lz4js', compress: d => lz4js.compress(d), decompress: (c, n) => lz4js.decompress(c, n) }
}

interface Lz4js { compress: (d: Uint8Array) => Uint8Array, decompress: (c: Uint8Array, max?: number) => Uint8Array, decompressFrame: (src: Uint8Array, dst: Uint8Array) => number }

/** Wall and CPU milliseconds per run: on a shared machine CPU time is the steadier measure. */
function timeBoth (runs: number, fn: () => void): { wall: number[], cpu: number[] } {
  const wall: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    fn()
    wall.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
  }
  return { wall, cpu }
}

/**
 * Times every codec, interleaved run by run (A B C, A B C, ...) so that all of them see the same
 * background load on a shared machine; reports medians.
 */
function measureAll (codecs: Codec[], data: Uint8Array, runs = RUNS, decompressRuns = Math.max(runs, DECOMPRESS_RUNS)): Record<string, Record<string, number>> {
  const packed = new Map<string, Uint8Array>()
  const times = new Map<string, { c: { wall: number[], cpu: number[] }, d: { wall: number[], cpu: number[] } }>()
  for (const codec of codecs) {
    const p = codec.compress(data)
    const back = codec.decompress(p, data.length)
    if (back.length !== data.length || Buffer.compare(Buffer.from(back.buffer, back.byteOffset, back.length), Buffer.from(data.buffer, data.byteOffset, data.length)) !== 0) {
      throw new Error(`${codec.name}: round trip failed`)
    }
    packed.set(codec.name, p)
    times.set(codec.name, { c: { wall: [], cpu: [] }, d: { wall: [], cpu: [] } })
  }
  for (let r = 0; r < decompressRuns; r++) {
    for (const codec of codecs) {
      const t = times.get(codec.name)!
      const c = codec.timeCompress === false || r >= runs ? { wall: [], cpu: [] } : timeBoth(1, () => { codec.compress(data) })
      const p = packed.get(codec.name)!
      const d = timeBoth(1, () => { codec.decompress(p, data.length) })
      t.c.wall.push(...c.wall); t.c.cpu.push(...c.cpu); t.d.wall.push(...d.wall); t.d.cpu.push(...d.cpu)
    }
  }
  const mb = data.length / 1e6
  const out: Record<string, Record<string, number>> = {}
  for (const codec of codecs) {
    const t = times.get(codec.name)!
    out[codec.name] = {
      compressMBps: mb / (median(t.c.wall) / 1000),
      decompressMBps: mb / (median(t.d.wall) / 1000),
      compressMBpsCpu: mb / (median(t.c.cpu) / 1000),
      decompressMBpsCpu: mb / (median(t.d.cpu) / 1000),
      ratio: data.length / packed.get(codec.name)!.length,
      compressedBytes: packed.get(codec.name)!.length
    }
  }
  return out
}

/**
 * What a fresh output buffer costs by itself on this machine: copying the corpus into a new
 * buffer (first touch of every page) against copying it into one that is already mapped.
 */
function pageFaultCost (data: Uint8Array): Record<string, number> {
  const reused = new Uint8Array(data.length).fill(1)
  const fresh = timeBoth(DECOMPRESS_RUNS, () => { new Uint8Array(data.length).set(data) })
  const warm = timeBoth(DECOMPRESS_RUNS, () => { reused.set(data) })
  return { freshCopyMsCpu: median(fresh.cpu), reusedCopyMsCpu: median(warm.cpu), freshCopyMsWall: median(fresh.wall), reusedCopyMsWall: median(warm.wall) }
}

function nativeLz4 (file: string, level = 1): Record<string, number> | { error: string } {
  const probe = spawnSync('lz4', ['--version'])
  if (probe.error != null) return { error: 'lz4 CLI not found' }
  const r = spawnSync('lz4', [`-b${level}`, level > 1 ? '-i1' : '-i3', file], { encoding: 'utf8' })
  const text = `${r.stdout}${r.stderr}`
  const all = [...text.matchAll(/\(\s*([\d.]+)\)\s*,\s*([\d.]+) MB\/s\s*,\s*([\d.]+) MB\/s/g)]
  const last = all.at(-1)
  if (last == null) return { error: `could not parse lz4 -b${level} output: ${text.slice(-200)}` }
  const frameBytes = execFileSync('lz4', [`-${level}`, '-c', file], { maxBuffer: 1 << 30 }).length
  return { compressMBps: Number(last[2]), decompressMBps: Number(last[3]), ratio: Number(last[1]), frameRatio: readFileSync(file).length / frameBytes }
}

function streamMemory (total: number): Record<string, number> {
  const piece = new Uint8Array(1 * MiB)
  const r = rng(7)
  for (let i = 0; i < piece.length; i++) piece[i] = r() < 0.5 ? 0 : Math.floor(r() * 256)
  const before = wasmMemoryBytes()
  const enc = new Lz4FrameEncoder({ level: 1 })
  const dec = new Lz4FrameDecoder()
  let compressed = 0
  let restored = 0
  const t0 = performance.now()
  for (let done = 0; done < total; done += piece.length) {
    for (const c of enc.push(piece)) { compressed += c.length; for (const o of dec.push(c)) restored += o.length }
  }
  for (const c of enc.finish()) { compressed += c.length; for (const o of dec.push(c)) restored += o.length }
  dec.finish()
  if (restored !== total) throw new Error('stream round trip lost bytes')
  return { inputMiB: total / MiB, compressedMiB: compressed / MiB, wasmMemoryMiBBefore: before / MiB, wasmMemoryMiBAfter: wasmMemoryBytes() / MiB, seconds: (performance.now() - t0) / 1000 }
}

function dedup (data: Uint8Array): Record<string, number> {
  const changed = data.slice()
  const r = rng(99)
  const target = Math.floor(data.length * 0.05)
  let touched = 0
  while (touched < target) { // 5%: overwrite scattered 4-16 KiB regions
    const len = 4096 + Math.floor(r() * 12288)
    const at = Math.floor(r() * (changed.length - len))
    for (let i = 0; i < len; i++) changed[at + i] = Math.floor(r() * 256)
    touched += len
  }
  const t0 = performance.now()
  const have = new Set(chunkData(data).map(c => c.hash))
  const delta = createDelta(changed, have)
  return { snapshotMiB: data.length / MiB, changedFraction: touched / data.length, chunks: delta.stats.chunkCount, missingChunks: delta.stats.missingCount, sentMiB: delta.stats.sentBytes / MiB, savedFraction: delta.stats.savedFraction, seconds: (performance.now() - t0) / 1000 }
}

/**
 * The fresh-output comparison again in a child process started with glibc's transparent-huge-page
 * tunable, so that both libraries' new 64 MiB outputs fault in 2 MiB pages instead of 4 KiB ones.
 * A deployment setting (it must be in the environment when the process starts), not a code path.
 */
function freshWithHugePages (): Record<string, unknown> {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]], {
    env: { ...process.env, BENCH_FRESH_ONLY: '1', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' },
    encoding: 'utf8',
    maxBuffer: 1 << 24
  })
  const line = `${r.stdout}`.split('\n').find(l => l.startsWith('FRESH_ONLY '))
  if (r.status !== 0 || line == null) return { error: `child exited ${r.status}: ${`${r.stderr}`.slice(-300)}` }
  return JSON.parse(line.slice('FRESH_ONLY '.length)) as Record<string, unknown>
}

async function main (): Promise<void> {
  await initCoreWasm()
  const size = Number(process.env.BENCH_CORPUS_MIB ?? 64) * MiB
  const data = corpus(size)
  if (process.env.BENCH_FRESH_ONLY === '1') {
    const fresh = measureAll([
      { name: 'core-wasm', compress: d => compressFrame(d), decompress: (c, n) => decompressFrame(c, { maxOutputSize: n }), timeCompress: false },
      { ...await lz4jsCodec(), timeCompress: false }
    ], data)
    const ratio = { cpu: fresh['core-wasm'].decompressMBpsCpu / fresh.lz4js.decompressMBpsCpu, wall: fresh['core-wasm'].decompressMBps / fresh.lz4js.decompressMBps }
    console.log(`FRESH_ONLY ${JSON.stringify({ env: 'GLIBC_TUNABLES=glibc.malloc.hugetlb=1', pageFaults: pageFaultCost(data), codecs: fresh, decompressVsLz4js: ratio })}`)
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'novacron-bench-'))
  const file = join(dir, 'corpus.bin')
  writeFileSync(file, data)
  try {
    const load0 = loadavg()
    const core: Codec = { name: 'core-wasm', compress: d => compressFrame(d, { level: 1 }), decompress: (c, n) => decompressFrame(c, { maxOutputSize: n }) }
    // lz4js writes a content checksum but does not verify it when reading: these variants do the same work.
    const coreNoSum: Codec = { name: 'core-wasm-nocheck', compress: d => compressFrame(d, { level: 1, contentChecksum: false }), decompress: (c, n) => decompressFrame(c, { maxOutputSize: n }) }
    const coreHC: Codec = { name: 'core-wasm-l9', compress: d => compressFrame(d, { level: 9 }), decompress: (c, n) => decompressFrame(c, { maxOutputSize: n }) }
    const fflate: Codec = { name: 'fflate-1', compress: d => deflateSync(d, { level: 1 }), decompress: c => inflateSync(c) }
    const results: Record<string, Record<string, number> | { error: string }> = {}
    const lz4jsMod = await lz4jsModule()
    const coreInto = intoReused('core-wasm-into', d => compressFrame(d), decompressFrameInto)
    const coreNoSumInto = intoReused('core-wasm-nocheck-into', d => compressFrame(d, { contentChecksum: false }), decompressFrameInto)
    const lz4jsInto = intoReused('lz4js-into', d => lz4jsMod.compress(d), (c, out) => lz4jsMod.decompressFrame(c, out))
    const faults = pageFaultCost(data)
    console.log('page faults', JSON.stringify(faults))
    Object.assign(results, measureAll([core, coreNoSum, await lz4jsCodec(), fflate, coreInto, coreNoSumInto, lz4jsInto], data))
    for (const [name, r] of Object.entries(results)) console.log(name, JSON.stringify(r))
    results['lz4-cli-1'] = nativeLz4(file)
    console.log('lz4 -b1', JSON.stringify(results['lz4-cli-1']))
    Object.assign(results, measureAll([coreHC], data, 1))
    console.log(coreHC.name, JSON.stringify(results[coreHC.name]))
    results['lz4-cli-9'] = nativeLz4(file, 9)
    console.log('lz4 -b9', JSON.stringify(results['lz4-cli-9']))
    const c = results['core-wasm'] as Record<string, number>
    const j = results.lz4js as Record<string, number>
    const n = results['lz4-cli-1'] as Record<string, number>
    const row = (name: string): Record<string, number> => results[name] as Record<string, number>
    // Every decompression variant against lz4js doing the same kind of work (CPU-time ratio, and wall).
    const decompressVariants: Record<string, { baseline: string, cpu: number, wall: number }> = {}
    for (const [ours, baseline] of [['core-wasm', 'lz4js'], ['core-wasm-nocheck', 'lz4js'], ['core-wasm-into', 'lz4js-into'], ['core-wasm-nocheck-into', 'lz4js-into']]) {
      decompressVariants[ours] = { baseline, cpu: row(ours).decompressMBpsCpu / row(baseline).decompressMBpsCpu, wall: row(ours).decompressMBps / row(baseline).decompressMBps }
    }
    const vs = {
      baselines: {
        lz4js: 'lz4js 0.2.0 lz4js.decompress(frame, contentSize): a fresh output buffer per call, content checksum not verified',
        'lz4js-into': 'lz4js 0.2.0 lz4js.decompressFrame(frame, reusedOutput): one output buffer reused across calls',
        'core-wasm': 'decompressFrame(frame): fresh output per call, content checksum verified',
        'core-wasm-nocheck': 'decompressFrame of a frame written without a content checksum (no hashing, like lz4js)',
        'core-wasm-into': 'decompressFrameInto(frame, reusedOutput), content checksum verified',
        'core-wasm-nocheck-into': 'decompressFrameInto(frame without content checksum, reusedOutput)'
      },
      compressVsLz4js: c.compressMBpsCpu / j.compressMBpsCpu,
      decompressVsLz4js: c.decompressMBpsCpu / j.decompressMBpsCpu,
      compressVsLz4jsWall: c.compressMBps / j.compressMBps,
      decompressVsLz4jsWall: c.decompressMBps / j.decompressMBps,
      decompressIntoReusedVsLz4js: row('core-wasm-into').decompressMBpsCpu / row('lz4js-into').decompressMBpsCpu,
      decompressNoChecksumVsLz4js: row('core-wasm-nocheck').decompressMBpsCpu / j.decompressMBpsCpu,
      decompressVariants,
      compressVsFflate: c.compressMBpsCpu / (results['fflate-1'] as Record<string, number>).compressMBpsCpu,
      decompressVsFflate: c.decompressMBpsCpu / (results['fflate-1'] as Record<string, number>).decompressMBpsCpu,
      ratioVsLz4Cli: 'ratio' in n ? c.ratio / n.ratio : Number.NaN,
      level9VsLz4Cli9: 'ratio' in results['lz4-cli-9']
        ? { compressWall: row('core-wasm-l9').compressMBps / row('lz4-cli-9').compressMBps, ratio: row('core-wasm-l9').ratio / row('lz4-cli-9').frameRatio }
        : null,
      compressVsLz4Cli: 'ratio' in n ? c.compressMBps / n.compressMBps : Number.NaN,
      decompressVsLz4Cli: 'ratio' in n ? c.decompressMBps / n.decompressMBps : Number.NaN,
      targets: { compressVsLz4js: 3, decompressVsLz4js: 5, ratioWithinOfLz4Cli: 0.03 }
    }
    console.log('ratios', JSON.stringify(vs))
    const hugePages = freshWithHugePages()
    console.log('fresh output, huge pages', JSON.stringify(hugePages))
    const stream = streamMemory(256 * MiB)
    console.log('stream 256 MiB', JSON.stringify(stream))
    const dd = dedup(data)
    console.log('dedup', JSON.stringify(dd))
    const quorum: Record<string, number> = {}
    for (const nn of [100, 1000, 10000]) {
      const s = Math.round(4 * Math.sqrt(nn))
      const params = { n: nn, f: Math.floor(nn / 10), sampleSize: s, targetFailure: 1e-9 }
      const times = await timeRuns(nn >= 10000 ? 3 : 20, () => solveQuorum(params))
      quorum[`n${nn}_ms`] = median(times)
      quorum[`n${nn}_q`] = solveQuorum(params).q
    }
    console.log('quorum', JSON.stringify(quorum))
    const path = writeResult('compression', { corpusMiB: size / MiB, runs: RUNS, decompressRuns: DECOMPRESS_RUNS, loadavgStart: load0, loadavgEnd: loadavg(), pageFaults: faults, codecs: results, vs, freshWithHugePages: hugePages, stream, dedup: dd, quorum })
    console.log(`wrote ${path}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// Run when executed (npm run bench), not when another script imports corpus().
if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
