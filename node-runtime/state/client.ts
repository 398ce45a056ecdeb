/**
 * How a CLI command reaches shared state: it opens the data dir itself when no peer runs there,
 * and otherwise sends each operation to the running peer's control endpoint. Either way the
 * command sees one `exec(op, args)` function and gets the same results and typed errors.
 *
 * Opening the data dir itself, the CLI writes as the peer of that data dir: it loads (or creates) its
 * key `peer-key.pb`, writes under a client id bound to that key and a fresh session, and stores its
 * changes as signed entries next to the doc, so the peer relays them once it runs (docs/state.md,
 * "Authenticated writes").
 */
import { hostname, userInfo } from 'node:os'
import { readControlInfo, remoteOp, type OpArgs } from './control-client.ts'
import type * as Y from 'yjs'
import type { EntryStore, SignedReplica } from '../../core/state/replica.ts'
import { DataDirLockedError } from './errors.ts'
import { isAlive } from '../home/registry.ts'

export type Exec = (op: string, args?: OpArgs) => Promise<unknown>

export interface StateSession {
  exec: Exec
  /** 'local': this process opened the data dir; 'peer': a running peer serves it. */
  mode: 'local' | 'peer'
}

export function cliActor (): string {
  let user = 'user'
  try { user = userInfo().username } catch { /* no passwd entry in some containers */ }
  return `cli:${user}@${hostname()}`
}

export async function withState<T> (dataDir: string, fn: (session: StateSession) => Promise<T>): Promise<T> {
  // A live peer advertises its control endpoint in the data dir: go straight to it, without
  // loading LevelDB just to find its lock taken (the common case, and the fast one).
  const advertised = readControlInfo(dataDir)
  if (advertised != null && isAlive(advertised.pid)) {
    return await fn({ mode: 'peer', exec: async (op, args = {}) => await remoteOp(advertised, op, args) })
  }
  // the local path loads Yjs and LevelDB only now (the peer path above needs neither), and the
  // signing code (libp2p keys, noble) only before the first operation that writes
  const [{ openPersistentDoc }, { runOp, READ_OPS }] = await Promise.all([import('./persistence.ts'), import('./ops.ts')])
  let local: Awaited<ReturnType<typeof openPersistentDoc>> | undefined
  try {
    local = await openPersistentDoc(dataDir)
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err
  }
  if (local == null) {
    const info = readControlInfo(dataDir)
    if (info == null) throw new DataDirLockedError(`the state database in ${dataDir} is in use, and no control endpoint is advertised there`)
    return await fn({ mode: 'peer', exec: async (op, args = {}) => await remoteOp(info, op, args) })
  }
  const opened = local
  const target = { doc: opened.doc, actor: cliActor() }
  let replica: Promise<SignedReplica> | undefined
  try {
    return await fn({
      mode: 'local',
      exec: async (op, args = {}) => {
        if (!READ_OPS.has(op)) replica ??= signingReplica(dataDir, opened)
        if (replica != null) await replica
        return runOp(target, op, args)
      }
    })
  } finally {
    // what the operations changed (also before a failing one) becomes one signed entry on disk
    try { await (await replica)?.signQueued() } finally { await opened.close() }
  }
}

/**
 * The replica that signs this process's writes as the data dir's peer: it must exist before the
 * first write, since it records the doc's updates as they happen.
 */
async function signingReplica (dataDir: string, local: { doc: Y.Doc, entries: EntryStore }): Promise<SignedReplica> {
  const [{ peerIdFromPrivateKey }, { randomSession }, { DEFAULT_PENDING_LIMITS }, { newReplicaStats, SignedReplica }, { loadOrCreateIdentity }] = await Promise.all([
    import('@libp2p/peer-id'), import('../../core/state/author.ts'), import('../../core/state/pending.ts'),
    import('../../core/state/replica.ts'), import('../mesh/identity.ts')
  ])
  const key = await loadOrCreateIdentity(dataDir)
  return SignedReplica.for({
    doc: local.doc,
    signer: { peerId: peerIdFromPrivateKey(key).toString(), sign: data => key.sign(data) },
    session: randomSession(),
    acceptAuthor: () => true,
    pendingLimits: DEFAULT_PENDING_LIMITS,
    stats: newReplicaStats(),
    store: local.entries,
    log: () => {}
  })
}
