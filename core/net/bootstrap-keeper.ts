/**
 * Keeps the node connected to its bootstrap peers: dials them at start and, whenever a link is
 * lost, re-dials with exponential backoff (`backoffMs`, doubling up to `backoffMaxMs`, forever),
 * so a peer recovers on its own when a restarted bootstrap comes back.
 *
 * libp2p's own KEEP_ALIVE reconnect gives up after a fixed number of retries; a mesh whose
 * bootstrap is down for a minute must not, hence this small loop.
 */
export interface BootstrapKeeperInit {
  /** Bootstrap multiaddrs with their peer ids. */
  targets: ReadonlyArray<{ addr: string, peerId: string }>
  backoffMs: number
  backoffMaxMs: number
  /** Dials one bootstrap address; rejects on failure. */
  dial: (addr: string) => Promise<void>
  isConnected: (peerId: string) => boolean
  onError?: (addr: string, err: Error, nextDelayMs: number) => void
}

interface TargetState {
  addr: string
  peerId: string
  delay: number
  timer?: ReturnType<typeof setTimeout>
  dialing: boolean
}

export class BootstrapKeeper {
  private readonly states: TargetState[]
  private running = false

  constructor (private readonly init: BootstrapKeeperInit) {
    this.states = init.targets.map(t => ({ ...t, delay: init.backoffMs, dialing: false }))
  }

  start (): void {
    if (this.running) return
    this.running = true
    for (const s of this.states) this.schedule(s, 0)
  }

  stop (): void {
    this.running = false
    for (const s of this.states) { clearTimeout(s.timer); s.timer = undefined }
  }

  /** Call when a peer disconnected; schedules a re-dial if it was a bootstrap. */
  peerDisconnected (peerId: string): void {
    for (const s of this.states) if (s.peerId === peerId) this.schedule(s, s.delay)
  }

  /** Re-checks every target (a safety net for missed events). */
  check (): void {
    for (const s of this.states) this.schedule(s, s.delay)
  }

  private schedule (s: TargetState, delay: number): void {
    if (!this.running || s.timer != null || s.dialing || this.init.isConnected(s.peerId)) return
    s.timer = setTimeout(() => { s.timer = undefined; void this.attempt(s) }, delay)
  }

  private async attempt (s: TargetState): Promise<void> {
    if (!this.running || this.init.isConnected(s.peerId)) return
    s.dialing = true
    try {
      await this.init.dial(s.addr)
      s.delay = this.init.backoffMs
    } catch (err) {
      s.delay = Math.min(s.delay * 2, this.init.backoffMaxMs)
      this.init.onError?.(s.addr, err instanceof Error ? err : new Error(String(err)), s.delay)
      s.dialing = false
      this.schedule(s, s.delay)
      return
    }
    s.dialing = false
  }
}
