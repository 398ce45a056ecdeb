#!/usr/bin/env node
/**
 * Scratch (issue 21): diffs two V8 heap snapshots of one process.
 * `node bench/_heap-diff.mjs A.heapsnapshot B.heapsnapshot [--top=25]` prints
 *  1. the change per (node type, constructor/name): count and self bytes, biggest first;
 *  2. objects new in B (by V8 object id) and alive, per constructor;
 *  3. where those new objects hang: every strong edge from an object that existed in A to a new
 *     one is a "frontier"; each new object is charged (breadth first) to the first frontier that
 *     reaches it, so "Map (old) --table--> ..." says which old container took on how many bytes.
 * Options: --grown (containers present in both whose entry count grew, with who holds them),
 * --path=LABEL (retainer chains of new objects with that label, e.g. --path=bigint:bigint),
 * --holder=ID,… (an object's retainer chain and edges), --size=ID,… (its entries in A and in B).
 * V8 object ids are stable across snapshots of one process, which is what makes 2 and --grown work.
 * Used for docs/mesh.md, "Heap-snapshot diff on real soak processes" (bench/_heap-soak.ts takes them).
 */
import { readFileSync } from 'node:fs'

const top = Number(process.argv.find(a => a.startsWith('--top='))?.split('=')[1] ?? 25)
const [fa, fb] = process.argv.slice(2).filter(a => !a.startsWith('--'))

function load (file) {
  const s = JSON.parse(readFileSync(file, 'utf8'))
  const m = s.snapshot.meta
  const nf = m.node_fields.length
  const ef = m.edge_fields.length
  const types = m.node_types[0]
  const etypes = m.edge_types[0]
  const N = s.nodes.length / nf
  const firstEdge = new Uint32Array(N + 1)
  const ecIdx = m.node_fields.indexOf('edge_count')
  for (let i = 0, e = 0; i < N; i++) { firstEdge[i] = e; e += s.nodes[i * nf + ecIdx] * ef; firstEdge[i + 1] = e }
  const node = i => ({ type: types[s.nodes[i * nf]], name: s.strings[s.nodes[i * nf + 1]], id: s.nodes[i * nf + 2], size: s.nodes[i * nf + 3] })
  return { s, nf, ef, types, etypes, N, firstEdge, node }
}

const label = n => n.type === 'object' || n.type === 'closure' || n.type === 'native' ? `${n.type}:${n.name.slice(0, 60)}` : n.type === 'string' || n.type === 'concatenated string' || n.type === 'sliced string' ? n.type : `${n.type}:${n.name.slice(0, 40)}`
const kb = b => (b / 1024).toFixed(1)

const A = load(fa)
const B = load(fb)
const agg = (H) => {
  const m = new Map()
  let total = 0
  for (let i = 0; i < H.N; i++) { const n = H.node(i); const k = label(n); const v = m.get(k) ?? [0, 0]; v[0]++; v[1] += n.size; total += n.size; m.set(k, v) }
  return { m, total }
}
const aa = agg(A)
const ab = agg(B)
console.log(`total self size: ${kb(aa.total)} KB -> ${kb(ab.total)} KB (${kb(ab.total - aa.total)} KB), nodes ${A.N} -> ${B.N}`)
{
  const byType = new Map()
  for (const [k, v] of aa.m) { const t = k.split(':')[0]; byType.set(t, (byType.get(t) ?? 0) - v[1]) }
  for (const [k, v] of ab.m) { const t = k.split(':')[0]; byType.set(t, (byType.get(t) ?? 0) + v[1]) }
  console.log('per node type (KB): ' + [...byType].sort((p, q) => Math.abs(q[1]) - Math.abs(p[1])).map(([t, b]) => `${t} ${kb(b)}`).join(', '))
}
const keys = new Set([...aa.m.keys(), ...ab.m.keys()])
const rows = [...keys].map(k => { const x = aa.m.get(k) ?? [0, 0]; const y = ab.m.get(k) ?? [0, 0]; return [k, y[0] - x[0], y[1] - x[1]] }).sort((p, q) => Math.abs(q[2]) - Math.abs(p[2]))
console.log('\n== change per type:name (count, KB) ==')
for (const [k, c, b] of rows.slice(0, top)) console.log(`${kb(b).padStart(9)} KB ${String(c).padStart(7)}  ${k}`)

// new objects in B
const idsA = new Set()
for (let i = 0; i < A.N; i++) idsA.add(A.s.nodes[i * A.nf + 2])
const isNew = new Uint8Array(B.N)
const newAgg = new Map()
let newTotal = 0
for (let i = 0; i < B.N; i++) {
  const n = B.node(i)
  if (idsA.has(n.id)) continue
  isNew[i] = 1
  newTotal += n.size
  const k = label(n); const v = newAgg.get(k) ?? [0, 0]; v[0]++; v[1] += n.size; newAgg.set(k, v)
}
console.log(`\n== new in B: ${kb(newTotal)} KB ==`)
for (const [k, [c, b]] of [...newAgg].sort((p, q) => q[1][1] - p[1][1]).slice(0, top)) console.log(`${kb(b).padStart(9)} KB ${String(c).padStart(7)}  ${k}`)

