/**
 * The layout rules of the brief, checked: `core/` is isomorphic (no Node built-ins, no DOM-only
 * code from app/, nothing from node-runtime/), and `app/` never imports `node-runtime/`.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'

const root = new URL('..', import.meta.url).pathname

function sources (dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e)
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.(ts|mts|js|mjs)$/.test(p)) out.push(p)
    }
  }
  try { walk(join(root, dir)) } catch { /* folder not created yet */ }
  return out
}

function imports (file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(m => m[1] ?? m[2])
}

test('core/ imports no Node built-ins, app/ or node-runtime/', () => {
  const bad: string[] = []
  for (const f of sources('core')) {
    for (const spec of imports(f)) {
      if (spec.startsWith('node:') || /(^|\/)(app|node-runtime)\//.test(spec) || ['fs', 'path', 'os', 'net', 'child_process', 'crypto'].includes(spec)) {
        bad.push(`${relative(root, f)} imports ${spec}`)
      }
    }
  }
  assert.deepEqual(bad, [])
})

test('app/ imports nothing from node-runtime/ or Node built-ins', () => {
  const bad: string[] = []
  for (const f of sources('app')) {
    for (const spec of imports(f)) {
      if (spec.startsWith('node:') || spec.includes('node-runtime/')) bad.push(`${relative(root, f)} imports ${spec}`)
    }
  }
  assert.deepEqual(bad, [])
})

test('app/ never parses strings as HTML (peer text reaches the page as text nodes only)', () => {
  const bad: string[] = []
  for (const f of sources('app')) {
    const text = readFileSync(f, 'utf8')
    for (const m of text.matchAll(/\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write\(|createContextualFragment|DOMParser/g)) bad.push(`${relative(root, f)}: ${m[0]}`)
  }
  assert.deepEqual(bad, [])
})
