/**
 * `novacron compress` / `novacron decompress` as real processes: stdin to stdout, interoperating
 * with the `lz4` tool both ways, --level, clear typed errors and exit codes on corrupt input and
 * bad flags, and --help.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { test } from 'node:test'

const root = new URL('../..', import.meta.url).pathname

interface Result { code: number | null, stdout: Buffer, stderr: string }

async function novacron (args: string[], input: Uint8Array): Promise<Result> {
  const child = spawn(process.execPath, [`${root}bin/novacron.mjs`, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => out.push(d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  child.stdin.on('error', () => { /* the process may exit before reading everything (bad flag) */ })
  child.stdin.end(input)
  const code = await new Promise<number | null>(resolve => child.on('close', c => resolve(c)))
  return { code, stdout: Buffer.concat(out), stderr }
}

function lz4 (args: string[], input: Uint8Array): Buffer {
  const r = spawnSync('lz4', args, { input, maxBuffer: 1 << 28 })
  if (r.error != null) throw new Error(`the lz4 CLI is required for this test (apt-get install lz4): ${r.error.message}`)
  assert.equal(r.status, 0, r.stderr.toString())
  return r.stdout
}

const sample = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `row ${i % 1234},peer-${(i * 7) % 97},ok\n`).join(''))

test('compress | lz4 -d and lz4 | decompress restore the input (6 MB, several blocks)', async () => {
  const big = Buffer.concat([sample, sample.subarray(0, 400_000)])
  const c = await novacron(['compress', '--level', '9', '--block-size', '1M'], big)
  assert.equal(c.code, 0, c.stderr)
  assert.ok(c.stdout.length < big.length / 3)
  assert.equal(Buffer.compare(lz4(['-d', '-c'], c.stdout), big), 0)
  const d = await novacron(['decompress'], lz4(['-c', '-BD', '-B4', '-BX'], big))
  assert.equal(d.code, 0, d.stderr)
  assert.equal(Buffer.compare(d.stdout, big), 0)
})

test('corrupt and truncated input: exit 1 and one line in words on stderr', async () => {
  const frame = lz4(['-c'], sample)
  const corrupt = Buffer.from(frame); corrupt[frame.length >> 1] ^= 0x55
  const r1 = await novacron(['decompress'], corrupt)
  // one line in words (issue 18): no error class name, no numeric code
  assert.equal(r1.code, 1)
  assert.match(r1.stderr, /^novacron decompress: not a valid LZ4 frame: (corrupt compressed block|.*checksum mismatch)\n$/)
  const r2 = await novacron(['decompress'], frame.subarray(0, frame.length - 3))
  assert.equal(r2.code, 1)
  assert.match(r2.stderr, /^novacron decompress: not a valid LZ4 frame: input ended in the middle of a frame \(truncated\)\n$/)
  const r3 = await novacron(['decompress', '--max-output', '1000'], frame)
  assert.equal(r3.code, 1)
  assert.equal(r3.stderr, 'novacron decompress: the decompressed data would exceed --max-output\n')
  for (const r of [r1, r2, r3]) assert.doesNotMatch(r.stderr, /Lz4Error|LZ4 error \d/)
})

test('bad flags exit 2 naming the flag; --help describes the command', async () => {
  const bad = await novacron(['compress', '--level', '13'], Buffer.alloc(0))
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--level must be at most 12/)
  const help = await novacron(['decompress', '--help'], Buffer.alloc(0))
  assert.equal(help.code, 0)
  assert.match(help.stdout.toString(), /Usage: novacron decompress/)
  assert.match(help.stdout.toString(), /--max-output/)
  const help2 = await novacron(['compress', '--help'], Buffer.alloc(0))
  assert.match(help2.stdout.toString(), /--level/)
})
