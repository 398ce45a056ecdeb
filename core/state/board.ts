/**
 * The Beads-style issue board on a Y.Doc: create, update, comment, link, close/reopen, show, list,
 * ready, stats, export/import as JSON Lines.
 *
 * Layout in the document: `doc.getMap('issues')` maps an id to a Y.Map per issue, whose scalar
 * fields merge per field (two peers editing title and status concurrently both win), whose labels
 * and links are Y.Maps keyed by value (concurrent adds of the same label merge), and whose comments
 * are a Y.Array (concurrent comments interleave, none is lost). Writes validate first and then run
 * in one transaction, so an error never leaves half an edit; reads go through `readIssue`.
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import * as Y from 'yjs'
import { DependencyCycleError, ImportError, IssueNotFoundError, MissingIssueError, ValidationError } from './errors.ts'
import { blockersOf, blockingGraph, cycleIfAdded, findCycles, parentGraph, readyIssues } from './graph.ts'
import { DEFAULT_PREFIX, defaultRandom, mintIssueId } from './ids.ts'
import {
  checkEstimate, checkId, checkLabels, checkLinkType, checkPriority, checkProgress, checkStatus, checkText, checkType,
  BASE_FIELDS, BASE_KEY, fieldOf, LIMITS, linkKey, parseLinkKey, readIssue, STATUSES, ISSUE_TYPES,
  type Comment, type InvalidEntry, type Issue, type IssueType, type LinkType, type Status, type StoredLinkType
} from './schema.ts'
import { issueFromRecord } from './records.ts'
import { commentAdd, commentValues, setAdd, setEntries, setRemove } from './issue-sets.ts'

export interface BoardInit {
  doc: Y.Doc
  /** Who is acting: the peer id, written into comments and `createdBy`. */
  actor: string
  /** @default 'nc' */
  prefix?: string
  /** @default Date.now */
  now?: () => number
  /** @default crypto.getRandomValues */
  random?: (n: number) => Uint8Array
}

export interface IssueInput {
  title: string
  type?: IssueType
  description?: string
  status?: Status
  priority?: number
  progress?: number
  parent?: string | null
  labels?: string[]
  assignee?: string | null
  estimate?: number | null
}

export type IssuePatch = Partial<Omit<IssueInput, 'title'>> & { title?: string }

export interface IssueFilter {
  status?: Status[]
  priority?: number[]
  type?: IssueType[]
  label?: string[]
  assignee?: string
  parent?: string
}

export interface IssueDetail extends Issue {
  blockedBy: string[]
  blocking: string[]
  children: string[]
}

export interface BoardStats {
  total: number
  invalid: number
  byStatus: Record<Status, number>
  byType: Record<IssueType, number>
  byPriority: Record<string, number>
  ready: number
}

export class Board {
  readonly doc: Y.Doc
  readonly issues: Y.Map<unknown>
  private readonly actor: string
  private readonly prefix: string
  private readonly now: () => number
  private readonly random: (n: number) => Uint8Array

  constructor (init: BoardInit) {
    this.doc = init.doc
    this.issues = init.doc.getMap('issues')
    this.actor = init.actor
    this.prefix = init.prefix ?? DEFAULT_PREFIX
    this.now = init.now ?? Date.now
    this.random = init.random ?? defaultRandom
  }

  /** Every valid issue and every invalid entry, read defensively. */
  readAll (): { issues: Issue[], invalid: InvalidEntry[] } {
    const issues: Issue[] = []
    const invalid: InvalidEntry[] = []
    for (const [key, value] of this.issues.entries()) {
      const r = readIssue(key, value)
      if (r.ok) issues.push(r.issue)
      else invalid.push(r.invalid)
    }
    issues.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
    return { issues, invalid }
  }

  get (id: string): Issue {
    const r = readIssue(id, this.issues.get(id))
    if (!r.ok) throw new IssueNotFoundError(id)
    return r.issue
  }

  has (id: string): boolean {
    return readIssue(id, this.issues.get(id)).ok
  }