// frontier attribution
const { s, nf, ef, etypes, firstEdge } = B
const eType = B.s.snapshot.meta.edge_fields.indexOf('type')
const eName = B.s.snapshot.meta.edge_fields.indexOf('name_or_index')
const eTo = B.s.snapshot.meta.edge_fields.indexOf('to_node')
const owner = new Int32Array(B.N).fill(-1)
const frontiers = []
const frontierIdx = new Map()
const queue = []
const edgeName = (e) => { const t = etypes[s.edges[e + eType]]; const v = s.edges[e + eName]; return t === 'element' || t === 'hidden' ? `[${t}]` : `${t === 'property' ? '' : t + ':'}${s.strings[v]}` }
for (let i = 0; i < B.N; i++) {
  if (isNew[i]) continue
  for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += ef) {
    if (etypes[s.edges[e + eType]] === 'weak') continue
    const to = s.edges[e + eTo] / nf
    if (!isNew[to] || owner[to] !== -1) continue
    const n = B.node(i)
    const key = `${label(n)} #${n.id} --${edgeName(e)}-->`
    let f = frontierIdx.get(key)
    if (f === undefined) { f = frontiers.length; frontiers.push({ key, bytes: 0, count: 0, kinds: new Map() }); frontierIdx.set(key, f) }
    owner[to] = f; queue.push(to)
  }
}
for (let q = 0; q < queue.length; q++) {
  const i = queue[q]
  const f = frontiers[owner[i]]
  const n = B.node(i)
  f.bytes += n.size; f.count++
  const k = label(n); f.kinds.set(k, (f.kinds.get(k) ?? 0) + n.size)
  for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += ef) {
    if (etypes[s.edges[e + eType]] === 'weak') continue
    const to = s.edges[e + eTo] / nf
    if (isNew[to] && owner[to] === -1) { owner[to] = owner[i]; queue.push(to) }
  }
}
// group frontiers by key without the object id too
const byKind = new Map()
for (const f of frontiers) { const k = f.key.replace(/ #\d+ /, ' '); const v = byKind.get(k) ?? { bytes: 0, count: 0, holders: 0 }; v.bytes += f.bytes; v.count += f.count; v.holders++; byKind.set(k, v) }
console.log('\n== new objects by the old object that holds them (grouped by holder kind + edge) ==')
for (const [k, v] of [...byKind].sort((p, q) => q[1].bytes - p[1].bytes).slice(0, top)) console.log(`${kb(v.bytes).padStart(9)} KB ${String(v.count).padStart(7)} objs ${String(v.holders).padStart(5)} holders  ${k}`)
console.log('\n== biggest single holders ==')
for (const f of frontiers.sort((p, q) => q.bytes - p.bytes).slice(0, top)) console.log(`${kb(f.bytes).padStart(9)} KB ${String(f.count).padStart(7)} objs  ${f.key}  ${[...f.kinds].sort((p, q) => q[1] - p[1]).slice(0, 3).map(([k, b]) => `${k} ${kb(b)}`).join(', ')}`)

// --path=LABEL: retainer chains of new objects with that label (first strong retainer each hop)
const pathLabel = process.argv.find(a => a.startsWith('--path='))?.slice(7)
if (pathLabel != null) {
  const retainer = new Int32Array(B.N).fill(-1)
  const retEdge = new Int32Array(B.N).fill(-1)
  for (let i = 0; i < B.N; i++) {
    for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += ef) {
      const t = etypes[s.edges[e + eType]]
      if (t === 'weak' || t === 'shortcut') continue
      const to = s.edges[e + eTo] / nf
      if (retainer[to] === -1) { retainer[to] = i; retEdge[to] = e }
    }
  }
  const chains = new Map()
  for (let i = 0; i < B.N; i++) {
    if (!isNew[i] || label(B.node(i)) !== pathLabel) continue
    const parts = []
    let j = i
    for (let hop = 0; hop < 10 && retainer[j] !== -1; hop++) {
      const r = retainer[j]
      parts.push(`${label(B.node(r))}${isNew[r] ? '*' : ''}.${edgeName(retEdge[j])}`)
      j = r
    }
    const k = parts.join(' <- ')
    chains.set(k, (chains.get(k) ?? 0) + 1)
  }
  console.log(`\n== retainer chains of new ${pathLabel} (* = new holder) ==`)
  for (const [k, c] of [...chains].sort((p, q) => q[1] - p[1]).slice(0, 12)) console.log(`${String(c).padStart(6)}  ${k}`)
}

/** Each object's first strong retainer in B: node index -> [retainer index, edge offset]. */
function firstRetainers () {
  const rets = new Map()
  for (let i = 0; i < B.N; i++) {
    for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += ef) {
      const t = etypes[s.edges[e + eType]]
      if (t === 'weak' || t === 'shortcut') continue
      const to = s.edges[e + eTo] / nf
      if (!rets.has(to)) rets.set(to, [i, e])
    }
  }
  return rets
}

