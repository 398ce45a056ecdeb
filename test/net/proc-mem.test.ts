/**
 * test/_support/proc-mem.ts: where a process's resident memory sits (the soak bench's "beyond the
 * heap" figures, issue 21): mapped files, malloc's main arena (`[heap]`), its 64 MiB thread arenas,
 * other anonymous memory. A fixed smaps text pins the bins; this process's own smaps must add up to
 * its RSS and show a thread arena once worker threads have malloc'd.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { binMappings, parseSmaps, procMem } from '../_support/proc-mem.ts'

const KB = 1024
const map = (start: number, end: number, perms: string, path: string, rssKb: number): string =>
  `${start.toString(16)}-${end.toString(16)} ${perms} 00000000 00:00 0 ${path}\nSize: ${(end - start) / KB} kB\nRss: ${rssKb} kB\nAnonymous: 0 kB\n`
const MiB = 1024 * 1024

test('smaps mappings go to files, the main arena, thread arenas, kernel mappings and other anonymous memory', () => {
  const base = 0x7f0000000000 // a multiple of 64 MiB
  const text = [
    map(0x55aa00000000, 0x55aa00400000, 'r-xp', '/usr/bin/node', 3000),
    map(0x55aa10000000, 0x55aa10800000, 'rw-p', '[heap]', 5000),
    // a thread arena: 2 MiB in use, the rest of its 64 MiB reserved
    map(base, base + 2 * MiB, 'rw-p', '', 1500),
    map(base + 2 * MiB, base + 64 * MiB, '---p', '', 0),
    // 64 MiB-aligned but not a 64 MiB span (a V8 reservation, say): other anonymous memory
    map(base + 128 * MiB, base + 132 * MiB, 'rw-p', '', 700),
    map(base + 132 * MiB, base + 260 * MiB, '---p', '', 0),
    // an arena-sized span that does not start on a 64 MiB boundary
    map(base + 261 * MiB, base + 263 * MiB, 'rw-p', '', 200),
    map(base + 263 * MiB, base + 325 * MiB, '---p', '', 0),
    map(0x7ffd00000000, 0x7ffd00021000, 'rw-p', '[stack]', 90)
  ].join('')
  const m = parseSmaps(text)
  assert.equal(m.length, 9)
  assert.deepEqual(binMappings(m), { rss: 10_490 * KB, file: 3000 * KB, brk: 5000 * KB, arenas: 1500 * KB, stacks: 90 * KB, anonOther: 900 * KB })
})

test("this process's bins add up to its RSS, and worker threads' mallocs show as thread arenas", async () => {
  const { Worker } = await import('node:worker_threads')
  // a worker thread's own allocations come from a glibc thread arena
  const worker = new Worker('const keep = []; for (let i = 0; i < 2000; i++) keep.push(Buffer.allocUnsafeSlow(1024)); require("worker_threads").parentPort.postMessage(keep.length)', { eval: true })
  assert.equal(await new Promise(resolve => worker.once('message', resolve)), 2000)
  const vmRss = (): number => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * KB
  const before = vmRss()
  const m = procMem(process.pid)
  const after = vmRss()
  await worker.terminate()
  // the process moves while smaps is read: between the VmRSS read just before and just after, ± 5 %
  assert.ok(m.rss > Math.min(before, after) * 0.95 && m.rss < Math.max(before, after) * 1.05, `smaps ${m.rss} vs VmRSS ${before} → ${after}`)
  assert.equal(m.file + m.brk + m.arenas + m.stacks + m.anonOther, m.rss)
  assert.ok(m.file > 10 * MiB, `mapped files ${m.file}`) // the node binary at least
  assert.ok(m.arenas > 0, `thread arenas ${m.arenas}`)
})
