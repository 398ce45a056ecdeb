/**
 * Where a Linux process's resident memory sits, from `/proc/<pid>/smaps` (issue 21: what RSS holds
 * beyond the JS heap). Each mapping's `Rss` is put in one bin:
 * - `file`: mapped files (the node binary, shared libraries, node-datachannel's and LevelDB's `.so`);
 * - `brk`: the `[heap]` mapping, glibc malloc's main arena (the main thread's allocations);
 * - `arenas`: glibc's per-thread arenas: anonymous mappings that start on a 64 MiB boundary and,
 *   with the inaccessible (`---p`) reservation right after them, span exactly 64 MiB (glibc's
 *   HEAP_MAX_SIZE on 64-bit); malloc from libuv's pool, V8's platform workers, LevelDB's compaction
 *   thread and libdatachannel's threads lands there;
 * - `stacks`: `[stack]` and the other bracketed kernel mappings;
 * - `anonOther`: every other anonymous mapping: V8's heap pages and code range, large mmap'd
 *   mallocs (≥ 128 KiB by default, e.g. big array buffers), thread stacks.
 * Reading smaps walks the page tables of every mapping (a few ms for a node process): fine once a
 * minute, not in a hot loop.
 */
import { readFileSync } from 'node:fs'

export interface ProcMem {
  rss: number
  file: number
  brk: number
  arenas: number
  stacks: number
  anonOther: number
}

const ARENA = 64 * 1024 * 1024

interface Mapping { start: number, end: number, perms: string, path: string, rss: number }

/** The mappings of an smaps text, with their resident bytes. */
export function parseSmaps (text: string): Mapping[] {
  const out: Mapping[] = []
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line)
    if (head != null) {
      out.push({ start: parseInt(head[1], 16), end: parseInt(head[2], 16), perms: head[3], path: head[4].trim(), rss: 0 })
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    if (rss != null && out.length > 0) out[out.length - 1].rss = Number(rss[1]) * 1024
  }
  return out
}

/** Bins the resident bytes of `mappings` (see the file's note). */
export function binMappings (mappings: readonly Mapping[]): ProcMem {
  const m: ProcMem = { rss: 0, file: 0, brk: 0, arenas: 0, stacks: 0, anonOther: 0 }
  mappings.forEach((x, i) => {
    m.rss += x.rss
    if (x.path.startsWith('/')) m.file += x.rss
    else if (x.path === '[heap]') m.brk += x.rss
    else if (x.path.startsWith('[')) m.stacks += x.rss
    else if (isArena(x, mappings[i + 1])) m.arenas += x.rss
    else m.anonOther += x.rss
  })
  return m
}

function isArena (x: Mapping, next: Mapping | undefined): boolean {
  if (x.path !== '' || x.perms !== 'rw-p' || x.start % ARENA !== 0) return false
  const reserved = next != null && next.start === x.end && next.perms === '---p' && next.path === '' ? next.end - next.start : 0
  return x.end - x.start + reserved === ARENA
}

/** The process's resident memory by bin, in bytes (Linux only). */
export function procMem (pid: number): ProcMem {
  return binMappings(parseSmaps(readFileSync(`/proc/${pid}/smaps`, 'utf8')))
}
