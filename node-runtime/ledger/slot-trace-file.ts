/**
 * The slot timeline of a Node peer (core/ledger/slot-trace.ts) as JSON lines: with
 * `NOVACRON_LEDGER_TRACE=<dir>` each step is appended to `<dir>/<pid>.jsonl` as
 * `{"s":slot,"v":view,"k":step,"t":epoch ms (sub-ms),"r":recipients}` — the same clock in every
 * process of the machine, so bench/_slot-phases.ts can line peers up. Lines are buffered and written
 * every 200 ms (and at exit); off (null) without the variable.
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { SlotTracer } from '../../core/ledger/slot-trace.ts'

export function slotTraceFromEnv (env: NodeJS.ProcessEnv = process.env): SlotTracer | null {
  const dir = env.NOVACRON_LEDGER_TRACE
  if (dir == null || dir === '') return null
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${process.pid}.jsonl`)
  let lines: string[] = []
  const flush = (): void => {
    if (lines.length === 0) return
    try { appendFileSync(file, lines.join('\n') + '\n') } catch {}
    lines = []
  }
  setInterval(flush, 200).unref()
  process.on('exit', flush)
  return (slot, view, step, recipients) => {
    const t = performance.timeOrigin + performance.now()
    lines.push(JSON.stringify(recipients == null ? { s: slot, v: view, k: step, t: Math.round(t * 10) / 10 } : { s: slot, v: view, k: step, t: Math.round(t * 10) / 10, r: recipients }))
  }
}
