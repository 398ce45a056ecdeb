/** Errors of the Node side of the ledger (CLI, control ops, wiring); core's are in core/ledger. */
export class LedgerCliError extends Error {
  static override name = 'LedgerCliError'
  override name = 'LedgerCliError'
}

/** A command needs a running peer on the data dir (its control endpoint), and none answers. */
export class LedgerNotRunningError extends LedgerCliError {
  static override name = 'LedgerNotRunningError'
  override name = 'LedgerNotRunningError'
}

/** `ledger verify` found a record that does not check; `height` names it. */
export class LedgerTamperedError extends LedgerCliError {
  static override name = 'LedgerTamperedError'
  override name = 'LedgerTamperedError'
  constructor (message: string, readonly height: number) { super(message) }
}
