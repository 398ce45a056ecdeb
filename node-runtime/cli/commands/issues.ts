/**
 * `novacron issues <subcommand>`: the shared issue board from the command line.
 *
 * Every subcommand works on a peer's `--data-dir`: directly when no peer runs there, through the
 * running peer's control endpoint otherwise (then the edit reaches the mesh at once). `--json`
 * prints machine-readable results; the default is a readable table.
 */
import { readFileSync } from 'node:fs'
import { bool, list, num, str, UsageError, type CliIO, type Command, type OptionSpec, type ParsedArgs } from '../args.ts'
import { ISSUE_TYPES, LINK_TYPES, STATUSES, type Issue } from '../../../core/state/schema.ts'
import type { BoardStats, IssueDetail, IssueFilter, IssuePatch } from '../../../core/state/board.ts'
import { withState, type Exec } from '../../state/client.ts'
import { issueDetail, issueTable, table } from '../../state/format.ts'
import { escapeForTerminal, safeJson, safeJsonLines } from '../escape.ts'

export const DATA_DIR_OPTION: OptionSpec = { name: 'data-dir', type: 'string', value: '<dir>', description: "The peer's data directory", default: '.novacron' }
const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'Print JSON instead of a table' }
const common = [DATA_DIR_OPTION, JSON_OPTION]

const fieldOptions: OptionSpec[] = [
  { name: 'type', type: 'string', choices: ISSUE_TYPES, description: 'Issue type' },
  { name: 'description', type: 'string', value: '<text>', description: 'Longer description' },
  { name: 'status', type: 'string', choices: STATUSES, description: 'Status' },
  { name: 'priority', type: 'integer', min: 0, max: 4, value: '<0-4>', description: 'Priority, 0 is most urgent' },
  { name: 'progress', type: 'integer', min: 0, max: 100, value: '<0-100>', description: 'Progress in percent' },
  { name: 'parent', type: 'string', value: '<id>', description: 'Parent issue' },
  { name: 'label', type: 'list', value: '<label>', description: 'A label (repeatable; replaces the labels on update)' },
  { name: 'assignee', type: 'string', value: '<name>', description: 'Who works on it' },
  { name: 'estimate', type: 'integer', min: 0, value: '<minutes>', description: 'Estimated effort in minutes' }
]

function patchFrom (args: ParsedArgs): IssuePatch {
  const p: IssuePatch = {}
  const title = str(args, 'title'); if (title !== undefined) p.title = title
  for (const k of ['type', 'description', 'status', 'parent', 'assignee'] as const) {
    const v = str(args, k); if (v !== undefined) (p as Record<string, unknown>)[k] = v === '' && (k === 'parent' || k === 'assignee') ? null : v
  }
  for (const k of ['priority', 'progress', 'estimate'] as const) {
    const v = num(args, k); if (v !== undefined) p[k] = v
  }
  if (list(args, 'label').length > 0) p.labels = list(args, 'label')
  return p
}

type Render = (result: unknown) => string
function sub (name: string, summary: string, options: OptionSpec[], positionals: Command['positionals'], call: (args: ParsedArgs, exec: Exec, io: CliIO) => Promise<unknown>, render: Render, examples?: string[]): Command {
  return {
    name, summary, options: [...options, ...common], positionals, examples,
    run: async (args, io) => await withState(str(args, 'data-dir') ?? '.novacron', async ({ exec }) => {
      const result = await call(args, exec, io)
      io.stdout.write(bool(args, 'json') ? safeJson(result) + '\n' : render(result))
      return 0
    })
  }
}

const one = (r: unknown): string => issueTable([r as Issue])
const idArg = [{ name: 'id', description: 'Issue id, e.g. nc-4k2x9q', required: true }]

