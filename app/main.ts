/**
 * The app shell: turns this tab into a mesh peer and shows it.
 *
 * Order matters: the bootstrap description comes first (it names the relay to dial), then the
 * stored identity, then the node; the view is mounted before the node starts so the status line
 * shows "Connecting…" while libp2p dials. The nav bar and the panels' cards are there from the
 * start (app/nav.ts, generated from app/panels/index.ts); panels mount into their cards once the
 * node runs, each isolated: a panel that throws shows its error in its own card.
 * `performance.mark('novacron:…')` at each step lets the benchmark break down the time to the
 * first direct WebRTC link.
 */
import { fetchBootstrap, BootstrapFormatError, type BootstrapInfo } from './bootstrap.ts'
import type { AppContext } from './context.ts'
import { pageStorage } from './identity.ts'
import { learningIdentity } from '../core/learning/live/identity.ts'
import { browserClaims, claimTabIdentity } from './tab-identity.ts'
import { findRoots, mountMeshView } from './mesh-view.ts'
import { bindPeerToView, createBrowserPeer } from './peer.ts'
import { panels, type Panel } from './panels/index.ts'
import { MESH_SECTIONS, panelSectionId, renderNav } from './nav.ts'
import { startPageLedger } from './ledger/page-ledger.ts'
import { createTabJobs } from './jobs/tab-jobs.ts'
import { registerLearningKinds } from './learning/kinds.ts'
import { h } from './view/dom.ts'
import './styles.css'

const statusEl = document.getElementById('status')

