/**
 * `npm run bench -- live-learning`: federated rounds over the live mesh against the same
 * configuration simulated by `novacron fl-sim`, in one run. `novacron start` (the ledger's only
 * replica: `ledger.maxReplicas` 1, so the ledger's own consensus is not what is measured) and P
 * `novacron learn` processes on loopback (started together), each on shard i/P of the bundled MNIST
 * (Dirichlet(0.5), ≤ 500 training and 500 held-out rows), MLP 784-32-10, FedAvg, every linked
 * learner in every round. Reports:
 *
 * - rounds per minute and the time between consecutive commits (p50, p95), as peer 0 applied them
 *   (and as the bench's poll saw them, `polledGapMs`), with every round's phases (`timeline`);
 * - bytes sent per round by message type (all peers together; `update` the uplink, `delta` the
 *   quantised downlink, `model` whole models), and per participant, against dense float32 FedAvg
 *   (the named baseline: every participant of the round uploads and downloads 4 bytes per
 *   parameter);
 * - the live final accuracy (mean of the surviving peers' held-out accuracy of the last committed
 *   model) against `fl-sim` with the same configuration and seed (P clients, all per round, random
 *   selection, FedAvg server step η 1, constant client lr 0.1, hidden 32), client i training on
 *   exactly live learner i's rows and every client evaluated on the learners' 500 held-out rows
 *   (`fl-sim --max-train 500 --max-test 500`, the learners' flags). Before, fl-sim had as many
 *   rows in all but its own split (`--train-per-class` = the learners' rows / 10, Dirichlet-sized
 *   clients, its 2,000 held-out rows): that split alone scored 0.8–7 points above the live
 *   learners' at 8 peers (bench/_fl-split-probe.ts), the whole of the "live gap" of learning5–6.
 *   The same --quantize/--topk/--down-quantize; fl-sim's downlink keeps per-client error
 *   feedback, the live one a committed residual (`--down-feedback`, carry.ts);
 * - with `--drop K`: right after round `--drop-at` commits (peer 0 sees it; the next round is
 *   under way) K learners (the last K) are killed with SIGKILL; the rounds after it must still
 *   commit (`--min-updates` is P − K unless given: at 16 peers a coordinator is linked to only
 *   10–11 of the others, so give one its linked survivors can meet), and each round's participants
 *   are recorded, with the survivors' lost participants, takeovers and failed rounds. fl-sim has
 *   no dropouts: its row is the same configuration without them. For each killed learner a
 *   survivor had selected: when (ms after the kill) that survivor first saw it without a link, out
 *   of its mesh view, and stopped waiting for it (`lossesAfterKillMs`, `by` mesh, probe or a late
 *   update's ping); and for every round a
 *   survivor coordinated, when it began after the kill, its dial and collect times (`coordinatedRounds`).
 * - the load average at the start, every 5 s during the live rounds, and at the end.
 *
 * Flags: --peers P (3) --rounds R (5) --seed S (5) --quantize b (4) --topk f (0.1)
 * --down-quantize b (2) --down-feedback on|off (off; on: the downlink residual carried, carry.ts) --drop K (0) --drop-at r (2) --min-updates m (P − K) --deadline ms (30000)
 * --round-timeout ms (default learn's) --straggler-factor f (default learn's: 0, off) --step-budget N (0, off: the
 * learners' local steps per round together, step-budget.ts) --max-minutes M (60: then it stops and writes what it saw,
 * `complete: false`) --out name (live-learning) --no-sim (skip fl-sim: its row is the same for the same
 * configuration and seed; `flSim` null) --tabs T (0: of the P learners, the last T are real Chromium
 * tabs that press "Join mesh training" in their Learning panel, shard i/P of all the bundled digits
 * each (the panel's data: not capped at 500 rows), the rest `novacron learn` processes; the task is
 * then the panel's: --quantize 8 --topk 1 --down-quantize 8, no --drop; the tabs' own figures in
 * `tabs`, their rounds in the timeline). Writes bench/results/<name>.json.
 * Not measured here yet: the relay tree.
 */