const subcommands: Command[] = [
  sub('create', 'Create an issue', [{ name: 'title', type: 'string', value: '<text>', description: 'Title (required)' }, ...fieldOptions], [],
    async (args, exec) => {
      if (str(args, 'title') == null) throw new UsageError('--title is required', '--title')
      return await exec('issues.create', patchFrom(args) as Record<string, unknown>)
    }, one, ['novacron issues create --title "Fix relay reconnect" --type bug --priority 1 --label mesh']),
  sub('update', 'Change any field of an issue', [{ name: 'title', type: 'string', value: '<text>', description: 'New title' }, ...fieldOptions], idArg,
    async (args, exec) => {
      const patch = patchFrom(args)
      if (Object.keys(patch).length === 0) throw new UsageError('nothing to update: give at least one field option')
      return await exec('issues.update', { id: args.positionals[0], patch })
    }, one, ['novacron issues update nc-4k2x9q --status closed', 'novacron issues update nc-4k2x9q --progress 50 --assignee ann']),
  sub('comment', 'Add a comment', [], [...idArg, { name: 'text', description: 'Comment text', required: true }],
    async (args, exec) => await exec('issues.comment', { id: args.positionals[0], text: args.positionals.slice(1).join(' ') }),
    r => `comment ${(r as { id: string }).id} added\n`),
  sub('link', 'Link two issues', [{ name: 'type', type: 'string', choices: LINK_TYPES, default: 'depends-on', description: 'Link type' }, { name: 'remove', type: 'boolean', description: 'Remove the link instead' }],
    [...idArg, { name: 'target', description: 'The other issue', required: true }],
    async (args, exec) => await exec(bool(args, 'remove') ? 'issues.unlink' : 'issues.link', { id: args.positionals[0], type: str(args, 'type'), target: args.positionals[1] }),
    r => issueDetail({ ...(r as Issue), blockedBy: [], blocking: [], children: [] }), ['novacron issues link nc-aaaaaa nc-bbbbbb --type depends-on']),
  sub('close', 'Close an issue', [{ name: 'reason', type: 'string', value: '<text>', description: 'Added as a comment' }], idArg,
    async (args, exec) => await exec('issues.close', { id: args.positionals[0], reason: str(args, 'reason') }), one),
  sub('reopen', 'Reopen a closed issue', [], idArg, async (args, exec) => await exec('issues.reopen', { id: args.positionals[0] }), one),
  sub('show', 'Show one issue with its comments and links', [], idArg,
    async (args, exec) => await exec('issues.show', { id: args.positionals[0] }), r => issueDetail(r as IssueDetail)),
  sub('list', 'List issues, with filters', [
    { name: 'status', type: 'list', value: '<status>', description: `Only these statuses (${STATUSES.join(', ')})` },
    { name: 'priority', type: 'list', value: '<0-4>', description: 'Only these priorities' },
    { name: 'type', type: 'list', value: '<type>', description: 'Only these types' },
    { name: 'label', type: 'list', value: '<label>', description: 'Only issues with every one of these labels' },
    { name: 'assignee', type: 'string', value: '<name>', description: 'Only this assignee' },
    { name: 'parent', type: 'string', value: '<id>', description: 'Only children of this issue' }
  ], [], async (args, exec) => {
    const filter: IssueFilter = {}
    if (list(args, 'status').length > 0) filter.status = list(args, 'status') as IssueFilter['status']
    if (list(args, 'type').length > 0) filter.type = list(args, 'type') as IssueFilter['type']
    if (list(args, 'label').length > 0) filter.label = list(args, 'label')
    if (list(args, 'priority').length > 0) {
      filter.priority = list(args, 'priority').map(p => {
        const n = Number(p)
        if (!Number.isInteger(n) || n < 0 || n > 4) throw new UsageError(`--priority must be 0-4 (got '${p}')`, '--priority')
        return n
      })
    }
    const a = str(args, 'assignee'); if (a != null) filter.assignee = a
    const p = str(args, 'parent'); if (p != null) filter.parent = p
    return await exec('issues.list', { filter: filter as Record<string, unknown> })
  }, r => {
    const { issues, invalid } = r as { issues: Issue[], invalid: Array<{ id: string, reason: string }> }
    return issueTable(issues) + (invalid.length > 0 ? escapeForTerminal(`(${invalid.length} invalid entries skipped: ${invalid.map(i => `${i.id}: ${i.reason}`).join('; ')})`) + '\n' : '')
  }),
  sub('ready', 'Open work whose blockers are all closed, most urgent first', [], [],
    async (_args, exec) => await exec('issues.ready'), r => issueTable(r as Issue[])),
  sub('stats', 'Counts by status, type and priority', [], [], async (_args, exec) => await exec('issues.stats'), r => {
    const s = r as BoardStats & { cycles: string[][] }
    const rows = [
      ...Object.entries(s.byStatus).map(([k, v]) => ['status', k, String(v)]),
      ...Object.entries(s.byType).map(([k, v]) => ['type', k, String(v)]),
      ...Object.entries(s.byPriority).map(([k, v]) => ['priority', `P${k}`, String(v)])
    ]
    return `${s.total} issues, ${s.ready} ready, ${s.invalid} invalid, ${s.cycles.length} dependency cycles\n` + table(['BY', 'VALUE', 'COUNT'], rows)
  }),
  sub('export', 'Write every issue as JSON Lines to stdout', [], [], async (_args, exec) => await exec('issues.export'), r => safeJsonLines(r as string)),
  sub('import', 'Read issues as JSON Lines (from a file or stdin); all or nothing', [{ name: 'replace', type: 'boolean', description: 'Replace issues whose id exists' }],
    [{ name: 'file', description: "JSON Lines file ('-' or absent: stdin)" }],
    async (args, exec, io) => {
      const file = args.positionals[0]
      let text: string
      if (file == null || file === '-') {
        const chunks: Buffer[] = []
        for await (const c of io.stdin) chunks.push(Buffer.from(c as Buffer))
        text = Buffer.concat(chunks).toString('utf8')
      } else text = readFileSync(file, 'utf8')
      return await exec('issues.import', { text, replace: bool(args, 'replace') })
    }, r => { const x = r as { created: number, replaced: number, skipped: number }; return `${x.created} created, ${x.replaced} replaced, ${x.skipped} skipped (already present)\n` })
]

export const command: Command = {
  name: 'issues',
  summary: 'Work with the shared issue board',
  description: 'Issues replicate to every peer of the mesh. Run against a data dir; when a peer is running there the command goes through it.',
  options: [],
  subcommands
}
