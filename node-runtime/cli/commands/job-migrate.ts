/**
 * `novacron job migrate <job>/<task> [--to <peer>]` and `novacron job migrations`: live migration
 * (docs/migration.md) through the running peer on `--data-dir` — the peer that runs the task (its
 * `migration.*` control ops). `migrate` prints from, to, downtime and bytes sent against the task's
 * memory size; `migrations` lists this peer's migrations and the tasks it could move now.
 */
import { safeJson, safeText } from '../escape.ts'
import { bool, str, UsageError, type Command, type OptionSpec, type ParsedArgs } from '../args.ts'
import { peerExec } from '../../ledger/client.ts'
import type { MigrationRecord } from '../../../core/migration/outgoing.ts'

const DATA_DIR: OptionSpec = { name: 'data-dir', type: 'string', value: '<dir>', default: '.novacron', description: 'The data directory of the peer that runs the task (its running peer is reached through it)' }
const JSON_OPT: OptionSpec = { name: 'json', type: 'boolean', description: 'Print JSON instead of text' }
const dir = (args: ParsedArgs): string => str(args, 'data-dir') ?? '.novacron'

/** `<job>/<task>[/<replica>]`, e.g. 12.0/3 */
export function parseTaskRef (text: string | undefined): { job: string, task: number, replica?: number } {
  const m = /^(\d{1,15}\.\d{1,6})\/(\d{1,6})(?:\/(\d))?$/.exec(text ?? '')
  if (m == null) throw new UsageError(`a task is <job>/<task>[/<replica>], e.g. 12.0/3 (got '${text ?? ''}')`)
  return { job: m[1], task: Number(m[2]), ...(m[3] != null ? { replica: Number(m[3]) } : {}) }
}

const mib = (n: number): string => `${(n / 1048576).toFixed(2)} MiB`
function recordText (r: MigrationRecord): string {
  if (r.status !== 'done') return `${r.job}/${r.task}  ${r.status}  ${r.error ?? ''}`
  const share = r.memoryBytes > 0 ? ` (${(100 * r.bytesSent / r.memoryBytes).toFixed(1)} %)` : ''
  return [
    `task      ${r.job}/${r.task} (replica ${r.replica})`,
    `from      ${r.from}`,
    `to        ${r.to}`,
    `downtime  ${r.downtimeMs ?? '?'} ms (pause to handover committed)`,
    `sent      ${r.bytesSent} bytes${share} for ${r.memoryBytes} bytes (${mib(r.memoryBytes)}) of memory, ${r.rounds} round(s), ${r.resentChunks} chunk(s) sent again`
  ].join('\n')
}

export const migrateCommands: Command[] = [
  {
    name: 'migrate',
    summary: 'Move a running task to another peer without losing its progress (live migration)',
    description: 'Asks the peer on --data-dir, which must be running the task with checkpoints (novacron peer\n' +
      '--migration), to move it: its memory streams to the target while it runs (rounds of changed\n' +
      'chunks), then it pauses, the last delta is sent, the target checks the snapshot, and a\n' +
      'job.handover ledger entry gives the target the lease under a new fencing token. From then on\n' +
      'this peer\'s output for the task is refused. If anything fails first, the task runs on here.',
    positionals: [{ name: 'task', description: 'The task: <job>/<task>[/<replica>], e.g. 12.0/3', required: true }],
    options: [
      { name: 'to', type: 'string', value: '<peer>', description: 'The target peer id (default: the first other member that accepts)' },
      DATA_DIR,
      JSON_OPT
    ],
    examples: ['novacron job migrate 12.0/3', 'novacron job migrate 12.0/3 --to 12D3KooW… --json'],
    run: async (args, io) => {
      const ref = parseTaskRef(args.positionals[0])
      const to = str(args, 'to')
      const r = await peerExec(dir(args))('migration.migrate', { ...ref, ...(to != null ? { to } : {}) }) as MigrationRecord
      io.stdout.write(bool(args, 'json') ? safeJson(r) + '\n' : safeText(recordText(r) + '\n'))
      return 0
    }
  },
  {
    name: 'migrations',
    summary: "This peer's migrations (out), arrivals (in), and the tasks it could move now",
    options: [DATA_DIR, JSON_OPT],
    examples: ['novacron job migrations', 'novacron job migrations --json'],
    run: async (args, io) => {
      const l = await peerExec(dir(args))('migration.list') as { self: string, movable: string[], records: MigrationRecord[], incoming: Record<string, number> }
      if (bool(args, 'json')) { io.stdout.write(safeJson(l) + '\n'); return 0 }
      const lines = [
        `peer      ${l.self}`,
        `movable   ${l.movable.length > 0 ? l.movable.join(', ') : '(none)'}`,
        `arrived   ${l.incoming.snapshotsReady ?? 0} snapshot(s), ${l.incoming.corruptChunks ?? 0} corrupted chunk(s) re-fetched`,
        ...l.records.map(r => `${r.job}/${r.task}  ${r.status}  → ${r.to || '?'}  ${r.downtimeMs != null ? `${r.downtimeMs} ms` : ''}  ${r.bytesSent}/${r.memoryBytes} bytes${r.error != null ? `  ${r.error}` : ''}`)
      ]
      io.stdout.write(safeText(lines.join('\n') + '\n'))
      return 0
    }
  }
]
