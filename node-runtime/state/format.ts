/**
 * Readable output for the state CLI: aligned tables, issue detail, relative times. Every value
 * here may come from another peer, so every cell and line goes through `escapeForTerminal`.
 */
import type { IssueDetail } from '../../core/state/board.ts'
import type { MemoryEntry } from '../../core/state/memory.ts'
import type { DependencyNode } from '../../core/state/queries.ts'
import type { Issue } from '../../core/state/schema.ts'
import { escapeForTerminal } from '../cli/escape.ts'

export function table (headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '(none)\n'
  const clip = (c: string): string => c.length > 60 ? c.slice(0, 59) + '…' : c
  const cells = [headers, ...rows.map(r => r.map(c => clip(escapeForTerminal(c.replace(/\s+/g, ' ')))))]
  const widths = headers.map((_, i) => Math.max(...cells.map(r => r[i].length)))
  return cells.map(r => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n'
}

export function issueTable (issues: Issue[]): string {
  return table(['ID', 'P', 'STATUS', 'TYPE', 'PROG', 'ASSIGNEE', 'TITLE'],
    issues.map(i => [i.id, `P${i.priority}`, i.status, i.type, `${i.progress}%`, i.assignee ?? '-', i.title]))
}

export function issueDetail (i: IssueDetail): string {
  const lines = [
    `${i.id}  ${i.title}`,
    `  type ${i.type} · status ${i.status} · priority P${i.priority} · progress ${i.progress}%`,
    `  assignee ${i.assignee ?? '-'} · estimate ${i.estimate == null ? '-' : `${i.estimate} min`} · parent ${i.parent ?? '-'}`,
    `  labels ${i.labels.length > 0 ? i.labels.join(', ') : '-'}`,
    `  created ${new Date(i.createdAt).toISOString()} by ${i.createdBy} · updated ${new Date(i.updatedAt).toISOString()}`
  ]
  if (i.blockedBy.length > 0) lines.push(`  blocked by: ${i.blockedBy.join(', ')}`)
  if (i.blocking.length > 0) lines.push(`  blocking:   ${i.blocking.join(', ')}`)
  if (i.children.length > 0) lines.push(`  children:   ${i.children.join(', ')}`)
  const related = i.links.filter(l => l.type === 'related').map(l => l.target)
  if (related.length > 0) lines.push(`  related:    ${related.join(', ')}`)
  // one printed line per description line; any other control character is escaped below
  if (i.description !== '') lines.push('', ...i.description.split('\n').map(l => `  ${l}`))
  if (i.comments.length > 0) {
    lines.push('', '  comments:')
    for (const c of i.comments) lines.push(`    [${new Date(c.at).toISOString()}] ${c.author}: ${c.text}`)
  }
  return lines.map(escapeForTerminal).join('\n') + '\n'
}

/** `in 45 s`, `in 10 min`, `in 3 h`, `in 2 d`: as a person reads a time left. */
export function timeLeft (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 90) return `in ${s} s`
  if (s < 90 * 60) return `in ${Math.round(s / 60)} min`
  if (s < 36 * 3600) return `in ${Math.round(s / 3600)} h`
  return `in ${Math.round(s / 86400)} d`
}

export function memoryTable (entries: MemoryEntry[], now = Date.now()): string {
  return table(['NAMESPACE', 'KEY', 'EXPIRES', 'VALUE'], entries.map(e => [
    e.namespace, e.key, e.expiresAt == null ? '-' : timeLeft(e.expiresAt - now), JSON.stringify(e.value)
  ]))
}

/** The dependency tree as indented lines: `nc-a [P1 open] Title`, its dependencies below it. */
export function dependencyTree (root: DependencyNode): string {
  const lines: string[] = []
  const walk = (n: DependencyNode, indent: string, last: boolean, top: boolean): void => {
    const label = `${n.id} [P${n.priority} ${n.status}] ${n.title}${n.repeated === true && !top ? ' (shown above)' : ''}`
    lines.push(top ? label : `${indent}${last ? '└─ ' : '├─ '}${label}`)
    const next = top ? '' : indent + (last ? '   ' : '│  ')
    n.dependsOn.forEach((d, i) => walk(d, next, i === n.dependsOn.length - 1, false))
  }
  walk(root, '', true, true)
  if (root.dependsOn.length === 0) lines.push('  (depends on nothing)')
  return lines.join('\n') + '\n'
}