function showStatus (kind: string, text: string): void {
  if (statusEl == null) return
  statusEl.dataset.status = kind
  statusEl.replaceChildren(h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', {}, text))
}

/** Fetches /bootstrap.json, retrying with backoff while the server is unreachable. */
async function bootstrapWithRetry (): Promise<BootstrapInfo> {
  let delay = 250
  for (;;) {
    try {
      return await fetchBootstrap(location.href)
    } catch (err) {
      if (err instanceof BootstrapFormatError) throw err
      showStatus('bootstrap-lost', `Cannot reach the bootstrap server, retrying in ${Math.ceil(delay / 1000)} s… (${(err as Error).message})`)
      await new Promise(resolve => setTimeout(resolve, delay))
      delay = Math.min(delay * 2, 5000)
    }
  }
}

/** Creates every panel's card at once, in list order, so the nav bar's links have their targets. */
function panelCards (root: HTMLElement): Array<{ panel: Panel, body: HTMLElement }> {
  return panels.map(panel => {
    const body = h('div', { class: 'panel-body' }, h('p', { class: 'hint' }, 'Starts once this tab has joined the mesh…'))
    root.append(h('section', { class: 'card panel', id: panelSectionId(panel.id), 'data-testid': `panel-${panel.id}`, 'aria-label': panel.title }, h('h2', {}, panel.title), body))
    return { panel, body }
  })
}

/** Mounts every panel in its own card, all at once (a slow one delays none); one that throws says so in its card. */
async function mountPanels (cards: Array<{ panel: Panel, body: HTMLElement }>, ctx: AppContext): Promise<void> {
  await Promise.all(cards.map(async ({ panel, body }) => {
    body.replaceChildren()
    try {
      await panel.mount(body, ctx)
    } catch (err) {
      console.error(`panel ${panel.id} failed to mount`, err)
      body.replaceChildren(h('p', { class: 'error' }, `This panel failed to start: ${(err as Error).message}`))
    }
  }))
}

async function main (): Promise<void> {
  const navRoot = document.getElementById('nav')
  const panelsRoot = document.getElementById('panels')
  const cards = panelsRoot != null ? panelCards(panelsRoot) : []
  if (navRoot != null) renderNav(navRoot, [...MESH_SECTIONS, ...panels.map(p => ({ id: panelSectionId(p.id), title: p.title }))])
  showStatus('starting', 'Fetching the mesh’s bootstrap address…')
  const bootstrap = await bootstrapWithRetry()
  performance.mark('novacron:bootstrap-fetched')
  const local = pageStorage()
  const session = pageStorage(() => globalThis.sessionStorage)
  const identity = await claimTabIdentity({
    session: session.storage,
    local: local.storage,
    claims: browserClaims(),
    onCorrupt: (where, err) => { console.warn(`stored identity in ${where}Storage unreadable, kept under novacron:identity:corrupt; skipped:`, err.message) }
  })
  performance.mark('novacron:identity-loaded')
  const node = await createBrowserPeer({ bootstrap, privateKey: identity.privateKey })
  const self = node.peerId.toString()
  const view = mountMeshView(findRoots(document), {
    self,
    bootstrap: bootstrap.peerId,
    bootstrapAddr: bootstrap.multiaddrs[0].toString(),
    identityOrigin: !session.persistent ? 'ephemeral' : identity.source,
    sendBroadcast: async text => {
      await node.broadcast(text)
      view.update({ type: 'broadcast', entry: { from: self, text, at: Date.now(), own: true } })
    }
  })
  let bootstrapSeen = false
  bindPeerToView(node, event => {
    view.update(event)
    if (event.type !== 'connections') return
    if (!bootstrapSeen && event.connections.some(c => c.peerId === bootstrap.peerId)) {
      bootstrapSeen = true
      performance.mark('novacron:bootstrap-connected')
    }
    // performance.now() is measured from navigation start: "opening the URL to first direct link"
    if (statusEl != null && statusEl.dataset.firstWebrtcMs == null && event.connections.some(c => c.transport === 'webrtc')) {
      performance.mark('novacron:first-webrtc')
      statusEl.dataset.firstWebrtcMs = performance.now().toFixed(1)
    }
  })
  // where the time to the first direct link goes (read by bench/mesh-tabs.ts)
  type MarkEvent = 'transport:listening' | 'self:peer:update' | 'peer:discovery' | 'connection:open'
  const markWhen = (name: string, events: MarkEvent[], done: () => boolean = () => true): void => {
    const on = (): void => {
      if (!done()) return
      performance.mark(`novacron:${name}`)
      for (const e of events) node.libp2p.removeEventListener(e, on)
    }
    for (const e of events) node.libp2p.addEventListener(e, on)
  }
  markWhen('relay-reserved', ['transport:listening', 'self:peer:update'], () => node.getMultiaddrs().some(a => a.includes('/p2p-circuit/webrtc')))
  markWhen('first-peer-discovered', ['peer:discovery'])
  markWhen('first-signalling-link', ['connection:open'], () => node.links().some(l => l.transport === 'relayed'))
  try {
    await node.start()
  } catch (err) {
    view.update({ type: 'failed', error: (err as Error).message })
    throw err
  }
  performance.mark('novacron:started')
  // dial the peers the bootstrap named now, rather than once peer discovery tells us of them
  node.introduce(bootstrap.peers)
  if (bootstrap.droppedPeers > 0) console.warn(`bootstrap.json: ${bootstrap.droppedPeers} malformed peer hint(s) ignored`)
  view.update({ type: 'started' })
  // No node.stop() on pagehide: stopping unsubscribes the gossipsub topics, which PRUNEs with a
  // 10 s backoff; the same peer id coming back after a reload then GRAFTs inside that backoff and
  // the bootstrap penalises it with a 60 s one, cutting the reloaded tab off gossip for a minute.
  // A vanished tab is noticed anyway: its bootstrap link closes with the page, and every peer drops
  // it once the bootstrap's neighbour list omits it (core/net/topology.ts).
  // the mesh ledger (app/ledger/): genesis is the bootstrap's; leave on pagehide, best effort
  // jobs (app/jobs/): their entry kinds are registered before the ledger starts, the worker after;
  // live learning's model.* kinds too (a tab that joins training later must not refuse its rounds)
  const jobs = createTabJobs(node)
  const ledger = await startPageLedger(node, identity.privateKey, bootstrap.peerId, l => { jobs.prepare(l); registerLearningKinds(l) })
  if (ledger != null) await jobs.start().catch(err => { console.error('jobs could not start in this tab:', err) })
  await mountPanels(cards, { baseUrl: location.href, mesh: node, peerId: self, ...(ledger != null ? { ledger, jobs, learning: learningIdentity(identity.privateKey) } : {}) })
}

main().catch((err: Error) => {
  console.error(err)
  showStatus('failed', `Failed: ${err.message}`)
})
