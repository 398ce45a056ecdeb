/**
 * The state operations the CLI can ask for, as plain JSON in and out: one dispatcher used both
 * in-process (the CLI opened the data dir itself) and by a running peer's control endpoint, so
 * both paths run exactly the same code. Values are checked by the board and memory store.
 */
import type * as Y from 'yjs'
import { Board, type IssueFilter, type IssuePatch } from '../../core/state/board.ts'
import { StateError, ValidationError } from '../../core/state/errors.ts'
import { MemoryStore, readEntry, entryKey, type MemoryEntry } from '../../core/state/memory.ts'
import type { LinkType } from '../../core/state/schema.ts'

export type OpArgs = Record<string, unknown>

export const OPS = [
  'issues.create', 'issues.update', 'issues.comment', 'issues.link', 'issues.unlink', 'issues.close', 'issues.reopen',
  'issues.show', 'issues.list', 'issues.ready', 'issues.stats', 'issues.export', 'issues.import',
  'memory.store', 'memory.get', 'memory.delete', 'memory.list', 'memory.search', 'memory.putAll'
] as const
export type OpName = typeof OPS[number]

export interface OpTarget {
  doc: Y.Doc
  actor: string
  now?: () => number
}

const s = (a: OpArgs, k: string): string => {
  const v = a[k]
  if (typeof v !== 'string') throw new ValidationError(`${k} must be text`, k)
  return v
}

export function runOp (target: OpTarget, op: string, args: OpArgs): unknown {
  const board = new Board({ doc: target.doc, actor: target.actor, now: target.now })
  const memory = new MemoryStore({ doc: target.doc, actor: target.actor, now: target.now })
  switch (op as OpName) {
    case 'issues.create': return board.create(args as never)
    case 'issues.update': return board.update(s(args, 'id'), (args.patch ?? {}) as IssuePatch)
    case 'issues.comment': return board.comment(s(args, 'id'), s(args, 'text'))
    case 'issues.link': return board.link(s(args, 'id'), s(args, 'type') as LinkType, s(args, 'target'))
    case 'issues.unlink': return board.unlink(s(args, 'id'), s(args, 'type') as LinkType, s(args, 'target'))
    case 'issues.close': return board.close(s(args, 'id'), typeof args.reason === 'string' ? args.reason : undefined)
    case 'issues.reopen': return board.reopen(s(args, 'id'))
    case 'issues.show': return board.show(s(args, 'id'))
    case 'issues.list': return { issues: board.list((args.filter ?? {}) as IssueFilter), invalid: board.invalid() }
    case 'issues.ready': return board.ready()
    case 'issues.stats': return { ...board.stats(), cycles: board.cycles() }
    case 'issues.export': return board.exportJsonl()
    case 'issues.import': return board.importJsonl(s(args, 'text'), { replace: args.replace === true })
    case 'memory.store': return memory.store(s(args, 'namespace'), s(args, 'key'), args.value, typeof args.ttlMs === 'number' ? { ttlMs: args.ttlMs } : {})
    case 'memory.get': return memory.get(s(args, 'namespace'), s(args, 'key'))
    case 'memory.delete': memory.delete(s(args, 'namespace'), s(args, 'key')); return { deleted: true }
    case 'memory.list': return memory.list(typeof args.namespace === 'string' ? args.namespace : undefined)
    case 'memory.search': return memory.search(args as never)
    case 'memory.putAll': {
      if (!Array.isArray(args.entries)) throw new ValidationError('entries must be a list', 'entries')
      const entries = args.entries.map((e: unknown, i: number) => {
        const r = e as Partial<MemoryEntry> | null
        const ok = readEntry(entryKey(String(r?.namespace), String(r?.key)), e)
        if (ok == null) throw new ValidationError(`entry ${i} does not match the schema`, 'entries')
        return ok
      })
      memory.putAll(entries, { replace: args.replace === true })
      return { restored: entries.length }
    }
    default: throw new StateError(`unknown operation '${op}'`)
  }
}
