/**
 * Reading Beads (`bd`) JSON Lines exports into our issue records, so a team moving from Beads
 * brings its board along with `novacron issues import issues.jsonl`.
 *
 * A Beads line looks like `{"id":"bd-a1b2","title":…,"status":"open","priority":1,
 * "issue_type":"bug","created_at":"2025-…Z","labels":[…],"dependencies":[{"issue_id":"bd-a1b2",
 * "depends_on_id":"bd-c3d4","type":"blocks"}],…}`. Every optional field may be missing and then takes
 * our default (type task, priority 2, status open, no labels, times = now). Mapping:
 * `issue_type` -> type (unknown kinds -> task); statuses other than ours (deferred, pinned, …) ->
 * open, `tombstone` lines are dropped; a title over our 200 characters is cut (in full in the description); `design` / `acceptance_criteria` / `notes` are appended to
 * the description under headings; `estimated_minutes` -> estimate; dependency `blocks` ->
 * depends-on, `parent-child` -> parent, `related` / `discovered-from` -> related. Ids that do not
 * fit our id pattern (`bd-1`, `proj-a1b2.3`, uppercase) get a stable new id derived from the old
 * one (`renamed` lists them). The result goes through the same checked import as our own export
 * (Board.importJsonl), so a Beads file gets no more trust than any other input.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { ImportError } from './errors.ts'
import { ID_PATTERN, ISSUE_TYPES, LIMITS, STATUSES, type Comment, type Link } from './schema.ts'

/** Whether a parsed JSON Lines record is Beads' shape rather than ours. */
export function isBeadsRecord (r: Record<string, unknown>): boolean {
  return 'issue_type' in r || 'created_at' in r || 'dependencies' in r || (typeof r.type !== 'string' && typeof r.id === 'string')
}

function time (v: unknown, fallback: number): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v
  if (typeof v === 'string') {
    const t = Date.parse(v)
    if (Number.isFinite(t) && t >= 0) return t
  }
  return fallback
}

/** A stable id of ours for a Beads id that does not fit ID_PATTERN. */
function mappedId (old: string, prefix: string): string {
  const lower = old.toLowerCase()
  if (ID_PATTERN.test(lower)) return lower
  const digest = sha256(new TextEncoder().encode(old))
  let n = 0n
  for (let i = 0; i < 8; i++) n = (n << 8n) | BigInt(digest[i])
  return `${prefix}-${n.toString(36).padStart(8, '0').slice(0, 8)}`
}

/**
 * Converts a JSON Lines text in which some or all lines are Beads records into our format.
 * Our own lines pass through unchanged. Bad JSON is an `ImportError` naming the line.
 */
export function beadsToJsonl (text: string, now: number, prefix = 'nc'): { text: string, converted: number, renamed: Record<string, string>, dropped: number } {
  const lines = text.split('\n')
  const parsed: Array<{ n: number, r: Record<string, unknown> } | null> = lines.map((line, n) => {
    if (line.trim() === '') return null
    let obj: unknown
    try { obj = JSON.parse(line) } catch { throw new ImportError('not JSON', n + 1) }
    if (obj == null || typeof obj !== 'object' || Array.isArray(obj)) throw new ImportError('not a JSON object', n + 1)
    return { n, r: obj as Record<string, unknown> }
  })
  const beads = parsed.filter((p): p is { n: number, r: Record<string, unknown> } => p != null && isBeadsRecord(p.r))
  const renamed: Record<string, string> = {}
  for (const { r } of beads) {
    if (typeof r.id !== 'string') continue
    const to = mappedId(r.id, prefix)
    if (to !== r.id) renamed[r.id] = to
  }
  const idOf = (v: unknown): string | null => typeof v === 'string' ? renamed[v] ?? v : null
  let dropped = 0
  const out: string[] = []
  for (const p of parsed) {
    if (p == null) continue
    if (!isBeadsRecord(p.r)) { out.push(JSON.stringify(p.r)); continue }
    const r = p.r
    if (r.status === 'tombstone' || r.deleted_at != null) { dropped++; continue }
    const id = idOf(r.id)
    if (id == null) throw new ImportError('record has no id', p.n + 1)
    const created = time(r.created_at, now)
    const sections = [['Design', r.design], ['Acceptance criteria', r.acceptance_criteria], ['Notes', r.notes]]
      .filter(([, v]) => typeof v === 'string' && v.trim() !== '')
      .map(([h, v]) => `## ${String(h)}\n${String(v)}`)
    const longTitle = typeof r.title === 'string' && r.title.length > LIMITS.title ? [`## Title\n${r.title}`] : []
    const description = [typeof r.description === 'string' ? r.description : '', ...longTitle, ...sections].filter(t => t !== '').join('\n\n').slice(0, LIMITS.description)
    const links: Link[] = []
    let parent: string | null = null
    for (const d of Array.isArray(r.dependencies) ? r.dependencies as Array<Record<string, unknown>> : []) {
      const target = idOf(d?.depends_on_id)
      if (target == null || target === id) continue
      const kind = typeof d.type === 'string' ? d.type : 'blocks'
      if (kind === 'parent-child') parent = target
      else links.push({ type: kind === 'blocks' ? 'depends-on' : 'related', target })
    }
    const comments: Comment[] = (Array.isArray(r.comments) ? r.comments as Array<Record<string, unknown>> : []).map((c, i) => ({
      id: String(c?.id ?? `bd${i}`).slice(0, 64),
      author: typeof c?.author === 'string' ? c.author : 'beads',
      at: time(c?.created_at, created),
      text: typeof c?.text === 'string' ? c.text : ''
    }))
    const type = typeof r.issue_type === 'string' && (ISSUE_TYPES as readonly string[]).includes(r.issue_type) ? r.issue_type : 'task'
    const status = typeof r.status === 'string' && (STATUSES as readonly string[]).includes(r.status) ? r.status : 'open'
    out.push(JSON.stringify({
      id,
      type,
      // Beads allows 500 characters, we 200: a longer title is cut, the whole one kept in the description
      title: typeof r.title === 'string' && r.title.length > LIMITS.title ? r.title.slice(0, LIMITS.title - 1) + '…' : r.title,
      description,
      status,
      priority: r.priority ?? 2,
      progress: status === 'closed' ? 100 : 0,
      parent,
      labels: Array.isArray(r.labels) ? r.labels : [],
      assignee: typeof r.assignee === 'string' && r.assignee !== '' ? r.assignee : null,
      estimate: typeof r.estimated_minutes === 'number' ? r.estimated_minutes : null,
      comments,
      links,
      createdAt: created,
      updatedAt: time(r.updated_at, created),
      createdBy: typeof r.created_by === 'string' ? r.created_by : 'beads-import'
    }))
  }
  return { text: out.join('\n') + '\n', converted: beads.length - dropped, renamed, dropped }
}
