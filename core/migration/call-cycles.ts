/**
 * The functions of a module that can call themselves again, directly or through others: the nodes
 * of its call graph that lie on a cycle (a strongly connected component of two or more, or one with
 * an edge to itself).
 *
 * Why this is enough for poll points (loop-polls.ts): code that runs without end and makes no call
 * to an import either loops — every loop header has a poll point — or recurses, and a recursion
 * enters, again and again, some function on a cycle of the call graph. Code outside every loop and
 * every cycle runs a bounded number of instructions. So a poll point at the entry of each function
 * found here, besides those at loop headers, leaves no unbounded stretch without one, while leaf
 * and other non-recursive functions stay untouched (asyncify then leaves them alone too: putting a
 * poll at every function's entry made a recursive fib 5–8× slower, loop-polls.ts).
 *
 * Indirect calls are edges to every function the caller cannot rule out: the caller of
 * `call_indirect` (or any call through a reference) reaches each address-taken function (in a
 * table's element segment, or named by `ref.func`), through one extra node standing for "any
 * indirect call", so the graph stays linear in the module's size. Pure: graph in, names out, so it
 * is tested without binaryen; Tarjan's algorithm with an explicit stack (call graphs of big modules
 * are deep), time linear in nodes and edges.
 */

export interface CallGraph {
  /** every defined function's direct callees (names of defined functions; imports left out) */
  calls: Map<string, Set<string>>
  /** functions that make an indirect call */
  indirect: Set<string>
  /** functions an indirect call may reach */
  addressTaken: Set<string>
}

/** The functions on a cycle of `g`'s call graph (indirect calls reaching every address-taken function). */
export function functionsOnCycles (g: CallGraph): Set<string> {
  // the node every indirect call goes through (a name no function has: binaryen names are never empty)
  const ANY = ''
  const targets = [...g.addressTaken].filter(f => g.calls.has(f))
  const edges = (f: string): string[] => {
    if (f === ANY) return [...targets]
    const direct = [...(g.calls.get(f) ?? [])].filter(c => g.calls.has(c))
    return g.indirect.has(f) ? [...direct, ANY] : direct
  }
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const out = new Set<string>()
  let next = 0
  for (const root of g.calls.keys()) {
    if (index.has(root)) continue
    // each frame: a node and the edges of it still to follow
    const work: Array<{ node: string, rest: string[] }> = []
    const enter = (n: string): void => {
      index.set(n, next); low.set(n, next); next++
      stack.push(n); onStack.add(n)
      work.push({ node: n, rest: edges(n) })
    }
    enter(root)
    while (work.length > 0) {
      const top = work[work.length - 1]
      const c = top.rest.pop()
      if (c != null) {
        if (!index.has(c)) enter(c)
        else if (onStack.has(c)) low.set(top.node, Math.min(low.get(top.node) as number, index.get(c) as number))
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent != null) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(top.node) as number))
      if (low.get(top.node) !== index.get(top.node)) continue
      // top is a component's root: pop the component
      const comp: string[] = []
      for (;;) {
        const m = stack.pop() as string
        onStack.delete(m)
        comp.push(m)
        if (m === top.node) break
      }
      if (comp.length > 1 || edges(top.node).includes(top.node)) for (const m of comp) if (m !== ANY) out.add(m)
    }
  }
  return out
}
