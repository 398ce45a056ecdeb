/**
 * Awareness ("who is online, what each peer looks at"): the local state a peer publishes and the
 * defensive reader for everyone else's. Awareness states are arbitrary JSON from remote peers, so
 * the page only ever renders what `readPresence` returns.
 */
import type { Awareness } from 'y-protocols/awareness'

export interface Presence {
  peerId: string
  /** Short display name. */
  name: string
  /** What the peer looks at: a panel id, or `issue:<id>`. */
  view: string
  /** 'node' | 'browser'. */
  kind: string
}

const text = (v: unknown, max: number): string | null => typeof v === 'string' && v.length <= max ? v : null

export function readPresence (state: unknown): Presence | null {
  if (state == null || typeof state !== 'object') return null
  const s = state as Record<string, unknown>
  const peerId = text(s.peerId, 128)
  const name = text(s.name, 64)
  const view = text(s.view, 128)
  const kind = text(s.kind, 16)
  if (peerId == null || name == null || view == null || kind == null) return null
  return { peerId, name, view, kind }
}

/**
 * Everyone currently known, valid states only, one entry per peer (a reloaded tab comes back with a
 * new awareness client while its old one times out: the most recently updated wins), sorted by name.
 */
export function presenceList (awareness: Awareness): Array<Presence & { clientId: number, self: boolean }> {
  const byPeer = new Map<string, Presence & { clientId: number, self: boolean, at: number }>()
  for (const [clientId, state] of awareness.getStates()) {
    const p = readPresence(state)
    if (p == null) continue
    const self = clientId === awareness.clientID
    const at = self ? Infinity : awareness.meta.get(clientId)?.lastUpdated ?? 0
    const prev = byPeer.get(p.peerId)
    if (prev == null || at > prev.at) byPeer.set(p.peerId, { ...p, clientId, self, at })
  }
  return [...byPeer.values()].map(({ at: _at, ...p }) => p).sort((a, b) => a.name.localeCompare(b.name) || a.clientId - b.clientId)
}

export function setPresence (awareness: Awareness, p: Presence): void {
  awareness.setLocalState({ ...p })
}
