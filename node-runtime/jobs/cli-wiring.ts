/**
 * What `novacron start` / `novacron peer` add for jobs: the `--job-capacity` option and the jobs
 * service's hooks around the ledger (node-runtime/ledger/cli-wiring.ts calls them): `prepare`
 * binds the job kinds to the ledger before it starts, `start` runs the blob service and the worker
 * once it runs, `stop` ends them before the ledger leaves.
 */
import type { MeshNode } from '../../core/net/index.ts'
import type { JobsLedger } from '../../core/jobs/ledger-binding.ts'
import { bool, num, str, type CliIO, type OptionSpec, type ParsedArgs } from '../cli/args.ts'
import { duration } from '../cli/commands/job.ts'
import type { ControlServer } from '../state/control.ts'
import { jobsHostileFromEnv, preparePeerJobs, type PeerJobs } from './peer-jobs.ts'

export const jobOptions: OptionSpec[] = [
  { name: 'job-capacity', type: 'integer', value: '<n>', min: 0, max: 64, description: 'WebAssembly tasks this peer runs at once for the mesh (0: none; default: cores - 1, at least 1)' },
  { name: 'migration', type: 'boolean', description: 'Run tasks with checkpoints so they can move to other peers (live migration, docs/migration.md; off by default: the first task of each module waits for its instrumentation, ~20 s of CPU under load)' },
  { name: 'checkpoint-interval', type: 'string', value: '<duration>', default: '30s', description: 'With --migration: how often a running task takes a checkpoint, kept by another peer (0: never); a task whose peer vanished resumes from its last one' },
  { name: 'migration-grace', type: 'string', value: '<duration>', default: '10s', description: 'With --migration: on SIGINT/SIGTERM, how long running tasks may take to move to other peers before the peer exits' }
]

export interface JobsHooks {
  prepare: (ledger: unknown) => void
  start: () => Promise<void>
  stop: () => Promise<void>
}

function isJobsLedger (l: unknown): l is JobsLedger {
  const o = l as Partial<JobsLedger> | null
  return typeof o?.registerKind === 'function' && typeof o.submit === 'function' && typeof o.addEventListener === 'function'
}

export function jobsFor (args: ParsedArgs, io: CliIO, ctx: { node: MeshNode, control?: ControlServer, dataDir?: string, out: (event: string, fields: Record<string, unknown>, human: string) => void }): JobsHooks {
  let jobs: PeerJobs | undefined
  const capacity = args.options['job-capacity'] !== undefined ? num(args, 'job-capacity') : undefined
  const migration = !bool(args, 'migration') ? undefined : {
    graceMs: duration(str(args, 'migration-grace') ?? '10s', '--migration-grace'),
    checkpointIntervalMs: str(args, 'checkpoint-interval') === '0' ? 0 : duration(str(args, 'checkpoint-interval') ?? '30s', '--checkpoint-interval')
  }
  const log = process.env.NOVACRON_DEBUG != null ? (m: string) => { io.stderr.write(`jobs: ${m}\n`) } : undefined
  return {
    prepare: (ledger) => {
      if (!isJobsLedger(ledger)) throw new TypeError('this ledger cannot register entry kinds: jobs need registerKind')
      jobs = preparePeerJobs(ledger, {
        node: ctx.node,
        out: ctx.out,
        ...(capacity != null ? { capacity } : {}),
        ...(migration != null ? { migration } : {}),
        ...(ctx.control != null ? { control: ctx.control } : {}),
        // blobs persist in the peer's data dir, explicit (--data-dir) or the default <home>/<name>:
        // content-addressed and re-checked on read, they are valid in any mesh
        ...((d => d != null ? { dataDir: d } : {})(ctx.dataDir ?? str(args, 'data-dir'))),
        ...(log != null ? { log } : {}),
        ...((h => h != null ? { hostile: h } : {})(jobsHostileFromEnv()))
      })
    },
    start: async () => { await jobs?.start() },
    stop: async () => { await jobs?.stop() }
  }
}
