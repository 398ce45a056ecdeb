/**
 * Which store a state command (`issues …`, `memory …`) works on, chosen without flags:
 *
 * 1. `--data-dir <dir>`: that folder. A read refuses a folder without a store (a mistyped path
 *    must not look like an empty board); a write may start a new store there.
 * 2. `--peer <name>`: the running peer of that name (node-runtime/home/registry.ts).
 * 3. Otherwise a running peer on this machine, the bootstrap first: the command goes through its
 *    control endpoint, so the edit reaches the mesh at once.
 * 4. No peer running: the stored state under the home (`bootstrap` first, else the newest), with
 *    a note that it is offline (edits reach the mesh when that peer starts again).
 * 5. Nothing at all: `NoStoreError` saying how to start a peer.
 *
 * The `note` says in one line which store was used; the CLI prints it on stderr.
 */
import { hasStore, novacronHome, runningPeers, storedStores } from '../home/registry.ts'
import { NoStoreError, PeerNotRunningError } from './errors.ts'

export interface LocateInit {
  dataDir?: string
  peer?: string
  /** The command changes state (a new store may be created only for an explicit --data-dir). */
  write: boolean
  /** @default novacronHome() */
  home?: string
}

export interface StoreChoice {
  dataDir: string
  /** One line for stderr naming the store, when it was chosen implicitly. */
  note?: string
}

export function locateStore (init: LocateInit): StoreChoice {
  const home = init.home ?? novacronHome()
  if (init.dataDir != null) {
    if (!init.write && !hasStore(init.dataDir)) {
      throw new NoStoreError(`no store in ${init.dataDir} (is the --data-dir right? a peer's store is its data dir, e.g. ${home}/bootstrap)`)
    }
    return { dataDir: init.dataDir }
  }
  const running = runningPeers(home)
  if (init.peer != null) {
    const p = running.find(r => r.name === init.peer)
    if (p == null) {
      throw new PeerNotRunningError(`no peer named '${init.peer}' is running${running.length > 0 ? ` (running: ${running.map(r => r.name).join(', ')})` : ' (none is)'}`)
    }
    return { dataDir: p.dataDir, note: `using peer '${p.name}' (pid ${p.pid}, ${p.dataDir})` }
  }
  if (running.length > 0) {
    const p = running[0]
    const others = running.length > 1 ? `; running: ${running.map(r => r.name).join(', ')} (--peer picks one)` : ''
    return { dataDir: p.dataDir, note: `using peer '${p.name}' (pid ${p.pid}, ${p.dataDir})${others}` }
  }
  const stored = storedStores(home)
  if (stored.length > 0) {
    const s = stored[0]
    return {
      dataDir: s.dataDir,
      note: `no peer is running: using the stored state of '${s.name}' (${s.dataDir})${init.write ? `; the mesh gets this change when '${s.name}' starts again` : ''}`
    }
  }
  throw new NoStoreError(`no peer is running and there is no stored state in ${home}: start one with 'novacron start' (or give --data-dir)`)
}
