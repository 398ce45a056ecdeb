/**
 * `novacron learn` processes for the live-learning tests: started against a `LedgerCluster`'s
 * bootstrap (following the ledger without joining its replicas, so commits stay one hop), and their
 * `model.status` read through the control endpoint.
 */
import { join } from 'node:path'
import type { ModelStatus } from '../../node-runtime/learning/live-peer.ts'
import { readControlInfo, remoteOp } from '../../node-runtime/state/control.ts'
import type { LedgerCluster } from './ledger-cluster.ts'
import { startCli, type CliProcess } from './processes.ts'

export interface Learner { dataDir: string, proc: CliProcess, peerId: string }

export async function startLearner (cluster: LedgerCluster, name: string, flags: string[], env: NodeJS.ProcessEnv = {}): Promise<Learner> {
  const dataDir = join(cluster.root, name)
  const proc = startCli(['learn', '--bootstrap', cluster.bootAddr, '--data-dir', dataDir, '--json', '--no-ledger-join', ...flags], { NOVACRON_TEST: '1', ...env })
  const m = await proc.waitForOutput(/\{"event":"listening"[^\n]*\}/, 180_000)
  const peerId = (JSON.parse(m[0]) as { peerId: string }).peerId
  await proc.waitForOutput(/\{"event":"learn:start"[^\n]*\}/, 300_000) // the data, tfjs and the ledger under load
  return { dataDir, proc, peerId }
}

export async function modelStatus (l: Learner): Promise<ModelStatus> {
  const info = readControlInfo(l.dataDir)
  if (info == null) throw new Error('no control endpoint yet')
  return await remoteOp(info, 'model.status', {}) as ModelStatus
}


/**
 * The bootstrap for a live-learning test with tabs: one ledger replica (the learners and tabs
 * follow), and the URL of the app it serves.
 */
export async function startLearningBoot (cluster: LedgerCluster): Promise<{ url: string }> {
  const boot = await cluster.startBoot()
  await cluster.op(boot, 'config.set', { key: 'ledger.maxReplicas', value: 1 })
  const url = (JSON.parse(/\{"event":"listening"[^\n]*\}/.exec(boot.proc.stdout)?.[0] ?? '{}') as { url: string }).url
  return { url }
}
