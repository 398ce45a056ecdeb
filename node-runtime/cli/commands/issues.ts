/**
 * `novacron issues <subcommand>`: the shared issue board from the command line, with the verbs
 * and short flags Beads (`bd`) users know (`create "title" -t bug -p 1`, `dep add`, `blocked`, …).
 *
 * Every subcommand finds its store without flags (the running peer, else the stored state; see
 * node-runtime/state/locate.ts) and runs through that peer when one runs, so an edit reaches the
 * mesh at once. Ids may be abbreviated to any unique prefix. `--json` prints one JSON document:
 * a list of issues is an array, one issue an object (docs/state.md, "JSON output").
 */
import { safeJsonLines } from '../escape.ts'
import { readFileSync, writeFileSync } from 'node:fs'
import { bool, list, num, str, UsageError, type Command, type OptionSpec, type ParsedArgs } from '../args.ts'
import { confirm, YES_OPTION } from '../confirm.ts'
import { stateSub } from '../state-command.ts'
import { ISSUE_TYPES, LINK_TYPES, STATUSES, type Issue } from '../../../core/state/schema.ts'
import type { BoardStats, IssueDetail, IssueFilter, IssuePatch } from '../../../core/state/board.ts'
import type { DependencyNode } from '../../../core/state/queries.ts'
import { dependencyTree, issueDetail, issueTable, table } from '../../state/format.ts'

/** `1`, `P1` and `p1` all mean priority 1. */
export function parsePriority (text: string, flag = '--priority'): number {
  const m = /^[Pp]?([0-4])$/.exec(text.trim())
  if (m == null) throw new UsageError(`${flag} must be 0-4 or P0-P4 (got '${text}')`, flag)
  return Number(m[1])
}

