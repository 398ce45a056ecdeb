/**
 * A C program compiled by clang to wasm32-wasi (examples/jobs/mandelbrot.c, built by
 * examples/jobs/build.mjs with Debian's wasi-libc) runs in the sandbox and prints exactly what its
 * native build prints: the whole PGM tile byte for byte, tiles read from args or stdin, checksums
 * of several tiles, and the usage error (exit code 2, message on stderr).
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { spawnSync } from 'node:child_process'
import { createNodeTaskRunner } from '../../node-runtime/jobs/runner.ts'
import { examplePath, exampleWasm } from './_examples.ts'

const runner = await createNodeTaskRunner({ capacity: 2 })
after(() => { runner.stop() })
const wasm = exampleWasm('mandelbrot')

function native (args: string[], stdin = ''): { stdout: Buffer, stderr: string, status: number | null } {
  const r = spawnSync(examplePath('mandelbrot', 'native'), args, { input: stdin })
  return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status }
}

test('a whole PGM tile from args equals the native build\'s bytes', async () => {
  const args = ['320', '240', '64', '48', '160', '120', '500']
  const want = native(args)
  assert.equal(want.status, 0)
  const got = await runner.run(wasm, { args })
  assert.equal(got.exitCode, 0)
  assert.ok(want.stdout.length > 160 * 120, 'a P5 header and 19,200 pixels')
  assert.deepEqual(Buffer.from(got.stdout), want.stdout)
})

test('tiles given on stdin, checksummed, equal the native build\'s lines', async () => {
  const tiles = [[0, 0], [200, 0], [0, 150], [200, 150]]
  const outs = await Promise.all(tiles.map(async ([x, y]) => {
    const input = `--checksum 400 300 ${x} ${y} 200 150 300\n`
    const got = await runner.run(wasm, { stdin: new TextEncoder().encode(input) })
    return [new TextDecoder().decode(got.stdout), native([], input).stdout.toString()]
  }))
  for (const [got, want] of outs) {
    assert.match(want, /^fnv1a64 [0-9a-f]{16} 30000\n$/)
    assert.equal(got, want)
  }
  assert.equal(new Set(outs.map(o => o[0])).size, 4, 'four different tiles')
})

test('bad arguments: the same exit code and stderr as native', async () => {
  const want = native(['10', 'x'])
  const got = await runner.run(wasm, { args: ['10', 'x'] })
  assert.equal(want.status, 2)
  assert.equal(got.exitCode, 2)
  assert.equal(new TextDecoder().decode(got.stderr), want.stderr)
})
