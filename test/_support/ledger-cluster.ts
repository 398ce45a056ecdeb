/**
 * A ledger mesh of real `novacron` processes for tests and the benchmark: `novacron start` (the
 * genesis replica) plus `novacron peer`s, each with its own data dir, driven through their control
 * endpoints (the path the CLI takes; polling there costs no process spawn) and, where a test wants
 * the user's view, through the CLI itself (`ledger status --json`). Cleans up what it starts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LedgerStatus } from '../../core/ledger/types.ts'
import { readControlInfo, remoteOp } from '../../node-runtime/state/control.ts'
import type { EntryJson } from '../../node-runtime/ledger/ops.ts'
import { startCli, type CliProcess } from './processes.ts'
import { WaitAbortedError, waitFor } from './wait.ts'

/** A cluster peer's process has exited: its exit code or signal and the end of its stderr. */
export class PeerExitedError extends WaitAbortedError {
  static override name = 'PeerExitedError'
  override name = 'PeerExitedError'
}

/** Why `peer` is gone (exit code or signal, last lines of stderr), or undefined while it runs. */
export function exitReport (peer: ClusterPeer): string | undefined {
  const { exitCode, signalCode } = peer.proc.child
  if (exitCode === null && signalCode === null) return undefined
  const tail = peer.proc.stderr.trimEnd().split('\n').slice(-40).join('\n')
  return `${peer.name} (pid ${peer.proc.child.pid ?? '?'}) exited with ${signalCode ?? `code ${exitCode}`}; the end of its stderr:\n${tail === '' ? '(empty)' : tail}`
}

export interface ClusterPeer {
  name: string
  dataDir: string
  proc: CliProcess
  peerId: string
  /** started without --data-dir (its data dir is the default one under the cluster's home) */
  defaultDir?: boolean
}

export interface ClusterOptions {
  /** extra flags for every process (e.g. ['--ledger-protocol', 'pbft']) */
  flags?: string[]
  /** the bootstrap's flags instead of `flags` @default flags */
  bootFlags?: string[]
  env?: NodeJS.ProcessEnv
  /** ms to wait for a process's `listening` event @default 120000 */
  startTimeoutMs?: number
}

