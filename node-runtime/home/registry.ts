/**
 * Where Node peers keep their data by default, and how the CLI finds the peers running on this
 * machine without flags.
 *
 * The home is `$NOVACRON_HOME`, default `~/.novacron`. Every `novacron start` / `novacron peer` has
 * a name (`--name`; default `bootstrap` for start, the first free `peer-1`, `peer-2`, … for peer), its
 * data dir defaults to `<home>/<name>`, and while it runs it is listed in `<home>/peers/<name>.json`
 * (pid, role, data dir, peer id, addresses). A record whose pid is gone is stale (the peer was
 * killed) and is ignored and removed by the next reader, so the list never lies for long.
 *
 * A name is claimed by creating its record exclusively (`wx`), so two peers started at the same
 * moment never take the same name; the data dir's LevelDB lock is the second guard.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { PeerNameInUseError } from '../state/errors.ts'

export type PeerRole = 'bootstrap' | 'peer'

export interface PeerRecord {
  name: string
  pid: number
  role: PeerRole
  dataDir: string
  startedAt: number
  /** Known once the node exists. */
  peerId?: string
  /** Its listen addresses (the bootstrap's WebSockets multiaddr is what peers dial). */
  multiaddrs?: string[]
  /** The app URL (bootstrap only). */
  url?: string
}

/** Names a person can type and a file system accepts. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export function novacronHome (env: NodeJS.ProcessEnv = process.env): string {
  return env.NOVACRON_HOME != null && env.NOVACRON_HOME !== '' ? env.NOVACRON_HOME : join(homedir(), '.novacron')
}

const recordFile = (home: string, name: string): string => join(home, 'peers', `${name}.json`)

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isAlive (pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readRecord (file: string): PeerRecord | null {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as PeerRecord
    return typeof r.name === 'string' && typeof r.pid === 'number' && typeof r.dataDir === 'string' ? r : null
  } catch {
    return null
  }
}

/**
 * Claims `name` for this process. A live holder makes it a `PeerNameInUseError`; a stale record
 * (dead pid, or unreadable) is replaced.
 */
export function claimName (home: string, record: PeerRecord): void {
  mkdirSync(join(home, 'peers'), { recursive: true })
  const file = recordFile(home, record.name)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(record, null, 1) + '\n', { flag: 'wx' })
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = readRecord(file)
    if (holder != null && holder.pid !== process.pid && isAlive(holder.pid)) {
      throw new PeerNameInUseError(`the name '${record.name}' is taken by a running ${holder.role} (pid ${holder.pid}, data in ${holder.dataDir}); choose another --name`)
    }
    rmSync(file, { force: true })
  }
  throw new PeerNameInUseError(`could not claim the name '${record.name}' in ${join(home, 'peers')}`)
}

/** Claims the first free `peer-<n>` and returns it. */
export function claimFreePeerName (home: string, record: Omit<PeerRecord, 'name' | 'dataDir'> & { dataDir?: string }): PeerRecord {
  for (let n = 1; n < 10_000; n++) {
    const name = `peer-${n}`
    const full: PeerRecord = { ...record, name, dataDir: record.dataDir ?? join(home, name) }
    try {
      claimName(home, full)
      return full
    } catch (err) {
      if (!(err instanceof PeerNameInUseError)) throw err
    }
  }
  throw new PeerNameInUseError(`no free peer name in ${join(home, 'peers')}`)
}

/** Adds what became known after the claim (peer id, addresses). Only the claiming process calls it. */
export function updateRecord (home: string, record: PeerRecord): void {
  const file = recordFile(home, record.name)
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(record, null, 1) + '\n')
  renameSync(tmp, file)
}

/** Drops this process's record (no-op when another process holds the name by now). */
export function releaseName (home: string, name: string): void {
  const file = recordFile(home, name)
  if (readRecord(file)?.pid === process.pid) rmSync(file, { force: true })
}

/** The peers running on this machine, the bootstrap(s) first, then by name; stale records are removed. */
export function runningPeers (home: string): PeerRecord[] {
  const dir = join(home, 'peers')
  let files: string[]
  try {
    files = readdirSync(dir).filter(f => f.endsWith('.json'))
  } catch {
    return []
  }
  const live: PeerRecord[] = []
  for (const f of files) {
    const r = readRecord(join(dir, f))
    if (r != null && isAlive(r.pid)) live.push(r)
    else if (r != null) {
      try { rmSync(join(dir, f), { force: true }) } catch { /* a read-only home: the record stays ignored */ }
    }
  }
  return live.sort((a, b) => (a.role === b.role ? 0 : a.role === 'bootstrap' ? -1 : 1) || a.name.localeCompare(b.name, 'en', { numeric: true }))
}

/** Whether `dataDir` holds a state database (a peer or the CLI wrote there before). */
export function hasStore (dataDir: string): boolean {
  return existsSync(join(dataDir, 'state', 'CURRENT'))
}

/** Stores under the home that no running peer holds, the `bootstrap` one first, then newest first. */
export function storedStores (home: string): Array<{ name: string, dataDir: string }> {
  let names: string[]
  try {
    names = readdirSync(home).filter(n => n !== 'peers' && NAME_PATTERN.test(n))
  } catch {
    return []
  }
  const stores = names.map(name => ({ name, dataDir: join(home, name) })).filter(s => hasStore(s.dataDir))
  const mtime = (d: string): number => { try { return statSync(join(d, 'state')).mtimeMs } catch { return 0 } }
  return stores.sort((a, b) => (a.name === 'bootstrap' ? -1 : b.name === 'bootstrap' ? 1 : mtime(b.dataDir) - mtime(a.dataDir)))
}
