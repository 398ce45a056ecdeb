/**
 * Read-only questions about a board that the Beads-style CLI asks: which issue an id prefix
 * means, which open issues wait on open blockers, and the dependency tree under an issue. Pure
 * functions over validated issues (Board.readAll), so the page can ask them too.
 */
import { AmbiguousIdError, IssueNotFoundError } from './errors.ts'
import { blockingGraph } from './graph.ts'
import type { Issue } from './schema.ts'

/**
 * The one id that `q` means: an exact id, else the unique id that starts with `q`, or whose part
 * after the prefix starts with `q` (`4k2x` for `nc-4k2x9q`), as Beads accepts.
 */
export function resolveIssueId (ids: Iterable<string>, q: string): string {
  const all = [...ids]
  if (all.includes(q)) return q
  const needle = q.trim().toLowerCase()
  if (needle === '' || needle.length > 64) throw new IssueNotFoundError(q)
  const matches = all.filter(id => id.startsWith(needle) || id.slice(id.indexOf('-') + 1).startsWith(needle))
  if (matches.length === 1) return matches[0]
  if (matches.length === 0) throw new IssueNotFoundError(q)
  throw new AmbiguousIdError(q, matches.sort())
}

/** Issues not closed that wait on at least one blocker that is not closed, most urgent first. */
export function blockedIssues (issues: Issue[]): Array<Issue & { blockedBy: string[] }> {
  const g = blockingGraph(issues)
  const byId = new Map(issues.map(i => [i.id, i]))
  return issues
    .filter(i => i.status !== 'closed')
    .map(i => ({ ...i, blockedBy: [...(g.get(i.id) ?? [])].filter(b => byId.get(b)?.status !== 'closed').sort() }))
    .filter(i => i.blockedBy.length > 0)
    .sort((a, b) => a.priority - b.priority || a.createdAt - b.createdAt || a.id.localeCompare(b.id))
}

export interface DependencyNode {
  id: string
  title: string
  status: Issue['status']
  priority: number
  /** What this issue depends on; empty where the issue was already shown higher up (`repeated`). */
  dependsOn: DependencyNode[]
  repeated?: boolean
}

/** What `id` depends on, recursively (each issue expanded once; depth-bounded). */
export function dependencyTree (issues: Issue[], id: string, maxDepth = 50): DependencyNode {
  const g = blockingGraph(issues)
  const byId = new Map(issues.map(i => [i.id, i]))
  const seen = new Set<string>()
  const node = (nid: string, depth: number): DependencyNode => {
    const i = byId.get(nid)
    const base = { id: nid, title: i?.title ?? '(missing)', status: i?.status ?? 'open', priority: i?.priority ?? 2 }
    if (seen.has(nid) || depth >= maxDepth) return { ...base, dependsOn: [], repeated: true }
    seen.add(nid)
    return { ...base, dependsOn: [...(g.get(nid) ?? [])].sort().map(d => node(d, depth + 1)) }
  }
  if (!byId.has(id)) throw new IssueNotFoundError(id)
  return node(id, 0)
}
