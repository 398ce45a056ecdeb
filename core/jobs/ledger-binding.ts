/**
 * The seam between the jobs state machine and the ledger (core/ledger, issue 15), programmed
 * against the ledger's public shapes (core/ledger/types.ts) so it works with whatever
 * `createLedger` returns: the five `job.*` kinds are registered with a deterministic validator
 * (`decodeJobEntry`: structure only — the ledger refuses malformed bytes at apply on every peer
 * alike), and every committed, applied `job.*` entry is fed in order to `JobsState.apply`, whose
 * own refusals (stale token, slot leased, …) are jobs-level and identical on every peer too.
 *
 * Not here yet: the worker loop (plan → claim → fetch blobs → run → renew → result) and the CLI
 * that submits through a running peer; see docs/jobs.md.
 */
import type { CommittedEntry } from '../ledger/types.ts'
import { decodeJobEntry, encodeJobEntry, JOB_KINDS, type JobEntry } from './entries.ts'
import { JobsState, type JobEvent } from './state.ts'

type CommitListener = (e: CustomEvent<{ height: number, entries: CommittedEntry[] }>) => void

/** What the binding needs from a running ledger. */
export interface JobsLedger {
  registerKind: (kind: string, validate: (data: Uint8Array, author: string) => string | null) => void
  addEventListener: (type: 'commit', listener: CommitListener) => void
  removeEventListener: (type: 'commit', listener: CommitListener) => void
  submit: (entry: { kind: string, data: Uint8Array }, opts?: { timeoutMs?: number }) => Promise<CommittedEntry>
  /** caught up since this peer started (core/ledger's `synced`); absent: taken as caught up */
  readonly synced?: boolean
}

/** The ledger's validator for one job kind: the refusal text, or null when well-formed. */
export function jobKindValidator (kind: string): (data: Uint8Array) => string | null {
  return (data) => {
    try {
      decodeJobEntry(kind, data)
      return null
    } catch (err) {
      return err instanceof Error ? err.message : String(err)
    }
  }
}

export interface JobsBinding {
  readonly state: JobsState
  /** submits one job entry (checked locally first) and resolves with its commit */
  submit: (entry: JobEntry, opts?: { timeoutMs?: number }) => Promise<CommittedEntry>
  /** stops feeding commits (kinds stay registered: the ledger has no unregister) */
  unbind: () => void
}

/**
 * Registers the job kinds with `ledger` and applies its commits to `state`. `onEvents` gets the
 * events of every applied entry (and refusals as `refused`), in commit order.
 */
export function bindJobs (ledger: JobsLedger, state = new JobsState(), onEvents?: (events: JobEvent[], entry: CommittedEntry, refusal?: string) => void): JobsBinding {
  for (const kind of JOB_KINDS) ledger.registerKind(kind, jobKindValidator(kind))
  const listener: CommitListener = (e) => {
    for (const entry of e.detail.entries) {
      if (!entry.applied || !(JOB_KINDS as readonly string[]).includes(entry.kind)) continue
      const r = state.apply({ slot: entry.slot, index: entry.index, author: entry.author, kind: entry.kind, data: entry.data })
      onEvents?.(r.applied ? r.events : [], entry, r.applied ? undefined : r.refusal)
    }
  }
  ledger.addEventListener('commit', listener)
  return {
    state,
    submit: async (entry, opts) => await ledger.submit(encodeJobEntry(entry), opts),
    unbind: () => { ledger.removeEventListener('commit', listener) }
  }
}