  create (input: IssueInput): Issue {
    const title = checkText('title', input.title, LIMITS.title, { nonEmpty: true })
    const fields = this.checkPatch({ ...input, title })
    if (fields.parent != null) this.requireIssue(fields.parent, 'parent')
    const at = this.now()
    const id = mintIssueId({ actor: this.actor, now: this.now, random: this.random }, this.prefix, k => this.issues.has(k))
    this.doc.transact(() => {
      const m = new Y.Map<unknown>()
      this.issues.set(id, m)
      // the scalars as one entry (./schema.ts BASE_KEY); later edits set their own keys
      const base: Record<typeof BASE_FIELDS[number], unknown> = {
        id,
        type: fields.type ?? 'task',
        title,
        description: fields.description ?? '',
        status: fields.status ?? 'open',
        priority: fields.priority ?? 2,
        progress: fields.progress ?? 0,
        parent: fields.parent ?? null,
        assignee: fields.assignee ?? null,
        estimate: fields.estimate ?? null,
        createdAt: at,
        updatedAt: at,
        createdBy: this.actor
      }
      m.set(BASE_KEY, base)
      // labels, links and comments are keys of `m` (./issue-sets.ts), not nested types
      for (const l of fields.labels ?? []) setAdd(m, 'labels', l)
    })
    return this.get(id)
  }

