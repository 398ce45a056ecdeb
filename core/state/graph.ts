/**
 * Dependency graph over issues: blockers, ready work, cycle checks. Pure functions of `Issue[]`.
 *
 * Edges point from the waiting issue to the issue it waits for: `A depends-on B` and `B blocks A`
 * both give A -> B. Local operations refuse a link that would close a cycle
 * (`pathBetween`), but two peers can each add half of a cycle concurrently and the CRDT merges both,
 * so readers never assume acyclicity: `findCycles` reports them and an issue in a cycle is simply
 * never ready (each member waits on an open one).
 */
import type { Issue } from './schema.ts'

export type Graph = Map<string, Set<string>>

/** Waiting issue -> the issues it waits for. Links to ids that are not on the board are ignored. */
export function blockingGraph (issues: Issue[]): Graph {
  const ids = new Set(issues.map(i => i.id))
  const g: Graph = new Map(issues.map(i => [i.id, new Set<string>()]))
  for (const i of issues) {
    for (const l of i.links) {
      if (!ids.has(l.target)) continue
      if (l.type === 'depends-on') g.get(i.id)?.add(l.target)
      else if (l.type === 'blocks') g.get(l.target)?.add(i.id)
    }
  }
  return g
}

/** Child -> parent edges. */
export function parentGraph (issues: Issue[]): Graph {
  const g: Graph = new Map(issues.map(i => [i.id, new Set<string>()]))
  for (const i of issues) if (i.parent != null && g.has(i.parent)) g.get(i.id)?.add(i.parent)
  return g
}

/** A path `from -> ... -> to` in `g`, or null. Breadth-first so the reported cycle is shortest. */
export function pathBetween (g: Graph, from: string, to: string): string[] | null {
  if (from === to) return [from]
  const prev = new Map<string, string>([[from, from]])
  const queue = [from]
  while (queue.length > 0) {
    const cur = queue.shift() as string
    for (const next of g.get(cur) ?? []) {
      if (prev.has(next)) continue
      prev.set(next, cur)
      if (next === to) {
        const path = [to]
        let p = to
        while (p !== from) { p = prev.get(p) as string; path.unshift(p) }
        return path
      }
      queue.push(next)
    }
  }
  return null
}

/** Would adding edge `from -> to` close a cycle? Returns the cycle (starting and ending at `from`). */
export function cycleIfAdded (g: Graph, from: string, to: string): string[] | null {
  const back = pathBetween(g, to, from)
  return back == null ? null : [from, ...back]
}

export function blockersOf (issue: Issue, g: Graph): string[] {
  return [...(g.get(issue.id) ?? [])].sort()
}

/** Open work whose blockers are all closed, most urgent first (priority, then oldest). */
export function readyIssues (issues: Issue[]): Issue[] {
  const g = blockingGraph(issues)
  const byId = new Map(issues.map(i => [i.id, i]))
  return issues
    .filter(i => i.status === 'open' || i.status === 'in_progress')
    .filter(i => [...(g.get(i.id) ?? [])].every(b => byId.get(b)?.status === 'closed'))
    .sort((a, b) => a.priority - b.priority || a.createdAt - b.createdAt || a.id.localeCompare(b.id))
}

/** Strongly connected components with more than one member (or a self-loop): Tarjan's algorithm. */
export function findCycles (g: Graph): string[][] {
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const out: string[][] = []
  // Iterative to stay safe on long chains written by a hostile peer.
  for (const root of [...g.keys()].sort()) {
    if (idx.has(root)) continue
    const work: Array<{ v: string, it: Iterator<string> }> = []
    const visit = (v: string): void => {
      idx.set(v, index); low.set(v, index); index++
      stack.push(v); onStack.add(v)
      work.push({ v, it: (g.get(v) ?? new Set()).values() })
    }
    visit(root)
    while (work.length > 0) {
      const top = work[work.length - 1]
      const n = top.it.next()
      if (n.done !== true) {
        const w = n.value
        if (!idx.has(w)) visit(w)
        else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v) as number, idx.get(w) as number))
        continue
      }
      work.pop()
      if (work.length > 0) {
        const parent = work[work.length - 1].v
        low.set(parent, Math.min(low.get(parent) as number, low.get(top.v) as number))
      }
      if (low.get(top.v) === idx.get(top.v)) {
        const comp: string[] = []
        let w: string
        do { w = stack.pop() as string; onStack.delete(w); comp.push(w) } while (w !== top.v)
        if (comp.length > 1 || (g.get(top.v)?.has(top.v) ?? false)) out.push(comp.sort())
      }
    }
  }
  return out
}
