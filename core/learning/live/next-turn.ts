/**
 * Whether this peer coordinates the next round now (for one `LiveLearning`, service.ts): the draw
 * (draw-state.ts, schedule.ts) less the drawn coordinators that passed (turns.ts), left the mesh
 * (liveness.ts), did not answer a probe once their bootstrap unlisted them (probes.ts) or a ping
 * once their `start` was late (late-start.ts); round
 * 1's wait for links to every learner; the `model.pass` of a drawn peer that cannot fetch the
 * head; and the links formed between rounds (links.ts).
 */
import { errorText } from '../errors.ts'
import type { DrawState } from './draw-state.ts'
import { KIND_PASS, writePassEntry } from './entries.ts'
import type { LearnerLinks } from './links.ts'
import type { PeerLiveness } from './liveness.ts'
import type { LearningLedger, LearningMesh, LiveLearningInit } from './ports.ts'
import type { DeathProbes } from './probes.ts'
import { LateStarts } from './late-start.ts'
import { coordinatorAt } from './schedule.ts'
import type { LiveStats } from './status.ts'
import type { LiveTaskConfig } from './task.ts'
import type { Passes } from './turns.ts'

/** round 1 waits at most this long for its coordinator's links to the learners (`LiveLearningInit.startupLinkMs`) */
export const STARTUP_LINK_MS = 10_000

export interface NextTurnDeps {
  task: string
  cfg: LiveTaskConfig
  init: LiveLearningInit
  mesh: LearningMesh
  ledger: LearningLedger
  draw: DrawState
  passes: Passes
  liveness: PeerLiveness
  probes: DeathProbes
  links: LearnerLinks
  stats: LiveStats
  now: () => number
  log: (m: string) => void
  head: () => { round: number, hash: string }
  /** when this peer applied the head (or the draw's seed became known) */
  headAt: () => number
  learners: () => readonly string[]
  /** the round of the last `start` this peer took (participant.ts), 0 before any */
  startedRound: () => number
  /** when this peer's update of `round` was trained (participant.ts), if it was */
  readyAt: (round: number) => number | undefined
}

export class NextTurn {
  /** the round this peer passed (`pass`) */
  private passedRound = 0
  /** the coordinator expected next, pinged once its `start` is late (late-start.ts) */
  private readonly late: LateStarts

  constructor (private readonly d: NextTurnDeps) {
    this.late = new LateStarts(d.mesh, d.now, d.stats, d.log)
  }

  /** Whether this peer passed the next round (it leaves it to the next in the draw even once it holds the head). */
  get passedNext (): boolean { return this.passedRound === this.d.head().round + 1 }

  /**
   * Whether the draw makes this peer the next round's coordinator now: undefined when not, else
   * null (first in the draw) or why it takes over. Drawn coordinators that left the mesh, or passed
   * (turns.ts), are passed over at once; one still there but silent, after roundTimeoutMs (this
   * learner's time since it applied the head: ledger blocks carry no time).
   */
  drawnNow (now: number): string | null | undefined {
    const { d } = this
    const head = d.head()
    if (head.round >= (d.init.rounds ?? Infinity)) return undefined
    if (d.learners().length < (d.init.minLearners ?? 1) || !d.draw.ready) return undefined
    this.observeMesh()
    const self = d.mesh.peerId
    const drawn = d.draw.order()
    const order = d.passes.filter(drawn, head)
    // those ahead of this peer whose bootstrap link closed are probed; a silent one is passed over (probes.ts)
    d.probes.check(order.slice(0, Math.max(0, order.indexOf(self))))
    const live = order.filter(p => p === self || !(d.liveness.gone(p) || d.probes.dead(p) || this.late.silent(p, head)))
    const me = coordinatorAt(live, now - d.headAt(), d.init.roundTimeoutMs ?? 2 * d.cfg.deadlineMs + 20_000)
    // the one expected instead, while its start has not come: pinged directly once that start is late (late-start.ts)
    this.late.check(head, d.headAt(), me === self ? undefined : me, d.startedRound() > head.round, d.readyAt(head.round + 1))
    if (me !== self) return undefined
    return drawn[0] === self ? null : `${drawn.indexOf(self)} ahead in the draw, ${drawn.length - live.length} of them gone from the mesh, passed or silent to a late start's ping`
  }

  /**
   * Whether round 1's coordinator still waits for links before it begins (`startupLinkMs`): until
   * it holds a direct link to every joined learner in its mesh view (not gone, not unlisted by its
   * bootstrap: `notWorthDialling`), at most `startupLinkMs` after the draw's seed was known,
   * dialling each missing one again whenever its dial settles (links.ts `redial`). The learners dial
   * one another meanwhile (`prelink`), so the rounds after the first no longer run while the mesh
   * links itself. Decided once; recorded in `stats.startupLinks`.
   */
  startupLinksPending (now: number): boolean {
    const { d } = this
    if (d.head().round !== 0 || d.stats.startupLinks != null) return false
    const inView = new Set(d.mesh.members())
    const unlinked = d.links.unlinked(d.learners(), this.notWorthDialling()).filter(p => inView.has(p))
    const waitedMs = Math.round(now - d.headAt())
    if (unlinked.length > 0 && waitedMs < (d.init.startupLinkMs ?? STARTUP_LINK_MS)) {
      // dialled again as soon as a dial settles, whoever's id is smaller and however recently one failed (links.ts `redial`)
      d.stats.learnersDialled += d.links.redial(unlinked).length
      return true
    }
    d.stats.startupLinks = { waitedMs, unlinked: unlinked.length }
    if (waitedMs > 0) d.log(`round 1: waited ${waitedMs} ms for links to the learners${unlinked.length > 0 ? `, ${unlinked.length} still unlinked` : ''}`)
    return false
  }

  /** Commits a `model.pass` for the next round: this peer is drawn but cannot fetch the head (turns.ts). */
  pass (): void {
    const { d } = this
    const head = d.head()
    const round = head.round + 1
    this.passedRound = round
    d.stats.passes++
    d.log(`round ${round}: drawn, but no source of the head ${head.hash.slice(0, 12)} answered: passing the turn`)
    d.ledger.submit({ kind: KIND_PASS, data: writePassEntry({ task: d.task, round, base: head.hash }) }, { timeoutMs: 30_000 })
      .catch(err => { d.log(`round ${round}: pass: ${errorText(err)}`) })
  }

  /** Dials, in the background, the joined learners this peer lacks a direct link to (links.ts). */
  prelink (): void {
    this.d.stats.learnersDialled += this.d.links.prelink(this.d.learners(), this.notWorthDialling()).length
  }

  /** Learners not worth a dial now: gone from the mesh, probed dead, or unlisted by their bootstrap (most likely dead: probes.ts). */
  notWorthDialling (): (peer: string) => boolean {
    const unlisted = new Set(this.d.mesh.unlisted())
    return p => this.d.liveness.gone(p) || this.d.probes.dead(p) || unlisted.has(p)
  }

  /** Reads the mesh's open links and view into `liveness`. */
  observeMesh (): void {
    this.d.liveness.observe(this.d.mesh.links().map(l => l.peerId), this.d.mesh.members(), this.d.now())
  }
}
