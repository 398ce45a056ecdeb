/**
 * Registers live learning's ledger entry kinds (`model.join`, `model.round`: core/learning/live/
 * entries.ts) with the tab's ledger before it starts (app/main.ts). Without them the tab would
 * refuse, at apply, the rounds the Node peers commit. Light on purpose: only the entry readers,
 * no tfjs, so the page's start does not wait for the learning code.
 */
import { LEARNING_KINDS } from '../../core/learning/live/entries.ts'

interface KindLedger { registerKind: (kind: string, validate: (data: Uint8Array, author: string) => string | null) => void }

export function registerLearningKinds (ledger: unknown): void {
  const l = ledger as Partial<KindLedger> | null
  if (typeof l?.registerKind !== 'function') return
  for (const [kind, validate] of Object.entries(LEARNING_KINDS)) l.registerKind(kind, validate)
}
