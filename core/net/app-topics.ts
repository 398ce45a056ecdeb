/**
 * The services' gossip topics on a mesh node (everything but the mesh's own topology, broadcast and
 * discovery topics): who subscribed to what, each topic's guard, and delivery to the subscribers.
 *
 * Subscriptions and guards made before the node starts are kept here and installed on gossipsub
 * when it does (`install`); after that they go to gossipsub at once. A topic's guard (per-author
 * budget, payload check) is the first subscriber's and goes with its last subscriber, so a restarted
 * service brings its own. Split out of mesh-node.ts; `MeshNode.subscribe` is the public entry.
 */
import type { GossipSub } from '@libp2p/gossipsub'
import type { Logger } from '@libp2p/interface'
import { guardedTopicScore } from './libp2p-options.ts'
import type { GossipCheck, MeshGuard } from './mesh-guard.ts'
import type { PubsubMessage } from './mesh-types.ts'
import type { Budget } from './peer-guard.ts'

type Validator = ReturnType<MeshGuard['validator']>

export class AppTopics {
  private readonly handlers = new Map<string, Set<(msg: PubsubMessage) => void>>()
  private readonly validators = new Map<string, Validator>()

  /** `pubsub` returns gossipsub once the node has started, undefined before and after. */
  constructor (
    private readonly guard: MeshGuard,
    private readonly pubsub: () => GossipSub | undefined,
    private readonly log: Logger
  ) {}

  /** On start: every guard and subscription made so far goes to gossipsub. */
  install (pubsub: GossipSub): void {
    for (const [topic, v] of this.validators) guardTopic(pubsub, topic, v)
    for (const topic of this.handlers.keys()) pubsub.subscribe(topic)
  }

  /** Delivers a message on one of these topics to its subscribers (one that throws is logged). */
  deliver (msg: PubsubMessage): void {
    const handlers = this.handlers.get(msg.topic)
    if (handlers == null) return
    for (const h of handlers) {
      try { h(msg) } catch (err) {
        this.log.error('subscriber of %s threw: %s', msg.topic, err instanceof Error ? err.message : String(err))
      }
    }
  }

  /** See `MeshNode.subscribe`. */
  subscribe (topic: string, handler: (msg: PubsubMessage) => void, opts: { budget?: Budget, check?: GossipCheck } = {}): () => void {
    let installed: Validator | undefined
    if ((opts.budget != null || opts.check != null) && !this.validators.has(topic)) {
      if (opts.budget != null) this.guard.setBudget(topic, opts.budget)
      const v = this.guard.validator(topic, 'other', opts.check)
      installed = v
      this.validators.set(topic, v)
      const pubsub = this.pubsub()
      if (pubsub != null) guardTopic(pubsub, topic, v)
    }
    let set = this.handlers.get(topic)
    if (set == null) {
      set = new Set()
      this.handlers.set(topic, set)
      this.pubsub()?.subscribe(topic)
    }
    set.add(handler)
    return () => {
      const s = this.handlers.get(topic)
      if (s == null || !s.delete(handler) || s.size > 0) return
      this.handlers.delete(topic)
      const pubsub = this.pubsub()
      // the check goes with its last subscriber: a later subscriber (a restarted service) brings its own
      if (installed != null && this.validators.get(topic) === installed) {
        this.validators.delete(topic)
        if (pubsub?.topicValidators.get(topic) === installed) pubsub.topicValidators.delete(topic)
      }
      pubsub?.unsubscribe(topic)
    }
  }
}

/**
 * Installs a topic's validator and scores its invalid deliveries (P4) like the mesh's own topics.
 * Gossipsub takes score parameters only at creation; it reads them per event and keeps topic
 * statistics only for topics with parameters, so adding them before the first message is safe.
 */
function guardTopic (pubsub: GossipSub, topic: string, validator: Validator): void {
  pubsub.topicValidators.set(topic, validator)
  // the GossipSub class's public `score` (the package's exported interface does not declare it)
  const score = (pubsub as unknown as { score?: { params: { topics: Record<string, ReturnType<typeof guardedTopicScore>> } } }).score
  if (score != null) score.params.topics[topic] ??= guardedTopicScore()
}
