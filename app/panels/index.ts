/**
 * The page's panels. Each subsystem contributes one panel module under app/panels/ and adds ONE
 * entry to this list (`{ id, title, mount }`): app/main.ts gives it a card (`#panel-<id>`) and a
 * link in the nav bar (app/nav.ts) at once, in list order, and mounts it once the browser peer
 * has started. Nothing else needs editing to add a panel.
 */
import type { AppContext } from '../context.ts'
import { learningPanel } from './learning.ts'
import { boardPanel } from './board.ts'
import { memoryPanel } from './memory.ts'
import { healthPanel } from './health.ts'
import { ledgerPanel } from './ledger.ts'
import { jobsPanel } from './jobs.ts'

export interface Panel {
  id: string
  title: string
  mount: (root: HTMLElement, ctx: AppContext) => void | Promise<void>
}

export const panels: Panel[] = [learningPanel, boardPanel, memoryPanel, ledgerPanel, jobsPanel, healthPanel]