  update (id: string, patch: IssuePatch): Issue {
    const m = this.mapOf(id)
    const fields = this.checkPatch(patch)
    if (fields.parent != null) this.checkParent(id, fields.parent)
    this.doc.transact(() => {
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined || k === 'labels') continue
        m.set(k, v)
      }
      if (fields.labels !== undefined) {
        const labels = setEntries(m, 'labels')
        for (const l of labels.keys()) if (!fields.labels.includes(l)) setRemove(m, 'labels', l)
        for (const l of fields.labels) if (!labels.has(l)) setAdd(m, 'labels', l)
      }
      m.set('updatedAt', this.now())
    })
    return this.get(id)
  }

  comment (id: string, text: string): Comment {
    const m = this.mapOf(id)
    const body = checkText('comment', text, LIMITS.comment, { nonEmpty: true })
    if (commentValues(m).length >= LIMITS.comments) throw new ValidationError(`at most ${LIMITS.comments} comments per issue`, 'comment')
    const at = this.now()
    const bytes = this.random(4)
    const c: Comment = { id: `${at.toString(36)}${bytesToHex(bytes)}`, author: this.actor, at, text: body }
    this.doc.transact(() => {
      commentAdd(m, c)
      m.set('updatedAt', at)
    })
    return c
  }

  link (id: string, type: LinkType, target: string): Issue {
    checkLinkType(type)
    checkId(target, 'target')
    const m = this.mapOf(id)
    this.requireIssue(target, 'target')
    if (target === id) throw new DependencyCycleError(`an issue cannot link to itself (${id})`, [id, id])
    if (type === 'parent-child') return this.update(id, { parent: target })
    if (type !== 'related') {
      const [from, to] = type === 'depends-on' ? [id, target] : [target, id]
      const cycle = cycleIfAdded(blockingGraph(this.readAll().issues), from, to)
      if (cycle != null) throw new DependencyCycleError(`link would close a dependency cycle: ${cycle.join(' -> ')}`, cycle)
    }
    if (setEntries(m, 'links').size >= LIMITS.links) throw new ValidationError(`at most ${LIMITS.links} links per issue`, 'links')
    this.doc.transact(() => {
      setAdd(m, 'links', linkKey(type, target))
      m.set('updatedAt', this.now())
    })
    return this.get(id)
  }

  unlink (id: string, type: LinkType, target: string): Issue {
    checkLinkType(type)
    const m = this.mapOf(id)
    if (type === 'parent-child') {
      if (fieldOf(m, m.get(BASE_KEY), 'parent') !== target) throw new MissingIssueError(`${id} has no parent ${target}`, 'target')
      return this.update(id, { parent: null })
    }
    const key = linkKey(type, target)
    if (!setEntries(m, 'links').has(key)) throw new MissingIssueError(`${id} has no '${type}' link to ${target}`, 'target')
    this.doc.transact(() => {
      setRemove(m, 'links', key)
      m.set('updatedAt', this.now())
    })
    return this.get(id)
  }

  /** Adds and removes labels one by one (concurrent label edits on other peers merge). */
  relabel (id: string, add: string[], remove: string[] = []): Issue {
    const m = this.mapOf(id)
    const adding = add.length > 0 ? checkLabels(add) : []
    const removing = remove.map(l => l.trim())
    const labels = setEntries(m, 'labels')
    const after = new Set([...labels.keys()].filter(l => !removing.includes(l)).concat(adding))
    if (after.size > LIMITS.labels) throw new ValidationError(`at most ${LIMITS.labels} labels`, 'labels')
    this.doc.transact(() => {
      for (const l of removing) setRemove(m, 'labels', l)
      for (const l of adding) if (!labels.has(l)) setAdd(m, 'labels', l)
      m.set('updatedAt', this.now())
    })
    return this.get(id)
  }

  /**
   * Removes an issue from the board for every peer, and every link to it (their `parent` too),
   * in one transaction. Returns the issues whose links changed.
   */
  delete (id: string): { deleted: string, unlinked: string[] } {
    this.mapOf(id)
    const unlinked: string[] = []
    this.doc.transact(() => {
      this.issues.delete(id)
      for (const [key, value] of this.issues.entries()) {
        if (!readIssue(key, value).ok) continue
        const m = value as Y.Map<unknown>
        const stale = [...setEntries(m, 'links').keys()].filter(k => parseLinkKey(k)?.target === id)
        for (const k of stale) setRemove(m, 'links', k)
        const orphan = fieldOf(m, m.get(BASE_KEY), 'parent') === id
        if (orphan) m.set('parent', null)
        if (stale.length > 0 || orphan) {
          m.set('updatedAt', this.now())
          unlinked.push(key)
        }
      }
    })
    return { deleted: id, unlinked: unlinked.sort() }
  }

  close (id: string, reason?: string): Issue {
    if (reason != null && reason !== '') this.comment(id, reason)
    return this.update(id, { status: 'closed' })
  }

  reopen (id: string): Issue {
    return this.update(id, { status: 'open' })
  }

  show (id: string): IssueDetail {
    const issue = this.get(id)
    const all = this.readAll().issues
    const g = blockingGraph(all)
    return {
      ...issue,
      blockedBy: blockersOf(issue, g),
      blocking: [...g.entries()].filter(([, to]) => to.has(id)).map(([from]) => from).sort(),
      children: all.filter(i => i.parent === id).map(i => i.id)
    }
  }

  list (filter: IssueFilter = {}): Issue[] {
    return this.readAll().issues.filter(i =>
      (filter.status == null || filter.status.includes(i.status)) &&
      (filter.priority == null || filter.priority.includes(i.priority)) &&
      (filter.type == null || filter.type.includes(i.type)) &&
      (filter.label == null || filter.label.every(l => i.labels.includes(l))) &&
      (filter.assignee == null || i.assignee === filter.assignee) &&
      (filter.parent == null || i.parent === filter.parent))
  }

  ready (): Issue[] {
    return readyIssues(this.readAll().issues)
  }

  /** Dependency cycles present in the merged state (possible after concurrent edits). */
  cycles (): string[][] {
    const all = this.readAll().issues
    return [...findCycles(blockingGraph(all)), ...findCycles(parentGraph(all))]
  }

  invalid (): InvalidEntry[] {
    return this.readAll().invalid
  }

  stats (): BoardStats {
    const { issues, invalid } = this.readAll()
    const byStatus = Object.fromEntries(STATUSES.map(s => [s, 0])) as Record<Status, number>
    const byType = Object.fromEntries(ISSUE_TYPES.map(t => [t, 0])) as Record<IssueType, number>
    const byPriority: Record<string, number> = { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0 }
    for (const i of issues) { byStatus[i.status]++; byType[i.type]++; byPriority[i.priority]++ }
    return { total: issues.length, invalid: invalid.length, byStatus, byType, byPriority, ready: readyIssues(issues).length }
  }

  /** One JSON object per line, oldest first: the full issue including comments and links. */
  exportJsonl (): string {
    return this.readAll().issues.map(i => JSON.stringify(i)).join('\n') + '\n'
  }

  /**
   * Imports JSON Lines written by `exportJsonl` (ids are kept). All lines are checked first; any
   * error throws `ImportError` and nothing is applied. Existing ids are replaced when `replace`.
   */
  importJsonl (text: string, opts: { replace?: boolean } = {}): { created: number, replaced: number, skipped: number } {
    const records: Issue[] = []
    const lines = text.split('\n')
    lines.forEach((line, n) => {
      if (line.trim() === '') return
      let obj: unknown
      try { obj = JSON.parse(line) } catch { throw new ImportError('not JSON', n + 1) }
      try { records.push(issueFromRecord(obj)) } catch (err) {
        throw new ImportError(err instanceof Error ? err.message : String(err), n + 1)
      }
    })
    const existing = this.readAll().issues
    const incoming = new Map(records.map(r => [r.id, r]))
    const merged = new Map(existing.map(i => [i.id, i]))
    for (const r of records) if (opts.replace === true || !merged.has(r.id)) merged.set(r.id, r)
    records.forEach((r) => {
      for (const t of [...r.links.map(l => l.target), ...(r.parent != null ? [r.parent] : [])]) {
        if (!merged.has(t)) throw new ImportError(`${r.id} links to missing issue ${t}`, lines.findIndex(l => l.includes(`"id":"${r.id}"`)) + 1)
      }
    })
    const all = [...merged.values()]
    const cycles = [...findCycles(blockingGraph(all)), ...findCycles(parentGraph(all))]
    if (cycles.length > 0) throw new ImportError(`import would create a dependency cycle: ${cycles[0].join(', ')}`, 0)
    let created = 0; let replaced = 0; let skipped = 0
    this.doc.transact(() => {
      for (const r of incoming.values()) {
        const exists = this.issues.has(r.id)
        if (exists && opts.replace !== true) { skipped++; continue }
        if (exists) replaced++
        else created++
        this.issues.set(r.id, issueToYMap(r))
      }
    })
    return { created, replaced, skipped }
  }

  // ---- internals ----

  private mapOf (id: string): Y.Map<unknown> {
    const value = this.issues.get(id)
    if (!readIssue(id, value).ok) throw new IssueNotFoundError(id)
    return value as Y.Map<unknown>
  }

  private requireIssue (id: string, field: string): void {
    checkId(id, field)
    if (!this.has(id)) throw new MissingIssueError(`no issue '${id}' to link to`, field)
  }

  private checkParent (id: string, parent: string): void {
    this.requireIssue(parent, 'parent')
    const cycle = cycleIfAdded(parentGraph(this.readAll().issues), id, parent)
    if (cycle != null) throw new DependencyCycleError(`parent would close a cycle: ${cycle.join(' -> ')}`, cycle)
  }

  private checkPatch (p: IssuePatch): IssuePatch {
    const out: IssuePatch = {}
    if (p.title !== undefined) out.title = checkText('title', p.title, LIMITS.title, { nonEmpty: true })
    if (p.type !== undefined) out.type = checkType(p.type)
    if (p.description !== undefined) out.description = checkText('description', p.description, LIMITS.description)
    if (p.status !== undefined) out.status = checkStatus(p.status)
    if (p.priority !== undefined) out.priority = checkPriority(p.priority)
    if (p.progress !== undefined) out.progress = checkProgress(p.progress)
    if (p.parent !== undefined) out.parent = p.parent === null ? null : checkId(p.parent, 'parent')
    if (p.labels !== undefined) out.labels = checkLabels(p.labels)
    if (p.assignee !== undefined) out.assignee = p.assignee === null ? null : checkText('assignee', p.assignee, LIMITS.assignee)
    if (p.estimate !== undefined) out.estimate = checkEstimate(p.estimate)
    return out
  }
}

/** Builds the Y.Map of a full, already validated issue (import path). */
function issueToYMap (r: Issue): Y.Map<unknown> {
  const m = new Y.Map<unknown>()
  const { labels, comments, links, ...scalars } = r
  m.set(BASE_KEY, { ...scalars })
  for (const l of labels) setAdd(m, 'labels', l)
  for (const c of comments) commentAdd(m, { ...c })
  for (const l of links) setAdd(m, 'links', linkKey(l.type as StoredLinkType, l.target))
  return m
}

export function createBoard (init: BoardInit): Board {
  return new Board(init)
}