import { liveBenchFlSimArgs } from './_fl-sim-flags.ts'
import os from 'node:os'
import type { Browser, Page } from 'playwright-core'
import type { LiveStatus } from '../core/learning/live/index.ts'
import { launchChromium, openTab } from '../test/_support/chromium.ts'
import { median, percentile, writeResult } from './_results.ts'
import { LedgerCluster } from '../test/_support/ledger-cluster.ts'
import { modelStatus, startLearner, startLearningBoot, type Learner } from '../test/_support/learners.ts'
import { cleanup, startCli } from '../test/_support/processes.ts'
import { waitFor } from '../test/_support/wait.ts'
import type { ModelStatus } from '../node-runtime/learning/live-peer.ts'

const argv = process.argv.slice(2)
const flag = (name: string, def: number, o: { min?: number, int?: boolean } = {}): number => {
  const i = argv.indexOf(name)
  const v = i >= 0 ? Number(argv[i + 1]) : def
  if (!Number.isFinite(v) || v < (o.min ?? 1) || ((o.int ?? true) && !Number.isInteger(v))) throw new RangeError(`${name} expects a number ≥ ${o.min ?? 1}${(o.int ?? true) ? ' (integer)' : ''}`)
  return v
}
const P = flag('--peers', 3)
const R = flag('--rounds', 5)
const SEED = flag('--seed', 5)
const TABS = flag('--tabs', 0, { min: 0 })
// with tabs the task is the Learning panel's (LIVE_TASK_DEFAULTS): 8-bit dense updates, an 8-bit downlink
const QUANTIZE = flag('--quantize', TABS > 0 ? 8 : 4, { min: 0 })
const TOPK = flag('--topk', TABS > 0 ? 1 : 0.1, { min: 1e-6, int: false })
const DOWN = flag('--down-quantize', TABS > 0 ? 8 : 2, { min: 0 })
if (TABS > 0 && (QUANTIZE !== 8 || TOPK !== 1 || DOWN !== 8)) throw new RangeError('with --tabs the task is the Learning panel\'s: --quantize 8 --topk 1 --down-quantize 8')
const FEEDBACK = argv.includes('--down-feedback') ? argv[argv.indexOf('--down-feedback') + 1] : 'off'
if (FEEDBACK !== 'on' && FEEDBACK !== 'off') throw new RangeError('--down-feedback expects on or off')
const DROP = flag('--drop', 0, { min: 0 })
const DROP_AT = flag('--drop-at', 2)
const MIN_UPDATES = flag('--min-updates', Math.max(1, P - DROP))
const DEADLINE = flag('--deadline', 30_000, { min: 100 })
const MAX_MINUTES = flag('--max-minutes', 60, { int: false, min: 0.1 })
const STEP_BUDGET = flag('--step-budget', 0, { min: 0 })
const STRAGGLER = argv.includes('--straggler-factor') ? flag('--straggler-factor', 1.5, { min: 0, int: false }) : null
const ROUND_TIMEOUT = argv.includes('--round-timeout') ? flag('--round-timeout', 0, { min: 1000 }) : null
const OUT = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : 'live-learning'
if (!/^[a-z0-9-]+$/.test(OUT)) throw new RangeError('--out expects a name of a-z, 0-9 and -')
if (DROP >= P) throw new RangeError('--drop must leave at least one learner')
if (TABS >= P) throw new RangeError('--tabs must leave at least one Node learner')
if (TABS > 0 && DROP > 0) throw new RangeError('--tabs and --drop together are not measured here')
if (MIN_UPDATES > P) throw new RangeError('--min-updates cannot exceed --peers')
const HIDDEN = 32
const loadSamples: number[] = []

