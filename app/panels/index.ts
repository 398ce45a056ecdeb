/**
 * The page's panels. Each subsystem contributes one panel module under app/panels/ and adds it to
 * this list; app/main.ts mounts them in order once the browser peer has started.
 */
import type { AppContext } from '../context.ts'
import { learningPanel } from './learning.ts'
import { boardPanel } from './board.ts'
import { memoryPanel } from './memory.ts'
import { ledgerPanel } from './ledger.ts'

export interface Panel {
  id: string
  title: string
  mount: (root: HTMLElement, ctx: AppContext) => void | Promise<void>
}

export const panels: Panel[] = [learningPanel, boardPanel, memoryPanel, ledgerPanel]
