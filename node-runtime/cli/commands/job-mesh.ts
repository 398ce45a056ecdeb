/**
 * `novacron job submit|status|result|list|cancel`: jobs on the mesh, through the peer running on
 * `--data-dir` (its control endpoint, as `ledger status` reaches it). `submit` sends the module and
 * inputs to that peer, which stores them as blobs and commits one `job.submit` entry; the job id it
 * prints is `<slot>.<index>` of that entry. `result` fetches each task's agreed output blob from the
 * workers that computed it and, once it wrote them out, records the fetch (`job.fetched`, unless
 * `--peek`) so that results only one peer held are no longer pinned there (core/jobs/retention.ts).
 * Every subcommand takes `--json`; errors print their typed name there.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { safeJson, safeText } from '../escape.ts'
import { bool, list, num, str, UsageError, type CliIO, type Command, type OptionSpec, type ParsedArgs } from '../args.ts'
import { peerExec } from '../../ledger/client.ts'
import { parseSplitLine } from '../../../core/jobs/submitter.ts'
import { checkpointabilityText, precheckCheckpointable } from '../../../core/migration/precheck.ts'
import type { JobSummary } from '../../../core/jobs/submitter.ts'
import { duration, parseSize, readCapped, readStdin } from './job.ts'

const DATA_DIR: OptionSpec = { name: 'data-dir', type: 'string', value: '<dir>', default: '.novacron', description: "The peer's data directory (its running peer is reached through it)" }
const JSON_OPT: OptionSpec = { name: 'json', type: 'boolean', description: 'Print JSON instead of text' }
const dir = (args: ParsedArgs): string => str(args, 'data-dir') ?? '.novacron'
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')

async function submit (args: ParsedArgs, io: CliIO): Promise<number> {
  const [modulePath, ...rest] = args.positionals
  if (modulePath == null) throw new UsageError('missing <module.wasm>')
  const tasks = num(args, 'tasks')
  const split = str(args, 'split')
  if (tasks != null && split != null) throw new UsageError('give --tasks N or --split FILE.jsonl, not both', '--split')
  const moduleBytes = readCapped(modulePath, 'module')
  const body: Record<string, unknown> = { module: b64(moduleBytes) }
  const input = str(args, 'input')
  if (input === '-') body.stdin = b64(await readStdin(io))
  else if (input != null) body.stdin = b64(readCapped(input, '--input'))
  const argv = [...(str(args, 'args')?.split(/\s+/).filter(a => a !== '') ?? []), ...list(args, 'arg'), ...rest]
  if (argv.length > 0) body.args = argv
  if (split != null) {
    const lines = new TextDecoder().decode(readCapped(split, '--split')).split('\n').map(l => l.trim())
    const parsed = []
    for (const [i, l] of lines.entries()) {
      if (l === '') continue
      try { parsed.push(parseSplitLine(l, i + 1)) } catch (err) { throw new UsageError(`--split ${split}: ${(err as Error).message}`, '--split') }
    }
    if (parsed.length === 0) throw new UsageError(`--split ${split} holds no task lines`, '--split')
    body.split = parsed.map(t => ({ ...(t.args != null ? { args: t.args } : {}), ...(t.stdin != null ? { stdin: b64(t.stdin) } : {}) }))
  } else {
    body.count = tasks ?? 1
  }
  body.replicas = num(args, 'replicas') ?? 1
  body.timeoutMs = duration(str(args, 'timeout') ?? '30s', '--timeout')
  body.memoryBytes = parseSize(str(args, 'memory') ?? '256MiB', '--memory')
  body.leaseTtlMs = duration(str(args, 'lease') ?? '15s', '--lease')
  const retain = str(args, 'retain')
  if (retain != null) {
    body.retainMs = retain.trim() === '0' ? 0 : duration(retain, '--retain')
    if ((body.retainMs as number) > 30 * 86_400_000) throw new UsageError(`--retain is at most 30d (got '${retain}')`, '--retain')
  }
  const checkpointable = await precheckCheckpointable(moduleBytes)
  const r = await peerExec(dir(args))('job.submit', body) as { job: string, tasks: number, module: string, slot: number }
  io.stdout.write(bool(args, 'json') ? safeJson({ ...r, checkpointable }) + '\n' : `${r.job}\n`)
  // on stderr, so that stdout stays the job id for scripts
  if (!checkpointable.ok && !bool(args, 'json')) io.stderr.write(safeText(`note: job ${r.job}: ${checkpointabilityText(checkpointable)}\n`))
  return 0
}

function resultsText (s: JobSummary): string {
  const r = s.results
  if (r.fetchedAt != null) return `fetched by the submitter at ${new Date(r.fetchedAt).toISOString()}: evictable (last) on their holders`
  if (s.status === 'active') return `pinned on their holders while the job runs; then unfetched single-copy results for ${formatMs(r.retainMs)}`
  if (r.pinnedUntil == null) return 'not fetched; not pinned (retention 0)'
  return r.pinned > 0
    ? `not fetched: ${r.pinned} single-copy result(s) pinned on their holder until ${new Date(r.pinnedUntil).toISOString()} (job result records the fetch)`
    : `not fetched; no result pinned (held by several peers, or past ${new Date(r.pinnedUntil).toISOString()})`
}

function formatMs (ms: number): string {
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

function summaryText (s: JobSummary): string {
  const where = s.running.map(r => `  task ${r.task}.${r.replica} on ${r.worker}`).join('\n')
  const by = Object.entries(s.reportedBy).map(([p, n]) => `  ${p}: ${n} result(s)`).join('\n')
  return [
    `job       ${s.id} (${s.status}) by ${s.author}`,
    `tasks     ${s.tasks} × ${s.replicas} replica(s): ${s.done} done, ${s.failed} failed, ${s.running.length} running`,
    ...(where !== '' ? ['running', where] : []),
    ...(by !== '' ? ['results', by] : []),
    ...(s.losers.length > 0 ? [`losers    ${s.losers.map(l => `${l.worker} (task ${l.task})`).join(', ')}`] : []),
    `results   ${resultsText(s)}`,
    ''
  ].join('\n')
}

const jobArg = (args: ParsedArgs): string => {
  const id = args.positionals[0]
  if (id == null) throw new UsageError('missing <job> (the id job submit printed)')
  return id
}

interface ResultJson { task: number, status: string, exitCode?: number, error?: string, stdout?: string, stderr?: string, winners?: string[], fetchError?: string }

async function result (args: ParsedArgs, io: CliIO): Promise<number> {
  const exec = peerExec(dir(args))
  const job = jobArg(args)
  const wait = str(args, 'wait')
  if (wait != null) {
    const deadline = Date.now() + duration(wait, '--wait')
    for (;;) {
      const s = await exec('job.status', { job }) as JobSummary
      if (s.status !== 'active') break
      if (Date.now() > deadline) throw new UsageError(`job ${job} is still running after --wait ${wait} (${s.done + s.failed} of ${s.tasks} tasks settled)`, '--wait')
      await new Promise(resolve => setTimeout(resolve, 300))
    }
  }
  const rows = await exec('job.result', { job }) as ResultJson[]
  const out = str(args, 'out')
  if (out != null) {
    mkdirSync(out, { recursive: true })
    for (const r of rows) {
      if (r.stdout == null) continue
      writeFileSync(join(out, `task-${r.task}.stdout`), Buffer.from(r.stdout, 'base64'))
      writeFileSync(join(out, `task-${r.task}.stderr`), Buffer.from(r.stderr ?? '', 'base64'))
      writeFileSync(join(out, `task-${r.task}.exit`), `${r.exitCode ?? ''}${r.error != null && r.error !== '' ? ` ${r.error}` : ''}\n`)
    }
  }
  if (bool(args, 'json')) io.stdout.write(safeJson(rows) + '\n')
  else if (out == null) {
    for (const r of rows) if (r.stdout != null) io.stdout.write(Buffer.from(r.stdout, 'base64'))
  } else io.stdout.write(safeText(rows.map(r => `task ${r.task}: ${r.status}${r.exitCode != null ? ` exit ${r.exitCode}` : ''}${r.error != null && r.error !== '' ? ` ${r.error}` : ''}${r.fetchError != null ? ` (${r.fetchError})` : ''}`).join('\n') + '\n'))
  const unsettled = rows.filter(r => r.status !== 'done' || r.stdout == null).length
  if (!bool(args, 'peek') && rows.every(r => r.status !== 'done' || r.stdout != null)) {
    // the results are out: record the fetch so that their holders may let them go. A peer other
    // than the submitter, or a job still running, records nothing (the peer says why).
    const ack = await exec('job.fetched', { job }).catch((err: Error) => ({ acknowledged: false, reason: `${err.name}: ${err.message}` })) as { acknowledged: boolean, reason?: string }
    if (!ack.acknowledged && ack.reason !== 'job active' && !bool(args, 'json')) io.stderr.write(safeText(`note: job ${job}: the fetch was not recorded (${ack.reason ?? 'unknown'}): single-copy results stay pinned on their holders until the retention period ends\n`))
  }
  return unsettled === 0 ? 0 : 1
}

const meshOpts = [DATA_DIR, JSON_OPT]

export const meshCommands: Command[] = [
  {
    name: 'submit',
    summary: 'Submit a WASI module as a job of N tasks to the mesh; prints the job id',
    description: 'Sends <module.wasm> (and --input) to the peer running on --data-dir, which stores them as\n' +
      'content-addressed blobs and commits a job.submit entry to the mesh ledger. Peers with free\n' +
      'capacity claim the tasks (a lease renewed while they run), run each in their sandbox and commit\n' +
      'the hash of its result; with --replicas K, K distinct peers run each task and a majority decides.\n' +
      'Task i gets NOVACRON_TASK_INDEX=i in its environment. Prints the job id (<slot>.<index>).\n' +
      'When the module\'s tasks cannot be checkpointed (so not moved between peers, nor resumed from a\n' +
      'checkpoint: no WASI calls, no own memory, over 32 MiB, does not compile) a note on stderr says\n' +
      'why (--json: the "checkpointable" field); they still run.',
    positionals: [
      { name: 'module.wasm', description: 'The WASI module (wasm32-wasi, preview 1)', required: true },
      { name: 'args', description: 'Arguments for every task (after --)', variadic: true }
    ],
    options: [
      { name: 'input', type: 'string', value: '<file|->', description: "Every task's stdin: a file, or - for ours (default: empty)" },
      { name: 'args', type: 'string', value: '<"a b c">', description: 'Arguments for every task, separated by spaces (or --arg, or after --)' },
      { name: 'arg', type: 'list', value: '<arg>', description: 'One argument for every task (repeatable)' },
      { name: 'tasks', type: 'integer', value: '<n>', min: 1, max: 100_000, description: 'Run the module as N tasks (default: 1)' },
      { name: 'split', type: 'string', value: '<file.jsonl>', description: 'One task per line: {"args": [...], "stdin": "text"} (at most 1000)' },
      { name: 'replicas', type: 'integer', value: '<k>', min: 1, max: 7, default: 1, description: 'Distinct peers that run each task; ⌊K/2⌋+1 matching results decide it' },
      { name: 'timeout', type: 'string', value: '<duration>', default: '30s', description: 'Wall-clock limit per task' },
      { name: 'memory', type: 'string', value: '<size>', default: '256MiB', description: "Cap on each task's memory" },
      { name: 'lease', type: 'string', value: '<duration>', default: '15s', description: 'Lease TTL of a claim (renewed at a third of it; an expired lease is claimable again)' },
      { name: 'retain', type: 'string', value: '<duration>', default: '7d', description: 'After the job ends, a result only one peer holds stays pinned there until job result fetches it, or this long (at most 30d; 0: not pinned)' },
      ...meshOpts
    ],
    examples: [
      'novacron job submit examples/jobs/build/mandelbrot.wasm --tasks 16 --replicas 3 -- --checksum 256 256 0 0 64 64',
      'novacron job submit task.wasm --split tiles.jsonl --timeout 10s --memory 64MiB --json'
    ],
    run: submit
  },
  {
    name: 'status',
    summary: "A job's progress: tasks done/failed/running, which peer runs what, results per peer, losers, whether its results were fetched",
    positionals: [{ name: 'job', description: 'The job id', required: true }],
    options: meshOpts,
    examples: ['novacron job status 12.0', 'novacron job status 12.0 --json'],
    run: async (args, io) => {
      const s = await peerExec(dir(args))('job.status', { job: jobArg(args) }) as JobSummary
      io.stdout.write(bool(args, 'json') ? safeJson(s) + '\n' : safeText(summaryText(s)))
      return 0
    }
  },
  {
    name: 'result',
    summary: "Each task's agreed result: stdout to ours in task order (or files with --out); exit 1 while any is missing",
    description: "Fetches each decided task's agreed result from the peers that computed it and writes its\n" +
      'stdout to ours in task order (or task-<i>.stdout/.stderr/.exit files with --out). Exits 1 while\n' +
      'any task is not decided. Once the job ended and every result was written out, the peer on\n' +
      '--data-dir records the fetch on the ledger (job.fetched) if it submitted the job: a result only\n' +
      'one peer holds is pinned in that peer\'s blob store until then (or until job submit --retain\n' +
      'passes, 7 days by default); job status shows which. --peek records nothing.',
    positionals: [{ name: 'job', description: 'The job id', required: true }],
    options: [
      { name: 'out', type: 'string', value: '<dir>', description: 'Write task-<i>.stdout, .stderr and .exit into <dir> instead' },
      { name: 'wait', type: 'string', value: '<duration>', description: 'First wait up to this long for the job to finish' },
      { name: 'peek', type: 'boolean', description: 'Do not record the fetch (by default, once the job ended and every result was written out, the submitting peer records it and results only one peer held are no longer pinned there)' },
      ...meshOpts
    ],
    examples: ['novacron job result 12.0 > out.txt', 'novacron job result 12.0 --wait 5m --out results/', 'novacron job result 12.0 --json'],
    run: result
  },
  {
    name: 'list',
    summary: 'Every job on the ledger with its progress',
    options: meshOpts,
    examples: ['novacron job list', 'novacron job list --json'],
    run: async (args, io) => {
      const all = await peerExec(dir(args))('job.list') as JobSummary[]
      io.stdout.write(bool(args, 'json')
        ? safeJson(all) + '\n'
        : safeText(all.map(s => `${s.id}\t${s.status}\t${s.done}/${s.tasks} done\t${s.failed} failed\t${s.running.length} running\t× ${s.replicas}`).join('\n') + '\n'))
      return 0
    }
  },
  {
    name: 'cancel',
    summary: 'Cancel a job you submitted (no more claims or results are accepted)',
    positionals: [{ name: 'job', description: 'The job id', required: true }],
    options: meshOpts,
    examples: ['novacron job cancel 12.0'],
    run: async (args, io) => {
      const r = await peerExec(dir(args))('job.cancel', { job: jobArg(args) }) as { job: string, status: string }
      io.stdout.write(bool(args, 'json') ? safeJson(r) + '\n' : `${r.job} ${r.status}\n`)
      return 0
    }
  }
]

