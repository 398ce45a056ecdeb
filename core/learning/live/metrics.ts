/**
 * Live learning's counters on the node's metrics registry (core/metrics), read from the service's
 * `status()` at scrape time: the committed round, rejected updates by reason (plus undecodable
 * requests and weights whose hash did not match), bytes on the wire, rounds coordinated, failed
 * and taken over, selected learners lost mid-round, and unlinked learners dialled before a round. Registering again points the same gauges
 * at a new service.
 */
import type { Gauge, MetricsRegistry } from '../../metrics/index.ts'
import type { LiveStatus } from './service.ts'

interface Source { learning?: { status: () => LiveStatus } }

const sources = new WeakMap<MetricsRegistry, Source>()

export function registerLiveLearningMetrics (registry: MetricsRegistry, learning: { status: () => LiveStatus }): void {
  const existing = sources.get(registry)
  if (existing != null) { existing.learning = learning; return }
  const source: Source = { learning }
  sources.set(registry, source)
  const gauge = (name: string, help: string, fill: (g: Gauge, s: LiveStatus) => void, labelNames: string[] = []): void => {
    registry.registerGauge({ name, help, labelNames, collect: g => { const s = source.learning?.status(); if (s != null) fill(g, s) } })
  }
  gauge('novacron_learning_round', 'Last committed live-learning round', (g, s) => { g.set({}, s.round) })
  gauge('novacron_learning_rejected', 'Live-learning messages rejected since start, by reason (update checks, undecodable requests, weights with the wrong hash, committed rounds whose coordinator was not drawn)', (g, s) => {
    for (const [reason, n] of Object.entries(s.stats.rejected)) g.set({ reason }, n)
    g.set({ reason: 'malformed' }, s.stats.malformed)
    g.set({ reason: 'weights-hash' }, s.stats.refusedWeights)
    g.set({ reason: 'bad-draw' }, s.stats.badDraws)
  }, ['reason'])
  gauge('novacron_learning_holds_refused', 'Coordinators\' hand-overs (hold) this peer refused, by reason (holds.ts)', (g, s) => {
    for (const [reason, n] of Object.entries(s.stats.holdsRefused)) g.set({ reason }, n)
  }, ['reason'])
  gauge('novacron_learning_bytes', 'Live-learning bytes on the wire since start', (g, s) => {
    g.set({ direction: 'sent' }, s.stats.bytesSent)
    g.set({ direction: 'received' }, s.stats.bytesReceived)
  }, ['direction'])
  gauge('novacron_learning_rounds', 'Rounds this peer coordinated, those that closed short of their minimum, those it took over from a drawn coordinator, and those it was drawn for but passed (no source of the head answered)', (g, s) => {
    g.set({ outcome: 'coordinated' }, s.stats.roundsCoordinated)
    g.set({ outcome: 'failed' }, s.stats.roundsFailed)
    g.set({ outcome: 'takeover' }, s.stats.takeovers)
    g.set({ outcome: 'passed' }, s.stats.passes)
  }, ['outcome'])
  gauge('novacron_learning_lost_participants', 'Selected learners that left the mesh while a round this peer coordinated waited for them', (g, s) => { g.set({}, s.stats.lostParticipants) })
  gauge('novacron_learning_stragglers_cut', 'Selected learners still awaited when a round this peer coordinated cut its stragglers (--straggler-factor)', (g, s) => { g.set({}, s.stats.stragglersCut) })
  gauge('novacron_learning_unlinked_learners', 'Joined learners this peer dialled (no direct link to them yet: between rounds, or before selecting a round it coordinated), and those it left out of a round still unlinked', (g, s) => {
    g.set({ outcome: 'dialled' }, s.stats.learnersDialled)
    g.set({ outcome: 'unreachable' }, s.stats.learnersUnreachable)
  }, ['outcome'])
}
