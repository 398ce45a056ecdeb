/**
 * The issue schema: field types, limits, input validation and the defensive reader.
 *
 * The board lives in a CRDT that any peer may write anything into, so there are two gates: every
 * local operation validates its input and throws a typed error (./errors.ts) before touching the
 * document, and every read goes through `readIssue`, which turns whatever is in the document into
 * either a well-typed `Issue` or an `InvalidEntry` with a reason. Nothing downstream ever sees an
 * unchecked value, so a hostile entry is reported and skipped instead of crashing a peer or page.
 */
import * as Y from 'yjs'
import {
  OversizeTextError, PriorityRangeError, ProgressRangeError, UnknownStatusError, UnknownTypeError, ValidationError
} from './errors.ts'
import { commentValues, nestedShapeOk, setEntries } from './issue-sets.ts'

export const ISSUE_TYPES = ['epic', 'task', 'bug', 'feature', 'chore'] as const
export const STATUSES = ['open', 'in_progress', 'blocked', 'closed'] as const
/** `parent-child` is stored as the `parent` field; the other three live in `links`. */
export const LINK_TYPES = ['depends-on', 'blocks', 'related', 'parent-child'] as const

export type IssueType = typeof ISSUE_TYPES[number]
export type Status = typeof STATUSES[number]
export type LinkType = typeof LINK_TYPES[number]
export type StoredLinkType = Exclude<LinkType, 'parent-child'>

export const LIMITS = {
  title: 200,
  description: 16_384,
  comment: 4_096,
  label: 48,
  labels: 32,
  assignee: 100,
  comments: 1_000,
  links: 200
} as const

/** Ids: a prefix, a dash, then 4–12 lowercase base-36 characters (see ./ids.ts). */
export const ID_PATTERN = /^[a-z][a-z0-9]{0,7}-[0-9a-z]{4,12}$/

export interface Comment {
  id: string
  author: string
  at: number
  text: string
}

export interface Link {
  type: StoredLinkType
  target: string
}

export interface Issue {
  id: string
  type: IssueType
  title: string
  description: string
  status: Status
  priority: number
  progress: number
  parent: string | null
  labels: string[]
  assignee: string | null
  /** Estimated effort in minutes. */
  estimate: number | null
  comments: Comment[]
  links: Link[]
  createdAt: number
  updatedAt: number
  createdBy: string
}

export interface InvalidEntry {
  id: string
  reason: string
}

export type ReadResult = { ok: true, issue: Issue, skippedComments: number, skippedLinks: number } | { ok: false, invalid: InvalidEntry }

// ---- input validation (local operations) ----

export function checkType (v: unknown): IssueType {
  if (typeof v !== 'string' || !(ISSUE_TYPES as readonly string[]).includes(v)) {
    throw new UnknownTypeError(`unknown type '${String(v)}' (expected ${ISSUE_TYPES.join(', ')})`, 'type')
  }
  return v as IssueType
}

export function checkStatus (v: unknown): Status {
  if (typeof v !== 'string' || !(STATUSES as readonly string[]).includes(v)) {
    throw new UnknownStatusError(`unknown status '${String(v)}' (expected ${STATUSES.join(', ')})`, 'status')
  }
  return v as Status
}

export function checkPriority (v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 4) {
    throw new PriorityRangeError(`priority must be an integer 0–4 (got ${String(v)})`, 'priority')
  }
  return v
}

export function checkProgress (v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) {
    throw new ProgressRangeError(`progress must be an integer 0–100 (got ${String(v)})`, 'progress')
  }
  return v
}

export function checkText (field: string, v: unknown, max: number, opts: { nonEmpty?: boolean } = {}): string {
  if (typeof v !== 'string') throw new ValidationError(`${field} must be text`, field)
  if (v.length > max) throw new OversizeTextError(`${field} is ${v.length} characters; the limit is ${max}`, field)
  if (opts.nonEmpty === true && v.trim() === '') throw new ValidationError(`${field} must not be empty`, field)
  return v
}

export function checkLabels (v: unknown): string[] {
  if (!Array.isArray(v)) throw new ValidationError('labels must be a list', 'labels')
  if (v.length > LIMITS.labels) throw new OversizeTextError(`at most ${LIMITS.labels} labels`, 'labels')
  const out = v.map(l => checkText('label', l, LIMITS.label, { nonEmpty: true }).trim())
  return [...new Set(out)].sort()
}

export function checkEstimate (v: unknown): number | null {
  if (v === null) return null
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1_000_000) {
    throw new ValidationError(`estimate must be whole minutes, 0–1000000 (got ${String(v)})`, 'estimate')
  }
  return v
}

export function checkLinkType (v: unknown): LinkType {
  if (typeof v !== 'string' || !(LINK_TYPES as readonly string[]).includes(v)) {
    throw new ValidationError(`unknown link type '${String(v)}' (expected ${LINK_TYPES.join(', ')})`, 'type')
  }
  return v as LinkType
}

export function checkId (v: unknown, field = 'id'): string {
  if (typeof v !== 'string' || !ID_PATTERN.test(v)) throw new ValidationError(`'${String(v)}' is not an issue id`, field)
  return v
}

// ---- defensive reading (whatever a peer wrote) ----

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
const isNullableString = (v: unknown, max: number): v is string | null => v === null || (typeof v === 'string' && v.length <= max)

function readComment (v: unknown): Comment | null {
  if (v == null || typeof v !== 'object' || Array.isArray(v)) return null
  const c = v as Record<string, unknown>
  if (typeof c.id !== 'string' || c.id.length > 64) return null
  if (typeof c.author !== 'string' || c.author.length > 200) return null
  if (!isTime(c.at) || typeof c.text !== 'string' || c.text.length > LIMITS.comment) return null
  return { id: c.id, author: c.author, at: c.at, text: c.text }
}

