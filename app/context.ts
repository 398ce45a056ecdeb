/**
 * What every panel gets from the app shell: the page's base URL and the started mesh node
 * (core/net's `MeshNode`: pubsub, request/response, topology, links), so a panel (shared state,
 * learning, …) joins the same mesh as the page instead of creating a second peer.
 */
import type { MeshNode } from '../core/net/index.ts'
import type { PanelLedger } from './panels/ledger.ts'
import type { TabJobs } from './jobs/tab-jobs.ts'
import type { LearningIdentity } from '../core/learning/live/identity.ts'

export interface AppContext {
  /** Base URL of the page, for fetching assets. */
  baseUrl: string
  /** The tab's mesh peer, already started. Panels must not stop it. */
  mesh: MeshNode
  /** This tab's peer id (same as `mesh.peerId.toString()`). */
  peerId: string
  /** This tab's ledger (app/ledger/tab-ledger.ts), when it runs. */
  ledger?: PanelLedger
  /** This tab's jobs service (app/jobs/tab-jobs.ts), when the ledger runs. */
  jobs?: TabJobs
  /** This tab's live-learning keys (draw key, update signing with its libp2p key), when the ledger runs. */
  learning?: LearningIdentity
}