async function live (): Promise<Record<string, unknown> & { finalAccuracy: number, trainRows: number }> {
  const cluster = new LedgerCluster()
  const learners: Learner[] = []
  let browser: Browser | undefined
  try {
    const { url } = await startLearningBoot(cluster)
    const flags = ['--data', 'mnist', '--max-train', '500', '--max-test', '500', '--hidden', String(HIDDEN), '--rounds', String(R), '--min-peers', String(P),
      '--min-updates', String(MIN_UPDATES), '--deadline', String(DEADLINE), '--seed', String(SEED), '--quantize', String(QUANTIZE), '--topk', String(TOPK),
      '--down-quantize', String(DOWN), '--down-feedback', FEEDBACK, ...(ROUND_TIMEOUT != null ? ['--round-timeout', String(ROUND_TIMEOUT)] : []),
      ...(STRAGGLER != null ? ['--straggler-factor', String(STRAGGLER)] : []), ...(STEP_BUDGET > 0 ? ['--step-budget', String(STEP_BUDGET)] : [])]
    // started together (each loads tfjs and its data); kept in shard order
    const started = await Promise.allSettled(Array.from({ length: P - TABS }, async (_, i) => await startLearner(cluster, `learner${i}`, [...flags, '--shard', `${i}/${P}`])))
    for (const s of started) if (s.status === 'fulfilled') learners.push(s.value)
    const failed = started.find(s => s.status === 'rejected')
    if (failed != null) throw (failed as PromiseRejectedResult).reason
    // the tabs join through their Learning panel with the same task settings (the panel's quantisation: the flags above)
    const tabs: Page[] = []
    if (TABS > 0) browser = await launchChromium()
    for (let j = 0; j < TABS; j++) {
      const tab = await openTab(browser as Browser, url, { name: `tab${j}`, timeout: 300_000, width: 1300 })
      await tab.waitForSelector('[data-testid=learning-join]:not([disabled])')
      const form = { hidden: String(HIDDEN), seed: String(SEED), deadlineMs: String(DEADLINE), minUpdates: String(MIN_UPDATES), minLearners: String(P), rounds: String(R) }
      for (const [name, value] of Object.entries(form)) await tab.fill(`[data-testid=learning-live-${name}]`, value)
      await tab.selectOption('[data-testid=learning-live-data]', 'mnist')
      await tab.fill('[data-testid=learning-live-shard]', `${P - TABS + j}/${P}`)
      await tab.click('[data-testid=learning-join]')
      tabs.push(tab)
    }
    const tabStatus = async (): Promise<Array<LiveStatus | undefined>> => await Promise.all(tabs.map(async t => await t.evaluate('globalThis.__novacronLearning?.status()') as LiveStatus | undefined))
    let tabsNow: Array<LiveStatus | undefined> = []
    const seen = new Map<number, number>()
    const t0 = performance.now()
    const sampler = setInterval(() => { loadSamples.push(Number(os.loadavg()[0].toFixed(2))) }, 5000)
    let alive = learners
    // every learner's training rows, read before any is dropped (fl-sim trains on as many)
    const trainRows = new Map<string, number>()
    let dropped: string[] = []
    let killedAt: number | null = null
    let last: ModelStatus[] = []
    // every learner's status just before the kill: the rounds the killed ones coordinated or trained for
    let beforeKill: ModelStatus[] = []
    let stalled: string | null = null
    try {
      await waitFor(async () => {
        last = await Promise.all(alive.map(modelStatus))
        for (const s of last) trainRows.set(s.peerId, s.trainSamples)
        for (const r of last[0].rounds) if (!seen.has(r.round)) seen.set(r.round, performance.now())
        if (DROP > 0 && dropped.length === 0 && last[0].round >= DROP_AT) {
          // mid-round: the next round started when this one committed
          const victims = learners.slice(P - DROP)
          beforeKill = last
          killedAt = Date.now()
          for (const v of victims) v.proc.child.kill('SIGKILL')
          dropped = victims.map(v => v.peerId)
          alive = learners.slice(0, P - DROP)
          return false
        }
        if (tabs.length > 0) tabsNow = await tabStatus()
        return last.every(s => s.round === R && s.held && s.rounds.at(-1)?.localAccuracy != null) && tabsNow.every(s => s != null && s.round === R && s.held)
      }, { timeout: MAX_MINUTES * 60_000, interval: 200, message: () => `round ${R} on every peer; now ${last.map(s => s.round).join(', ')}${tabs.length > 0 ? `; tabs ${tabsNow.map(s => s?.round ?? 'not joined').join(', ')}` : ''}` })
    } catch (err) {
      // a stalled run still reports what it saw (complete: false), then stops its processes
      if (last.length === 0) throw err
      stalled = err instanceof Error ? err.message : String(err)
    } finally { clearInterval(sampler) }
    const wallMs = performance.now() - t0
    // when each survivor saw each sign of a killed learner it had selected, and when it stopped
    // waiting for it, in ms after the kill (one machine, one clock); and the rounds it coordinated
    const after = (t: number | undefined): number | null => t == null || killedAt == null ? null : Math.round(t - killedAt)
    const lossesAfterKill = last.flatMap(x => x.stats.losses.filter(l => dropped.includes(l.peer)).map(l => ({
      coordinator: x.peerId.slice(-6), round: l.round, peer: l.peer.slice(-6), by: l.by, roundOpened: after(l.openedAt), unlinked: after(l.unlinkedAt), leftView: after(l.leftViewAt), lost: after(l.lostAt)
    })))
    const coordinatedRounds = last.flatMap(x => x.stats.coordinated.map(c => ({
      coordinator: x.peerId.slice(-6), round: c.round, takeover: c.takeover, began: after(c.beganAt), dialMs: c.selectedAt - c.beganAt,
      collectMs: c.closedAt != null ? c.closedAt - c.selectedAt : null, selected: c.selected, admitted: c.admitted ?? null, lost: c.lost ?? null, atDeadline: c.atDeadline ?? null
    }))).sort((a, b) => a.round - b.round || (a.began ?? 0) - (b.began ?? 0))
    // every round's phases, from peer 0 applying the last commit to peer 0 applying this one (ms, one
    // machine's wall clock): the coordinator applying the base, waiting for its turn, dialling, the
    // last update (its own training beside it; that participant's start, base, training and send),
    // closing, aggregating and evaluating, the ledger commit, peer 0 applying it. The killed
    // learners' records come from their status just before the kill.
    // the tabs' records too (a round a tab coordinated, a tab the last to send its update)
    const tabRows = tabsNow.filter((s): s is LiveStatus => s != null)
    const everyone: LiveStatus[] = [...last, ...beforeKill.filter(b => !last.some(x => x.peerId === b.peerId)), ...tabRows]
    const applied = new Map(last[0].rounds.filter(r => r.appliedAt != null).map(r => [r.round, r.appliedAt as number]))
    const timeline = [...applied.keys()].sort((a, b) => a - b).filter(r => applied.has(r - 1)).map(round => {
      const prev = applied.get(round - 1) as number
      const d = (a: number | undefined, b: number | undefined): number | null => a == null || b == null ? null : Math.round(a - b)
      return {
        round, gapMs: d(applied.get(round), prev), coordinator: last[0].rounds.find(r => r.round === round)?.coordinator.slice(-6),
        attempts: everyone.flatMap(x => x.stats.coordinated.filter(c => c.round === round).map(c => {
          const waited = everyone.find(y => y.peerId === c.lastUpdateFrom)?.stats.participated?.find(p => p.round === round && p.coordinator === x.peerId)
          return {
            by: x.peerId.slice(-6), takeover: c.takeoverWhy ?? c.takeover, selected: c.selected, deadLeftOut: c.deadLeftOut ?? 0, admitted: c.admitted ?? null, lost: c.lost ?? null, cut: c.cut ?? null, atDeadline: c.atDeadline ?? null,
            baseApplied: d(c.baseAt, prev), turnWait: d(c.beganAt, c.baseAt),
            // the turn's parts: the base's weights fetched (asked whom, in order; who answered), the poll timer's worst lateness, the longest tick
            ...(c.turn != null ? { turn: { held: c.turn.heldBefore ? 0 : d(c.turn.fetch?.doneAt, c.baseAt), fetchBegan: d(c.turn.fetch?.startedAt, c.baseAt), asked: c.turn.fetch?.asked.map(p => `${p.slice(-6)}${dropped.includes(p) ? '(killed)' : ''}`) ?? [], from: c.turn.fetch?.from?.slice(-6) ?? null, lagMax: c.turn.lagMaxMs, tickMax: c.turn.tickMaxMs } } : {}),
            dial: d(c.selectedAt, c.beganAt), firstStart: d(c.firstStartAt, c.selectedAt), firstUpdate: d(c.firstUpdateAt, c.selectedAt), ownTrain: c.ownTrainMs ?? null, ownTrainAfter: c.ownTrainAfterMs ?? null,
            lastUpdate: d(c.lastUpdateAt, c.selectedAt), lastFrom: c.lastUpdateFrom?.slice(-6) ?? null,
            ...(waited != null ? { lastFromPhases: { start: d(waited.startAt, c.selectedAt), base: d(waited.baseAt, waited.startAt), baseVia: waited.baseVia ?? null, train: d(waited.trainedAt, waited.baseAt), send: d(waited.sentAt, waited.trainedAt) } } : {}),
            // whether the starts carried the base's delta (coordinator.ts START_DELTA_WAIT_MS), and when the base was held here
            startDelta: c.startDelta ?? null, baseHeld: d(c.baseHeldAt, c.selectedAt),
            close: d(c.closedAt, c.lastUpdateAt ?? c.selectedAt), aggregate: d(c.aggregatedAt, c.closedAt),
            // the commit's added wait: the hand-over (coordinator.ts handOver) still unsettled once the model was evaluated; then the ledger's commit
            handover: c.handedAt != null && c.aggregatedAt != null ? Math.max(0, Math.round(c.handedAt - c.aggregatedAt)) : null, handedTo: c.handedTo?.slice(-6) ?? null,
            ledger: d(c.committedAt, c.handedAt ?? c.aggregatedAt), commit: d(c.committedAt, c.aggregatedAt), appliedBy0: d(applied.get(round), c.committedAt)
          }
        }))
      }
    })
    // how long each `start` took to reach a learner: its `startAt` against the coordinator's `selectedAt`
    // (one machine, one clock), over every round a live or killed learner trained for
    const startDelivery = everyone.flatMap(x => x.stats.coordinated.flatMap(c => everyone.flatMap(y => (y.stats.participated ?? [])
      .filter(p => p.round === c.round && p.coordinator === x.peerId).map(p => p.startAt - c.selectedAt)))).sort((a, b) => a - b)
    // how each participant of each round got its base: held, rebuilt from the start's delta, or fetched
    const baseVia: Record<string, number> = {}
    for (const x of everyone) for (const p of x.stats.participated ?? []) baseVia[p.baseVia ?? 'unknown'] = (baseVia[p.baseVia ?? 'unknown'] ?? 0) + 1
    // the gaps between commits as peer 0 applied them (its own clock); the bench's poll of its
    // status (every 200 ms, answered between training steps) saw them later, by up to seconds under load
    const appliedGaps = timeline.map(t => t.gapMs as number)
    const times = [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t)
    const gaps = times.slice(1).map((t, i) => t - times[i])
    const byType: Record<string, number> = {}
    for (const s of last) for (const [k, v] of Object.entries(s.stats.bytesSentByType)) byType[k] = (byType[k] ?? 0) + v
    const perRound = Object.fromEntries(Object.entries(byType).map(([k, v]) => [k, Math.round(v / Math.max(1, last[0].round))]))
    const total = Object.values(perRound).reduce((a, b) => a + b, 0)
    const parameters = 784 * HIDDEN + HIDDEN + HIDDEN * 10 + 10
    const participants = last[0].rounds.map(r => r.participants.length)
    const meanParticipants = participants.reduce((a, b) => a + b, 0) / Math.max(1, participants.length)
    // the named baseline: each participant of a round uploads and downloads the dense float32 model
    const dense = Math.round(meanParticipants * 2 * parameters * 4)
    const acc = last[0].rounds.map(r => r.localAccuracy)
    const finalAccuracy = last.reduce((s, x) => s + (x.rounds.at(-1)?.localAccuracy ?? 0), 0) / last.length
    const fetches = {
      delta: last.reduce((s, x) => s + x.stats.deltaFetches, 0), full: last.reduce((s, x) => s + x.stats.fullFetches, 0),
      // models rebuilt from the delta a `start` carried (participant.ts): no fetch
      withStart: last.reduce((s, x) => s + (x.stats.deltasWithStart ?? 0), 0),
      // downlink residuals (carry.ts): only the next coordinator fetches one, inside `delta` answers
      carry: last.reduce((s, x) => s + (x.stats.carryFetches ?? 0), 0), carryBytes: last.reduce((s, x) => s + (x.stats.carryBytesReceived ?? 0), 0),
      carriesLost: last.reduce((s, x) => s + (x.stats.carriesLost ?? 0), 0)
    }
    return {
      trainRows: [...trainRows.values()].reduce((a, b) => a + b, 0),
      complete: stalled == null, ...(stalled != null ? { stalled, failedRoundsBySurvivor: last.map(x => x.stats.roundsFailed), bytesReceivedBySurvivor: last.map(x => x.stats.bytesReceived) } : {}),
      roundsPerMinute: appliedGaps.length > 0 ? Number((60_000 / median(appliedGaps)).toFixed(2)) : Number.NaN,
      commitGapMs: { p50: Math.round(median(appliedGaps)), p95: Math.round(percentile(appliedGaps, 95)) }, commitGapsMs: appliedGaps,
      // round 1's coordinator's wait for its links to the learners (next-turn.ts startupLinksPending)
      startupLinks: everyone.map(x => x.stats.startupLinks).find(w => w != null) ?? null,
      // each learner's throw-away rounds before round 1 (warm-up.ts): their training times in order, and the whole (null: none, or an older build)
      warmUp: everyone.map(x => x.stats.warmUp == null ? null : { trainMs: x.stats.warmUp.trainMs, totalMs: x.stats.warmUp.totalMs }),
      // probes of peers their bootstrap unlisted, sent and silent, by the survivors (probes.ts: every joined learner at every tick since learning16)
      probesBySurvivors: { sent: last.reduce((n, x) => n + (x.stats.probes?.sent ?? 0), 0), failed: last.reduce((n, x) => n + (x.stats.probes?.failed ?? 0), 0) },
      baseVia, startDeliveryMs: { n: startDelivery.length, p50: Math.round(median(startDelivery)), p95: Math.round(percentile(startDelivery, 95)), max: Math.round(startDelivery.at(-1) ?? Number.NaN) },
      // the same as the bench's poll saw them (what runs before learning8 reported)
      polledGapMs: { p50: Math.round(median(gaps)), p95: Math.round(percentile(gaps, 95)) }, polledGapsMs: gaps.map(g => Math.round(g)),
      coordinators: last[0].rounds.map(r => r.coordinator),
      roundsCommitted: last[0].round, roundsFailedBySurvivors: last.reduce((n, x) => n + x.stats.roundsFailed, 0),
      lostParticipantsBySurvivors: last.reduce((n, x) => n + x.stats.lostParticipants, 0), takeoversBySurvivors: last.reduce((n, x) => n + x.stats.takeovers, 0),
      passesBySurvivors: last.reduce((n, x) => n + x.stats.passes, 0),
      // drawn coordinators pinged for a late start, and those found silent (late-start.ts)
      lateStartPingsBySurvivors: last.reduce((n, x) => n + (x.stats.lateStartPings ?? 0), 0), lateStartsSilentBySurvivors: last.reduce((n, x) => n + (x.stats.lateStartsSilent ?? 0), 0), stragglersCutBySurvivors: last.reduce((n, x) => n + (x.stats.stragglersCut ?? 0), 0),
      // selected learners pinged by their coordinator for a late update, and those found silent: not waited for further (late-update.ts)
      lateUpdatePingsBySurvivors: last.reduce((n, x) => n + (x.stats.lateUpdatePings ?? 0), 0), lateUpdatesSilentBySurvivors: last.reduce((n, x) => n + (x.stats.lateUpdatesSilent ?? 0), 0),
      // rounds committed after a participant acknowledged holding the new model, and without (coordinator.ts handOver); what peers refused (holds.ts)
      headsHandedOverBySurvivors: last.reduce((n, x) => n + (x.stats.headsHandedOver ?? 0), 0), headsNotHandedOverBySurvivors: last.reduce((n, x) => n + (x.stats.headsNotHandedOver ?? 0), 0),
      holdsRefusedBySurvivors: last.reduce((n, x) => n + Object.values(x.stats.holdsRefused ?? {}).reduce((a, b) => a + b, 0), 0),
      handoverWaitMs: (() => { const w = timeline.flatMap(t => t.attempts.map(a => a.handover).filter((v): v is number => v != null)); return { n: w.length, p50: Math.round(median(w)), p95: Math.round(percentile(w, 95)), max: w.length > 0 ? Math.max(...w) : null } })(),
      updatesAdmitted: last[0].rounds.reduce((n, r) => n + r.participants.length, 0),
      participantsPerRound: participants, dropped, droppedAfterRound: DROP > 0 ? DROP_AT : null,
      ...(killedAt != null ? { lossesAfterKillMs: lossesAfterKill, killedAfterAppliedMs: Math.round(killedAt - (applied.get(DROP_AT) ?? killedAt)) } : {}), coordinatedRounds, timeline,
      // why learners stayed unlinked after a dial wait (the mesh's dial state then, links.ts): all learners together
      unlinkedWhy: last.reduce<Record<string, number>>((w, x) => { for (const [k, v] of Object.entries(x.stats.unlinkedWhy ?? {})) w[k] = (w[k] ?? 0) + v; return w }, {}),
      learnersDialledBySurvivors: last.reduce((n, x) => n + x.stats.learnersDialled, 0), learnersUnreachableBySurvivors: last.reduce((n, x) => n + x.stats.learnersUnreachable, 0),
      bytesPerRound: perRound, bytesPerRoundTotal: total, bytesPerParticipantPerRound: Math.round(total / Math.max(1, meanParticipants)),
      denseFedAvgBytesPerRound: dense, ratioToDense: Number((total / dense).toFixed(4)), modelFetchesOfSurvivors: fetches,
      finalAccuracy: Number(finalAccuracy.toFixed(4)), accuracyPerRound: acc, parameters, wallMs: Math.round(wallMs),
      // each tab: its peer id, the rounds it took part in and coordinated, its updates, bytes, the
      // last round's held-out accuracy on its own digits, and its training times as a participant
      tabs: await Promise.all(tabRows.map(async (s, j) => ({
        peer: s.peerId.slice(-6), backend: await tabs[j].evaluate('globalThis.__novacronLearning?.backend') as string,
        round: s.round, sameHash: s.hash === last[0].hash, participated: s.rounds.filter(r => r.participants.includes(s.peerId)).length, coordinated: s.rounds.filter(r => r.coordinator === s.peerId).length,
        updatesSent: s.stats.updatesSent, bytesSent: s.stats.bytesSent, bytesReceived: s.stats.bytesReceived, finalAccuracy: s.rounds.at(-1)?.localAccuracy ?? null,
        trainMs: (() => { const t = s.stats.participated.filter(p => p.trainedAt != null && p.baseAt != null).map(p => (p.trainedAt as number) - (p.baseAt as number)); return { p50: Math.round(median(t)), max: t.length > 0 ? Math.round(Math.max(...t)) : null } })()
      })))
    }
  } finally {
    await cleanup(async () => { await browser?.close() }, ...learners.map(l => async () => await l.proc.stop()), async () => { await cluster.stop() })
  }
}