/**
 * An issue's scalar fields as created, in one map entry (issue 21: memory per write).
 *
 * A Yjs map entry costs a replica ~250–400 bytes of heap whatever its value (an `Item`, its `ID`, the
 * content, the key), so an issue created as 13 entries held ~4 KB for its scalars alone. `create`
 * and `import` now write them as one object under `BASE_KEY`; every later edit still sets the field's
 * own key, which wins over the base (`fieldOf`). Edits keep their per-field merge: two peers editing
 * different fields write different keys, as before, and the base is written once, with the map, and
 * never again. Issues written before (one key per field, no base) read the same.
 */
export const BASE_KEY = 'base'

/** Scalar fields that `create` writes into the base entry. */
export const BASE_FIELDS = [
  'id', 'type', 'title', 'description', 'status', 'priority', 'progress', 'parent', 'assignee', 'estimate',
  'createdAt', 'updatedAt', 'createdBy'
] as const

/** A field's value: its own key if set, else the base entry's (own properties of a plain object only). */
export function fieldOf (m: Y.Map<unknown>, base: unknown, name: string): unknown {
  if (m.has(name)) return m.get(name)
  if (base == null || typeof base !== 'object' || Array.isArray(base) || !Object.hasOwn(base, name)) return undefined
  return (base as Record<string, unknown>)[name]
}

/** Reads one `issues` map entry. Never throws. */
export function readIssue (key: string, value: unknown): ReadResult {
  const bad = (reason: string): ReadResult => ({ ok: false, invalid: { id: key.slice(0, 64), reason } })
  if (!ID_PATTERN.test(key)) return bad('key is not an issue id')
  if (!(value instanceof Y.Map)) return bad('entry is not a map')
  const m = value as Y.Map<unknown>
  const base = m.get(BASE_KEY)
  const f = (name: string): unknown => fieldOf(m, base, name)
  if (f('id') !== key) return bad('id does not match its key')
  const type = f('type')
  if (typeof type !== 'string' || !(ISSUE_TYPES as readonly string[]).includes(type)) return bad('unknown type')
  const status = f('status')
  if (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status)) return bad('unknown status')
  const title = f('title')
  if (typeof title !== 'string' || title.length > LIMITS.title) return bad('title missing or too long')
  const description = f('description')
  if (typeof description !== 'string' || description.length > LIMITS.description) return bad('description missing or too long')
  const priority = f('priority')
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 4) return bad('priority out of range')
  const progress = f('progress')
  if (typeof progress !== 'number' || !Number.isInteger(progress) || progress < 0 || progress > 100) return bad('progress out of range')
  const parent = f('parent')
  if (parent !== null && (typeof parent !== 'string' || !ID_PATTERN.test(parent))) return bad('parent is not an id')
  const assignee = f('assignee')
  if (!isNullableString(assignee, LIMITS.assignee)) return bad('assignee is not text')
  const estimate = f('estimate')
  if (estimate !== null && (typeof estimate !== 'number' || !Number.isInteger(estimate) || estimate < 0)) return bad('estimate is not minutes')
  const createdAt = f('createdAt')
  const updatedAt = f('updatedAt')
  if (!isTime(createdAt) || !isTime(updatedAt)) return bad('times are not timestamps')
  const createdBy = f('createdBy')
  if (typeof createdBy !== 'string' || createdBy.length > 200) return bad('createdBy is not text')
  if (!nestedShapeOk(m, 'labels') || !nestedShapeOk(m, 'comments') || !nestedShapeOk(m, 'links')) return bad('labels, comments or links have the wrong shape')
  // Collections (./issue-sets.ts: keys of the issue's map, or nested types in the earlier layout):
  // bad elements are skipped one by one (and counted), the issue stays readable.
  const labels = [...setEntries(m, 'labels').keys()].filter(l => l.length > 0 && l.length <= LIMITS.label).sort().slice(0, LIMITS.labels)
  let skippedComments = 0
  const comments: Comment[] = []
  for (const raw of commentValues(m).slice(0, LIMITS.comments)) {
    const c = readComment(raw)
    if (c == null) skippedComments++
    else comments.push(c)
  }
  // time order; one author's comments of the same millisecond stay in the order written (a stable
  // sort over keys in clock order), different authors' by author
  comments.sort((a, b) => a.at - b.at || (a.author < b.author ? -1 : a.author > b.author ? 1 : 0))
  let skippedLinks = 0
  const links: Link[] = []
  for (const [k, v] of setEntries(m, 'links')) {
    const link = parseLinkKey(k)
    if (link == null || v !== true || links.length >= LIMITS.links) skippedLinks++
    else links.push(link)
  }
  links.sort((a, b) => a.type.localeCompare(b.type) || a.target.localeCompare(b.target))
  return {
    ok: true,
    skippedComments,
    skippedLinks,
    issue: {
      id: key, type: type as IssueType, title, description, status: status as Status, priority, progress,
      parent: parent as string | null, labels, assignee: assignee as string | null, estimate: estimate as number | null,
      comments, links, createdAt, updatedAt, createdBy
    }
  }
}

/** Links are stored as keys `<type> <target>` -> true, so concurrent adds of the same link merge. */
export function linkKey (type: StoredLinkType, target: string): string {
  return `${type} ${target}`
}

export function parseLinkKey (k: string): Link | null {
  const sp = k.indexOf(' ')
  if (sp < 0) return null
  const type = k.slice(0, sp)
  const target = k.slice(sp + 1)
  if (!['depends-on', 'blocks', 'related'].includes(type) || !ID_PATTERN.test(target)) return null
  return { type: type as StoredLinkType, target }
}
