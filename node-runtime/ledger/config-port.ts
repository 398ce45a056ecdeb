/**
 * The settings part of the ledger port (./peer-ledger.ts `LedgerCore.config`), from core/ledger's
 * one settings table: the control op validates with it before submitting (an invalid value is an
 * `EntryRefusedError` carrying the validator's reason, and nothing is proposed), and builds the
 * `config` entry the same way every peer reads it back.
 */
import { writeConfig } from '../../core/ledger/entries.ts'
import { EntryRefusedError } from '../../core/ledger/errors.ts'
import { checkSetting, SETTINGS } from '../../core/ledger/settings.ts'
import type { LedgerOpTarget } from './ops.ts'

export const configPort: Omit<LedgerOpTarget, 'ledger'> = {
  checkConfig: (key, value) => {
    const why = checkSetting(key, value)
    if (why != null) throw new EntryRefusedError(why)
  },
  configEntry: (key, value) => ({ kind: 'config', data: writeConfig({ key, value }) }),
  configKeys: () => Object.keys(SETTINGS)
}