async function simulated (): Promise<{ finalAccuracy: number, accuracyPerRound: number[], trainRows: number, wallMs: number }> {
  const t0 = performance.now()
  const p = startCli(['fl-sim', ...liveBenchFlSimArgs({ peers: P, rounds: R, quantize: QUANTIZE, topk: TOPK, down: DOWN, hidden: HIDDEN, seed: SEED }), '--max-train', '500', '--max-test', '500', '--json'])
  const code = await p.exited
  if (code !== 0) throw new Error(`fl-sim exited ${code}: ${p.stderr.slice(-2000)}`)
  const lines = p.stdout.trim().split('\n').map(l => JSON.parse(l) as { event: string, accuracy?: number, finalAccuracy?: number, trainSamples?: number })
  return {
    finalAccuracy: Number((lines.find(l => l.event === 'summary')?.finalAccuracy ?? Number.NaN).toFixed(4)),
    accuracyPerRound: lines.filter(l => l.event === 'round').map(l => l.accuracy as number),
    trainRows: lines.find(l => l.event === 'backend')?.trainSamples ?? Number.NaN,
    wallMs: Math.round(performance.now() - t0)
  }
}

const load = os.loadavg()[0]
const liveRow = await live()
const simRow = argv.includes('--no-sim') ? null : await simulated()
const result = {
  config: {
    peers: P, tabs: TABS, rounds: R, seed: SEED, model: `mlp 784-${HIDDEN}-10`, data: 'mnist shard i/P, dirichlet:0.5, ≤ 500 train / 500 held-out rows per peer',
    quantizeBits: QUANTIZE, topK: TOPK, downQuantizeBits: DOWN, downFeedback: FEEDBACK, drop: DROP, dropAt: DROP > 0 ? DROP_AT : null, minUpdates: MIN_UPDATES, deadlineMs: DEADLINE,
    roundTimeoutMs: ROUND_TIMEOUT, stragglerFactor: STRAGGLER, stepBudget: STEP_BUDGET, aggregate: 'fedavg', serverStep: 'fedavg (η 1)'
  },
  live: liveRow,
  flSim: simRow,
  // fl-sim's clients hold the live learners' very rows (--max-train): the same count in all
  sameTrainingRows: simRow == null ? null : simRow.trainRows === liveRow.trainRows,
  accuracyGapPoints: simRow == null ? null : Number(((liveRow.finalAccuracy - simRow.finalAccuracy) * 100).toFixed(2)),
  loadAverageAtStart: Number(load.toFixed(2)),
  loadAverageDuringRounds: loadSamples,
  loadAverageAtEnd: Number(os.loadavg()[0].toFixed(2))
}
console.log(JSON.stringify(result, null, 2))
console.log(`bench: wrote ${writeResult(OUT, result)}`)
