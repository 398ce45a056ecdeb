/**
 * The name and data dir of a starting `novacron start` / `novacron peer`, and its entry in the
 * list of running peers (node-runtime/home/registry.ts), so that several peers on one machine
 * work without flags and the CLI finds them.
 *
 * Defaults: `start` is named `bootstrap`, each `peer` takes the first free `peer-<n>`; the data
 * dir is `<home>/<name>` (home: $NOVACRON_HOME, default ~/.novacron) unless --data-dir is given.
 * `--name` claims exactly that name (an error while a running peer holds it).
 */
import { UsageError, str, type ParsedArgs } from '../cli/args.ts'
import { claimFreePeerName, claimName, NAME_PATTERN, novacronHome, releaseName, updateRecord, type PeerRecord, type PeerRole } from '../home/registry.ts'
import { PeerNameInUseError } from '../state/errors.ts'

export interface PeerHome {
  home: string
  record: PeerRecord
  /** Adds fields (peer id, addresses) to the running-peer entry. */
  update: (fields: Partial<PeerRecord>) => void
  /** Removes the entry; idempotent. */
  release: () => void
}

export function claimPeerHome (args: ParsedArgs, role: PeerRole): PeerHome {
  const home = novacronHome()
  const name = str(args, 'name')
  if (name != null && !NAME_PATTERN.test(name)) throw new UsageError(`--name must be letters, digits, '.', '_' or '-' (got '${name}')`, '--name')
  const explicitDir = str(args, 'data-dir')
  const base = { pid: process.pid, role, startedAt: Date.now() }
  let record: PeerRecord
  try {
    if (name == null && role === 'peer') {
      record = claimFreePeerName(home, { ...base, ...(explicitDir != null ? { dataDir: explicitDir } : {}) })
    } else {
      const n = name ?? 'bootstrap'
      record = { ...base, name: n, dataDir: explicitDir ?? `${home}/${n}` }
      claimName(home, record)
    }
  } catch (err) {
    if (err instanceof PeerNameInUseError) throw new UsageError(err.message, '--name')
    throw err
  }
  let released = false
  const release = (): void => {
    if (released) return
    released = true
    releaseName(home, record.name)
    process.off('exit', release)
  }
  // a crash or process.exit still frees the name (SIGKILL cannot: readers drop dead pids)
  process.on('exit', release)
  return {
    home,
    record,
    update: (fields) => {
      if (released) return
      record = { ...record, ...fields }
      updateRecord(home, record)
    },
    release
  }
}