function checkChoices (args: ParsedArgs, name: string, allowed: readonly string[]): string[] {
  const values = list(args, name).flatMap(v => v.split(',')).map(v => v.trim()).filter(v => v !== '')
  for (const v of values) if (!allowed.includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got '${v}')`, `--${name}`)
  return values
}

const fieldOptions: OptionSpec[] = [
  { name: 'type', short: 't', type: 'string', choices: ISSUE_TYPES, description: 'Issue type (create default: task)' },
  { name: 'priority', short: 'p', type: 'string', value: '<0-4|P0-P4>', description: 'Priority, 0 is most urgent (create default: 2)' },
  { name: 'description', short: 'd', type: 'string', value: '<text>', description: 'Longer description' },
  { name: 'status', short: 's', type: 'string', choices: STATUSES, description: 'Status (create default: open)' },
  { name: 'progress', type: 'integer', min: 0, max: 100, value: '<0-100>', description: 'Progress in percent' },
  { name: 'parent', type: 'string', value: '<id>', description: "Parent issue ('' on update: none)" },
  { name: 'label', short: 'l', type: 'list', value: '<label>', description: 'A label (repeatable or comma-separated; replaces the labels on update)' },
  { name: 'assignee', short: 'a', type: 'string', value: '<name>', description: "Who works on it ('' on update: nobody)" },
  { name: 'estimate', type: 'integer', min: 0, value: '<minutes>', description: 'Estimated effort in minutes' }
]

function patchFrom (args: ParsedArgs): IssuePatch {
  const p: IssuePatch = {}
  const title = str(args, 'title'); if (title !== undefined) p.title = title
  for (const k of ['type', 'description', 'status', 'parent', 'assignee'] as const) {
    const v = str(args, k); if (v !== undefined) (p as Record<string, unknown>)[k] = v === '' && (k === 'parent' || k === 'assignee') ? null : v
  }
  const pr = str(args, 'priority'); if (pr !== undefined) p.priority = parsePriority(pr)
  for (const k of ['progress', 'estimate'] as const) {
    const v = num(args, k); if (v !== undefined) p[k] = v
  }
  const labels = list(args, 'label').flatMap(l => l.split(',')).map(l => l.trim()).filter(l => l !== '')
  if (labels.length > 0) p.labels = labels
  return p
}

const one = (r: unknown): string => issueTable([r as Issue])
const many = (r: unknown): string => issueTable(r as Issue[])
const idArg = { name: 'id', description: 'Issue id or a unique prefix of it (nc-4k2x9q, 4k2x)', required: true }
const idsArg = [{ ...idArg, description: 'Issue id(s) or unique prefixes', variadic: true }]
const LIMIT_OPTION: OptionSpec = { name: 'limit', short: 'n', type: 'integer', min: 1, value: '<n>', description: 'Show at most this many' }
const limited = <T>(items: T[], args: ParsedArgs): T[] => items.slice(0, num(args, 'limit') ?? items.length)

const SORTS = ['priority', 'created', 'updated', 'id'] as const
function sortIssues (issues: Issue[], by: string): Issue[] {
  const cmp: Record<string, (a: Issue, b: Issue) => number> = {
    priority: (a, b) => a.priority - b.priority || a.createdAt - b.createdAt,
    created: (a, b) => a.createdAt - b.createdAt,
    updated: (a, b) => b.updatedAt - a.updatedAt,
    id: (a, b) => a.id.localeCompare(b.id)
  }
  return [...issues].sort((a, b) => cmp[by](a, b) || a.id.localeCompare(b.id))
}

function readInput (file: string | undefined, stdin: NodeJS.ReadableStream): Promise<string> | string {
  if (file != null && file !== '-') return readFileSync(file, 'utf8')
  return (async () => {
    const chunks: Buffer[] = []
    for await (const c of stdin) chunks.push(Buffer.from(c as Buffer))
    return Buffer.concat(chunks).toString('utf8')
  })()
}

const linkCommand = (name: string, summary: string, remove: boolean, examples: string[]): Command => stateSub({
  name, summary, write: true, examples,
  options: [{ name: 'type', type: 'string', choices: LINK_TYPES, default: 'depends-on', description: 'Link type' }],
  positionals: [{ ...idArg, description: 'The issue that depends (or links)' }, { name: 'target', description: 'The issue it depends on (or links to)', required: true }],
  call: async (args, exec) => await exec(remove ? 'issues.unlink' : 'issues.link', { id: args.positionals[0], type: str(args, 'type'), target: args.positionals[1] }),
  render: (r, args) => {
    const i = r as Issue
    const target = i.parent != null && str(args, 'type') === 'parent-child' ? i.parent : args.positionals[1]
    return `${remove ? 'removed' : 'linked'}: ${i.id} ${str(args, 'type') ?? 'depends-on'} ${target}\n` + issueDetail({ ...i, blockedBy: [], blocking: [], children: [] })
  }
})

const subcommands: Command[] = [
  stateSub({
    name: 'create',
    summary: 'Create an issue',
    write: true,
    options: [{ name: 'title', type: 'string', value: '<text>', description: 'Title (or give it as the argument)' }, ...fieldOptions],
    positionals: [{ name: 'title', description: 'Title (quote it)' }],
    call: async (args, exec) => {
      const title = args.positionals[0] ?? str(args, 'title')
      if (title == null) throw new UsageError('a title is required: novacron issues create "Fix relay reconnect"', '--title')
      if (args.positionals[0] != null && str(args, 'title') != null) throw new UsageError('give the title once: as the argument or with --title', '--title')
      return await exec('issues.create', { ...patchFrom(args), title } as Record<string, unknown>)
    },
    render: one,
    examples: ['novacron issues create "Fix relay reconnect" -t bug -p 1 -l mesh', 'novacron issues create --title "Write docs" --priority P2']
  }),
  stateSub({
    name: 'update',
    summary: 'Change any field of an issue',
    write: true,
    options: [{ name: 'title', type: 'string', value: '<text>', description: 'New title' }, ...fieldOptions],
    positionals: [idArg],
    call: async (args, exec) => {
      const patch = patchFrom(args)
      if (Object.keys(patch).length === 0) throw new UsageError('nothing to update: give at least one field option')
      return await exec('issues.update', { id: args.positionals[0], patch })
    },
    render: one,
    examples: ['novacron issues update nc-4k2x9q --status in_progress', 'novacron issues update 4k2x --progress 50 -a ann']
  }),
  stateSub({
    name: 'comment',
    summary: 'Add a comment',
    write: true,
    positionals: [idArg, { name: 'text', description: 'Comment text (the rest of the line)', required: true, variadic: true }],
    call: async (args, exec) => await exec('issues.comment', { id: args.positionals[0], text: args.positionals.slice(1).join(' ') }),
    render: r => `comment ${(r as { id: string }).id} added\n`
  }),
  linkCommand('link', 'Link two issues (see also: dep)', false, ['novacron issues link nc-aaaaaa nc-bbbbbb --type depends-on', 'novacron issues link nc-aaaaaa nc-bbbbbb --remove']),
  {
    name: 'dep',
    summary: 'Dependencies: add, remove, tree',
    options: [],
    subcommands: [
      linkCommand('add', 'Make <id> depend on <target> (target blocks id)', false, ['novacron issues dep add nc-ship nc-docs']),
      linkCommand('remove', 'Remove a dependency (or other link)', true, ['novacron issues dep remove nc-ship nc-docs']),
      stateSub({
        name: 'tree',
        summary: 'What an issue depends on, recursively',
        write: false,
        positionals: [idArg],
        call: async (args, exec) => await exec('issues.tree', { id: args.positionals[0] }),
        render: r => dependencyTree(r as DependencyNode)
      })
    ]
  },
  stateSub({
    name: 'close',
    summary: 'Close one or more issues',
    write: true,
    options: [{ name: 'reason', short: 'r', type: 'string', value: '<text>', description: 'Added as a comment' }],
    positionals: idsArg,
    call: async (args, exec, io) => {
      const out: Issue[] = []
      for (const id of args.positionals) {
        const r = await exec('issues.close', { id, reason: str(args, 'reason') }) as { issue: Issue, wasClosed: boolean }
        if (r.wasClosed) io.stderr.write(`novacron: ${r.issue.id} was already closed (unchanged)\n`)
        out.push(r.issue)
      }
      return out
    },
    render: many
  }),
  stateSub({
    name: 'reopen',
    summary: 'Reopen closed issues',
    write: true,
    positionals: idsArg,
    call: async (args, exec) => await Promise.all(args.positionals.map(async id => await exec('issues.reopen', { id }))),
    render: many
  }),
  stateSub({
    name: 'show',
    summary: 'Show issues with their comments and links',
    description: '--json prints one object for one id, an array for several.',
    write: false,
    positionals: idsArg,
    call: async (args, exec) => {
      const shown: unknown[] = []
      for (const id of args.positionals) shown.push(await exec('issues.show', { id }))
      return shown.length === 1 ? shown[0] : shown
    },
    render: r => (Array.isArray(r) ? r : [r]).map(d => issueDetail(d as IssueDetail)).join('\n')
  }),
  stateSub({
    name: 'list',
    summary: 'List issues, most urgent first, with filters',
    write: false,
    options: [
      { name: 'status', short: 's', type: 'list', value: '<status>', description: `Only these statuses (${STATUSES.join(', ')})` },
      { name: 'priority', short: 'p', type: 'list', value: '<0-4|P0-P4>', description: 'Only these priorities' },
      { name: 'type', short: 't', type: 'list', value: '<type>', description: `Only these types (${ISSUE_TYPES.join(', ')})` },
      { name: 'label', short: 'l', type: 'list', value: '<label>', description: 'Only issues with every one of these labels' },
      { name: 'assignee', short: 'a', type: 'string', value: '<name>', description: 'Only this assignee' },
      { name: 'parent', type: 'string', value: '<id>', description: 'Only children of this issue' },
      { name: 'sort', type: 'string', choices: SORTS, default: 'priority', description: 'Order' },
      LIMIT_OPTION
    ],
    call: async (args, exec, io) => {
      const filter: IssueFilter = {}
      const status = checkChoices(args, 'status', STATUSES); if (status.length > 0) filter.status = status as IssueFilter['status']
      const type = checkChoices(args, 'type', ISSUE_TYPES); if (type.length > 0) filter.type = type as IssueFilter['type']
      if (list(args, 'label').length > 0) filter.label = list(args, 'label')
      const pr = list(args, 'priority').flatMap(p => p.split(',')); if (pr.length > 0) filter.priority = pr.map(p => parsePriority(p))
      const a = str(args, 'assignee'); if (a != null) filter.assignee = a
      const parent = str(args, 'parent'); if (parent != null) filter.parent = parent
      const r = await exec('issues.list', { filter: filter as Record<string, unknown> }) as { issues: Issue[], invalid: Array<{ id: string, reason: string }> }
      if (r.invalid.length > 0) io.stderr.write(`novacron: ${r.invalid.length} invalid entries skipped: ${r.invalid.map(i => `${i.id}: ${i.reason}`).join('; ')}\n`)
      return limited(sortIssues(r.issues, str(args, 'sort') ?? 'priority'), args)
    },
    render: many,
    examples: ['novacron issues list -s open,in_progress -p P0,P1', 'novacron issues list --sort updated -n 10 --json']
  }),
  stateSub({
    name: 'ready',
    summary: 'Open work whose blockers are all closed, most urgent first',
    write: false,
    options: [LIMIT_OPTION],
    call: async (args, exec) => limited(await exec('issues.ready') as Issue[], args),
    render: many
  }),
  stateSub({
    name: 'blocked',
    summary: 'Open work waiting on issues that are not closed',
    write: false,
    options: [LIMIT_OPTION],
    call: async (args, exec) => limited(await exec('issues.blocked') as Array<Issue & { blockedBy: string[] }>, args),
    render: r => table(['ID', 'P', 'STATUS', 'BLOCKED BY', 'TITLE'], (r as Array<Issue & { blockedBy: string[] }>).map(i => [i.id, `P${i.priority}`, i.status, i.blockedBy.join(','), i.title]))
  }),
  stateSub({
    name: 'delete',
    summary: 'Delete issues for every peer, with the links to them (asks first)',
    write: true,
    options: [YES_OPTION],
    positionals: idsArg,
    call: async (args, exec, io) => {
      const shown = []
      for (const id of args.positionals) shown.push(await exec('issues.show', { id }) as IssueDetail)
      const what = shown.map(i => `${i.id} "${i.title}"`).join(', ')
      if (!await confirm(io, `Delete ${what} for every peer?`, bool(args, 'yes'))) throw new UsageError('not deleted')
      const out = []
      for (const i of shown) out.push(await exec('issues.delete', { id: i.id }) as { deleted: string, unlinked: string[] })
      return out
    },
    render: r => (r as Array<{ deleted: string, unlinked: string[] }>).map(d => `deleted ${d.deleted}${d.unlinked.length > 0 ? ` (links removed from ${d.unlinked.join(', ')})` : ''}\n`).join('')
  }),
  {
    name: 'label',
    summary: 'Labels: add, remove',
    options: [],
    subcommands: (['add', 'remove'] as const).map(verb => stateSub({
      name: verb,
      summary: verb === 'add' ? 'Add labels to an issue' : 'Remove labels from an issue',
      write: true,
      positionals: [idArg, { name: 'label', description: 'Label(s)', required: true, variadic: true }],
      call: async (args, exec) => await exec('issues.label', { id: args.positionals[0], add: verb === 'add' ? args.positionals.slice(1) : [], remove: verb === 'remove' ? args.positionals.slice(1) : [] }),
      render: one,
      examples: [`novacron issues label ${verb} nc-4k2x9q mesh urgent`]
    }))
  },
  stateSub({
    name: 'stats',
    summary: 'Counts by status, type and priority',
    write: false,
    call: async (_args, exec) => await exec('issues.stats'),
    render: r => {
      const s = r as BoardStats & { cycles: string[][] }
      const rows = [
        ...Object.entries(s.byStatus).map(([k, v]) => ['status', k, String(v)]),
        ...Object.entries(s.byType).map(([k, v]) => ['type', k, String(v)]),
        ...Object.entries(s.byPriority).map(([k, v]) => ['priority', `P${k}`, String(v)])
      ]
      return `${s.total} issues, ${s.ready} ready, ${s.invalid} invalid, ${s.cycles.length} dependency cycles\n` + table(['BY', 'VALUE', 'COUNT'], rows)
    }
  }),
  stateSub({
    name: 'export',
    summary: 'Write every issue as JSON Lines (stdout, or -o FILE)',
    description: 'Writes JSON Lines (one issue object per line), the format import reads. --json prints the same issues as one JSON array instead (with -o: {file, issues} where issues is the count).',
    write: false,
    options: [{ name: 'output', short: 'o', type: 'string', value: '<file>', description: 'Write to this file instead of stdout' }],
    call: async (args, exec) => {
      const text = await exec('issues.export') as string
      const file = str(args, 'output')
      const count = text.split('\n').filter(l => l.trim() !== '').length
      if (file == null) return { text, count }
      writeFileSync(file, text)
      return { file, count }
    },
    // JSON Lines with what a terminal acts on escaped as \uHHHH: still the same JSON
    render: r => { const x = r as { text?: string, file?: string, count: number }; return x.text != null ? safeJsonLines(x.text) : `${x.count} issues written to ${x.file}\n` },
    // JSON Lines is already JSON: --json gives the same objects as one array, never a quoted string
    json: r => {
      const x = r as { text?: string, file?: string, count: number }
      return x.text != null ? x.text.split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l) as unknown) : { file: x.file, issues: x.count }
    }
  }),
  stateSub({
    name: 'import',
    summary: 'Read issues as JSON Lines, ours or Beads (`bd export`), from a file or stdin; all or nothing',
    write: true,
    options: [{ name: 'replace', type: 'boolean', description: 'Replace issues whose id exists' }],
    positionals: [{ name: 'file', description: "JSON Lines file ('-' or absent: stdin)" }],
    prepare: async (args, io) => {
      const raw = await readInput(args.positionals[0], io.stdin)
      const { beadsToJsonl } = await import('../../../core/state/beads.ts')
      return beadsToJsonl(raw, Date.now())
    },
    call: async (args, exec, _io, prepared) => {
      const beads = prepared as { text: string, converted: number, renamed: Record<string, string> }
      const r = await exec('issues.import', { text: beads.text, replace: bool(args, 'replace') }) as { created: number, replaced: number, skipped: number }
      return { ...r, fromBeads: beads.converted, renamed: beads.renamed }
    },
    render: r => {
      const x = r as { created: number, replaced: number, skipped: number, fromBeads: number, renamed: Record<string, string> }
      const renamed = Object.entries(x.renamed)
      return `${x.created} created, ${x.replaced} replaced, ${x.skipped} skipped (already present)` +
        (x.fromBeads > 0 ? `; ${x.fromBeads} read from Beads records` : '') + '\n' +
        (renamed.length > 0 ? `ids renamed to fit ours: ${renamed.map(([a, b]) => `${a} -> ${b}`).join(', ')}\n` : '')
    },
    examples: ['bd export -o beads.jsonl && novacron issues import beads.jsonl', 'novacron issues export -o board.jsonl']
  })
]

export const command: Command = {
  name: 'issues',
  summary: 'Work with the shared issue board',
  description: [
    'Issues replicate to every peer of the mesh. Without flags a command works through the peer',
    'running on this machine (the bootstrap first; --peer picks another), or on the stored state',
    'when none runs; --data-dir names a data dir. Ids may be shortened to a unique prefix.'
  ].join('\n'),
  options: [],
  subcommands
}
