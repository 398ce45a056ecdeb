/**
 * The state operations the CLI can ask for, as plain JSON in and out: one dispatcher used both
 * in-process (the CLI opened the data dir itself) and by a running peer's control endpoint, so
 * both paths run exactly the same code. Values are checked by the board and memory store.
 *
 * Ops live in tables keyed by their name (`issues.*`, `memory.*`); a subsystem adds its own table
 * to `OP_TABLES` (one line) and the control endpoint serves it. Every op that takes an issue `id`
 * accepts a unique prefix of it (core/state/queries.ts).
 */
import type * as Y from 'yjs'
import { Board, type IssueFilter, type IssuePatch } from '../../core/state/board.ts'
import { StateError, ValidationError } from '../../core/state/errors.ts'
import { MemoryStore, readEntry, entryKey, type MemoryEntry } from '../../core/state/memory.ts'
import { blockedIssues, dependencyTree, resolveIssueId } from '../../core/state/queries.ts'
import type { LinkType } from '../../core/state/schema.ts'

export type OpArgs = Record<string, unknown>

export interface OpTarget {
  doc: Y.Doc
  actor: string
  now?: () => number
}

/** What an op handler gets: the document's board and memory store, built once per call. */
export interface OpContext {
  target: OpTarget
  board: Board
  memory: MemoryStore
}

export type OpHandler = (ctx: OpContext, args: OpArgs) => unknown
export type OpTable = Record<string, OpHandler>

const s = (a: OpArgs, k: string): string => {
  const v = a[k]
  if (typeof v !== 'string') throw new ValidationError(`${k} must be text`, k)
  return v
}
const strings = (a: OpArgs, k: string): string[] => {
  const v = a[k]
  if (!Array.isArray(v) || !v.every(x => typeof x === 'string')) throw new ValidationError(`${k} must be a list of text`, k)
  return v as string[]
}
/** The full id that `args[k]` (an id or a unique prefix of one) means. */
const id = (c: OpContext, a: OpArgs, k = 'id'): string => resolveIssueId(c.board.issues.keys(), s(a, k))

export const ISSUE_OPS: OpTable = {
  'issues.create': (c, a) => c.board.create(a as never),
  'issues.update': (c, a) => c.board.update(id(c, a), (a.patch ?? {}) as IssuePatch),
  'issues.comment': (c, a) => c.board.comment(id(c, a), s(a, 'text')),
  'issues.link': (c, a) => c.board.link(id(c, a), s(a, 'type') as LinkType, id(c, a, 'target')),
  'issues.unlink': (c, a) => c.board.unlink(id(c, a), s(a, 'type') as LinkType, id(c, a, 'target')),
  'issues.close': (c, a) => {
    const i = id(c, a)
    // closing a closed issue changes nothing (no second comment) and says so
    if (c.board.get(i).status === 'closed') return { issue: c.board.get(i), wasClosed: true }
    return { issue: c.board.close(i, typeof a.reason === 'string' ? a.reason : undefined), wasClosed: false }
  },
  'issues.reopen': (c, a) => c.board.reopen(id(c, a)),
  'issues.show': (c, a) => c.board.show(id(c, a)),
  'issues.list': (c, a) => ({ issues: c.board.list((a.filter ?? {}) as IssueFilter), invalid: c.board.invalid() }),
  'issues.ready': (c) => c.board.ready(),
  'issues.blocked': (c) => blockedIssues(c.board.readAll().issues),
  'issues.tree': (c, a) => dependencyTree(c.board.readAll().issues, id(c, a)),
  'issues.label': (c, a) => c.board.relabel(id(c, a), strings(a, 'add'), strings(a, 'remove')),
  'issues.delete': (c, a) => c.board.delete(id(c, a)),
  'issues.stats': (c) => ({ ...c.board.stats(), cycles: c.board.cycles() }),
  'issues.export': (c) => c.board.exportJsonl(),
  'issues.import': (c, a) => c.board.importJsonl(s(a, 'text'), { replace: a.replace === true })
}

export const MEMORY_OPS: OpTable = {
  'memory.store': (c, a) => c.memory.store(s(a, 'namespace'), s(a, 'key'), a.value, typeof a.ttlMs === 'number' ? { ttlMs: a.ttlMs } : {}),
  'memory.get': (c, a) => c.memory.get(s(a, 'namespace'), s(a, 'key')),
  'memory.delete': (c, a) => { c.memory.delete(s(a, 'namespace'), s(a, 'key')); return { deleted: true } },
  'memory.list': (c, a) => c.memory.list(typeof a.namespace === 'string' ? a.namespace : undefined),
  'memory.search': (c, a) => c.memory.search(a as never),
  'memory.stats': (c) => {
    const entries = c.memory.list()
    const byNamespace: Record<string, number> = {}
    for (const e of entries) byNamespace[e.namespace] = (byNamespace[e.namespace] ?? 0) + 1
    return {
      entries: entries.length,
      namespaces: Object.keys(byNamespace).length,
      byNamespace,
      withExpiry: entries.filter(e => e.expiresAt != null).length,
      valueBytes: entries.reduce((n, e) => n + JSON.stringify(e.value).length, 0),
      invalid: c.memory.invalidKeys().length
    }
  },
  'memory.clear': (c, a) => {
    const ns = s(a, 'namespace')
    const keys = c.memory.list(ns).map(e => e.key)
    c.target.doc.transact(() => { for (const k of keys) c.memory.delete(ns, k) })
    return { namespace: ns, deleted: keys.length }
  },
  'memory.putAll': (c, a) => {
    if (!Array.isArray(a.entries)) throw new ValidationError('entries must be a list', 'entries')
    const entries = a.entries.map((e: unknown, i: number) => {
      const r = e as Partial<MemoryEntry> | null
      const ok = readEntry(entryKey(String(r?.namespace), String(r?.key)), e)
      if (ok == null) throw new ValidationError(`entry ${i} does not match the schema`, 'entries')
      return ok
    })
    c.memory.putAll(entries, { replace: a.replace === true })
    return { restored: entries.length }
  }
}

/**
 * The operations that never change the document. The CLI's local path runs them without loading
 * the signing code (a third of `novacron issues list`'s start-up); `test/state/cli-ops.test.ts`
 * checks that each leaves the document's state vector unchanged. A new op is a write unless
 * listed here.
 */
export const READ_OPS: ReadonlySet<string> = new Set([
  'issues.show', 'issues.list', 'issues.ready', 'issues.blocked', 'issues.tree', 'issues.stats', 'issues.export',
  'memory.get', 'memory.list', 'memory.search', 'memory.stats'
])

/** Every op table the control endpoint serves (a new subsystem adds its table here). */
export const OP_TABLES: OpTable[] = [ISSUE_OPS, MEMORY_OPS]

export const OPS: string[] = OP_TABLES.flatMap(t => Object.keys(t))

export function runOp (target: OpTarget, op: string, args: OpArgs): unknown {
  const handler = OP_TABLES.find(t => Object.hasOwn(t, op))?.[op]
  if (handler == null) throw new StateError(`unknown operation '${op}'`)
  const ctx: OpContext = {
    target,
    board: new Board({ doc: target.doc, actor: target.actor, now: target.now }),
    memory: new MemoryStore({ doc: target.doc, actor: target.actor, now: target.now })
  }
  return handler(ctx, args)
}