export class LedgerCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'novacron-ledger-cluster-'))
  readonly peers: ClusterPeer[] = []
  bootAddr = ''
  private n = 0

  constructor (private readonly opts: ClusterOptions = {}) {}

  /** `$NOVACRON_HOME` of the peers started with `defaultDir` (their data dir is `<home>/<name>`) */
  get home (): string { return join(this.root, 'home') }

  private async spawn (name: string, args: string[], env: NodeJS.ProcessEnv = {}, dataDir = join(this.root, name), defaultDir = false): Promise<ClusterPeer> {
    const flags = name === 'boot' ? (this.opts.bootFlags ?? this.opts.flags ?? []) : (this.opts.flags ?? [])
    // a default-dir peer gets no --data-dir: `--name` under its own NOVACRON_HOME picks the dir
    const where = defaultDir ? ['--name', name] : ['--data-dir', dataDir]
    const proc = startCli([...args, ...where, '--json', ...flags], { NOVACRON_TEST: '1', ...this.opts.env, ...(defaultDir ? { NOVACRON_HOME: this.home } : {}), ...env })
    const m = await proc.waitForOutput(/\{"event":"listening"[^\n]*\}/, this.opts.startTimeoutMs ?? 120_000)
    const listening = JSON.parse(m[0]) as { peerId: string, multiaddrs: string[] }
    const peer: ClusterPeer = { name, dataDir, proc, peerId: listening.peerId, ...(defaultDir ? { defaultDir } : {}) }
    // a peer that crashes (an exit code other than 0, or a signal this harness does not send) is
    // reported at once with its stderr, whatever the test is waiting for at the time
    void proc.exited.then(code => {
      const signal = proc.child.signalCode
      if ((code != null && code !== 0) || (signal != null && signal !== 'SIGTERM' && signal !== 'SIGKILL')) console.log(`# ${(exitReport(peer) ?? '').replace(/\n/g, '\n#   ')}`)
    })
    if (name === 'boot') this.bootAddr = listening.multiaddrs.find(a => a.includes('/ws/')) ?? listening.multiaddrs[0]
    // the control endpoint is written once the state service is up; the ledger ops once the ledger runs
    await waitFor(async () => readControlInfo(dataDir) != null && await this.statusOf(peer).then(() => true, () => false), { timeout: 60_000, message: `${name}'s ledger control ops` })
    return peer
  }

  async startBoot (env?: NodeJS.ProcessEnv): Promise<ClusterPeer> {
    const p = await this.spawn('boot', ['start', '--host', '127.0.0.1', '--port', '0', '--ws-port', '0'], env)
    this.peers.push(p)
    return p
  }

  /**
   * Starts a `novacron peer` (on `reuse`'s data dir and name: a restart). With `defaultDir` it is
   * started without `--data-dir`, so it uses the default `<home>/<name>` (`this.home`).
   */
  async startPeer (env?: NodeJS.ProcessEnv, reuse?: ClusterPeer, opts: { defaultDir?: boolean } = {}): Promise<ClusterPeer> {
    const name = reuse?.name ?? `peer${++this.n}`
    const defaultDir = opts.defaultDir ?? reuse?.defaultDir ?? false
    const p = await this.spawn(name, ['peer', '--bootstrap', this.bootAddr], env, defaultDir ? join(this.home, name) : reuse?.dataDir, defaultDir)
    if (reuse != null) this.peers.splice(this.peers.indexOf(reuse), 1, p)
    else this.peers.push(p)
    return p
  }

  /** Peers whose process still runs (a SIGKILLed one exits with code null and a signal). */
  live (): ClusterPeer[] { return this.peers.filter(p => p.proc.child.exitCode === null && p.proc.child.signalCode === null) }

  /** Runs a control op on `peer`; a peer whose process has exited fails with `PeerExitedError` (its stderr), ending any `waitFor` at once. */
  async op (peer: ClusterPeer, op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const gone = exitReport(peer)
    if (gone != null) throw new PeerExitedError(gone)
    const info = readControlInfo(peer.dataDir)
    if (info == null) throw new Error(`${peer.name} has no control endpoint`)
    return await remoteOp(info, op, args)
  }

  async statusOf (peer: ClusterPeer): Promise<LedgerStatus> {
    return await this.op(peer, 'ledger.status') as LedgerStatus
  }

  async submit (peer: ClusterPeer, text: string, timeoutMs = 120_000): Promise<EntryJson> {
    return await this.op(peer, 'ledger.submit', { kind: 'note', data: JSON.stringify({ text }), timeoutMs }) as EntryJson
  }

  /** Waits until every peer in `group` is a replica view with `n` replicas (the same epoch on all). */
  async waitReplicas (n: number, group = this.live(), timeout = 180_000): Promise<LedgerStatus[]> {
    let last: LedgerStatus[] = []
    return await waitFor(async () => {
      last = await Promise.all(group.map(async p => await this.statusOf(p)))
      const epochs = new Set(last.map(s => s.epoch))
      return last.every(s => s.replicas.length === n) && epochs.size === 1 ? last : null
    }, { timeout, interval: 250, message: () => `${n} replicas everywhere; now ${last.map(s => `${s.replicas.length}@e${s.epoch}`).join(' ')}` })
  }

  /** Waits until every peer of `group` has the same height ≥ `minHeight` and the same head. */
  async waitSameHead (minHeight: number, group = this.live(), timeout = 120_000): Promise<LedgerStatus[]> {
    let last: LedgerStatus[] = []
    return await waitFor(async () => {
      last = await Promise.all(group.map(async p => await this.statusOf(p)))
      const heads = new Set(last.map(s => `${s.height}:${s.head}`))
      return heads.size === 1 && last[0].height >= minHeight ? last : null
    }, { timeout, interval: 250, message: () => `one head at height >= ${minHeight}; now ${last.map(s => `${s.height}:${s.head.slice(0, 8)}`).join(' ')}` })
  }

  async kill (peer: ClusterPeer): Promise<void> {
    peer.proc.child.kill('SIGKILL')
    await peer.proc.exited
  }

  async stop (): Promise<void> {
    // peers first (their graceful leave needs the bootstrap), then the bootstrap
    await Promise.all(this.peers.filter(p => p.name !== 'boot').map(async p => await p.proc.stop()))
    await Promise.all(this.peers.map(async p => await p.proc.stop()))
    rmSync(this.root, { recursive: true, force: true })
  }
}
