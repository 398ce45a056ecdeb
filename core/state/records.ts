/**
 * Plain-object issue records (the JSON Lines export format) checked field by field on the way in.
 * Import is a public boundary: every field gets the same typed checks as a local edit.
 */
import { ValidationError } from './errors.ts'
import {
  checkEstimate, checkId, checkLabels, checkPriority, checkProgress, checkStatus, checkText, checkType,
  LIMITS, parseLinkKey, type Comment, type Issue, type Link
} from './schema.ts'

function time (v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ValidationError(`${field} must be a timestamp`, field)
  return v
}

function comment (v: unknown): Comment {
  if (v == null || typeof v !== 'object') throw new ValidationError('comment must be an object', 'comments')
  const c = v as Record<string, unknown>
  return {
    id: checkText('comment id', c.id, 64, { nonEmpty: true }),
    author: checkText('comment author', c.author, 200),
    at: time(c.at, 'comment at'),
    text: checkText('comment', c.text, LIMITS.comment)
  }
}

function link (v: unknown): Link {
  if (v == null || typeof v !== 'object') throw new ValidationError('link must be an object', 'links')
  const l = v as Record<string, unknown>
  const parsed = parseLinkKey(`${String(l.type)} ${String(l.target)}`)
  if (parsed == null) throw new ValidationError(`bad link ${JSON.stringify(v)}`, 'links')
  return parsed
}

export function issueFromRecord (obj: unknown): Issue {
  if (obj == null || typeof obj !== 'object' || Array.isArray(obj)) throw new ValidationError('record must be an object')
  const r = obj as Record<string, unknown>
  const comments = r.comments ?? []
  const links = r.links ?? []
  if (!Array.isArray(comments) || comments.length > LIMITS.comments) throw new ValidationError('comments must be a list', 'comments')
  if (!Array.isArray(links) || links.length > LIMITS.links) throw new ValidationError('links must be a list', 'links')
  return {
    id: checkId(r.id),
    type: checkType(r.type),
    title: checkText('title', r.title, LIMITS.title, { nonEmpty: true }),
    description: checkText('description', r.description ?? '', LIMITS.description),
    status: checkStatus(r.status),
    priority: checkPriority(r.priority),
    progress: checkProgress(r.progress ?? 0),
    parent: r.parent == null ? null : checkId(r.parent, 'parent'),
    labels: checkLabels(r.labels ?? []),
    assignee: r.assignee == null ? null : checkText('assignee', r.assignee, LIMITS.assignee),
    estimate: checkEstimate(r.estimate ?? null),
    comments: comments.map(comment),
    links: links.map(link),
    createdAt: time(r.createdAt, 'createdAt'),
    updatedAt: time(r.updatedAt, 'updatedAt'),
    createdBy: checkText('createdBy', r.createdBy ?? '', 200)
  }
}