// --holder=ID[,ID]: the retainer chain of an object in B, and its first strong edges
const holders = process.argv.find(a => a.startsWith('--holder='))?.slice(9)
if (holders != null) {
  const idToIdx = new Map()
  for (let i = 0; i < B.N; i++) idToIdx.set(B.s.nodes[i * nf + 2], i)
  const rets = firstRetainers()
  for (const id of holders.split(',').map(Number)) {
    let j = idToIdx.get(id)
    const n = B.node(j)
    console.log(`\n== #${id} ${label(n)} ==`)
    const parts = []
    for (let hop = 0; hop < 14 && rets.has(j); hop++) { const [r, e] = rets.get(j); parts.push(`${label(B.node(r))} #${B.node(r).id} .${edgeName(e)}`); j = r }
    console.log('retained by: ' + parts.join('\n   <- '))
    const i = idToIdx.get(id)
    const kids = []
    for (let e = firstEdge[i]; e < firstEdge[i + 1] && kids.length < 60; e += ef) { const to = s.edges[e + eTo] / nf; kids.push(`${edgeName(e)} -> ${label(B.node(to))} #${B.node(to).id}${isNew[to] ? '*' : ''} ${B.node(to).type === 'string' ? JSON.stringify(B.node(to).name.slice(0, 50)) : ''}`) }
    console.log('edges: ' + kids.join('\n       '))
  }
}

// --size=ID[,ID]: edges of the object (and of its internal:table / elements backing store) in A and in B
const sizes = process.argv.find(a => a.startsWith('--size='))?.slice(7)
if (sizes != null) {
  for (const H of [A, B]) {
    const idToIdx = new Map()
    for (let i = 0; i < H.N; i++) idToIdx.set(H.s.nodes[i * H.nf + 2], i)
    const eT = H.s.snapshot.meta.edge_fields.indexOf('type'); const eN = H.s.snapshot.meta.edge_fields.indexOf('name_or_index'); const eTo2 = H.s.snapshot.meta.edge_fields.indexOf('to_node')
    const out = []
    for (const id of sizes.split(',').map(Number)) {
      const i = idToIdx.get(id)
      if (i === undefined) { out.push(`#${id}: absent`); continue }
      let direct = 0; let backing = 0
      for (let e = H.firstEdge[i]; e < H.firstEdge[i + 1]; e += H.ef) {
        const t = H.etypes[H.s.edges[e + eT]]; const nm = H.s.strings[H.s.edges[e + eN]]
        if (t === 'element') direct++
        if (t === 'internal' && (nm === 'table' || nm === 'elements')) { const to = H.s.edges[e + eTo2] / H.nf; backing += (H.firstEdge[to + 1] - H.firstEdge[to]) / H.ef }
      }
      out.push(`#${id}: ${direct} elements, backing store ${backing} edges`)
    }
    console.log(`${H === A ? 'A' : 'B'}: ${out.join('; ')}`)
  }
}

// --grown: containers present in A and B (same id) whose entry count grew most, with who holds them
if (process.argv.includes('--grown')) {
  const entries = (H, i) => {
    const eT = H.s.snapshot.meta.edge_fields.indexOf('type'); const eN = H.s.snapshot.meta.edge_fields.indexOf('name_or_index'); const eTo2 = H.s.snapshot.meta.edge_fields.indexOf('to_node')
    let n = 0
    for (let e = H.firstEdge[i]; e < H.firstEdge[i + 1]; e += H.ef) {
      const t = H.etypes[H.s.edges[e + eT]]
      if (t === 'element') n++
      else if (t === 'internal' && ['table', 'elements'].includes(H.s.strings[H.s.edges[e + eN]])) { const to = H.s.edges[e + eTo2] / H.nf; n += (H.firstEdge[to + 1] - H.firstEdge[to]) / H.ef }
    }
    return n
  }
  const inA = new Map()
  for (let i = 0; i < A.N; i++) { const n = A.node(i); if (n.type === 'object' && ['Map', 'Set', 'Array', 'WeakMap', 'WeakSet'].includes(n.name)) inA.set(n.id, entries(A, i)) }
  const rets = firstRetainers()
  const grown = []
  for (let i = 0; i < B.N; i++) {
    const n = B.node(i)
    if (!inA.has(n.id)) continue
    const d = entries(B, i) - inA.get(n.id)
    if (d > 0) grown.push([i, d, inA.get(n.id)])
  }
  grown.sort((p, q) => q[1] - p[1])
  console.log('\n== containers that gained entries (edges of their backing store) ==')
  for (const [i, d, was] of grown.slice(0, top)) {
    const parts = []
    let j = i
    for (let hop = 0; hop < 4 && rets.has(j); hop++) { const [r, e] = rets.get(j); parts.push(`${label(B.node(r))}.${edgeName(e)}`); j = r }
    console.log(`${String(d).padStart(7)} (from ${was})  ${label(B.node(i))} #${B.node(i).id}  <- ${parts.join(' <- ')}`.slice(0, 260))
  }
}
