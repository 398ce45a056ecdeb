/**
 * How `novacron ledger …` / `novacron config …` reach a running peer: through the control
 * endpoint its data dir advertises (node-runtime/state/control.ts), the same path `issues` uses.
 * Remote errors come back with their `name`, so a validator's typed error prints as itself.
 */
import { readControlInfo, remoteOp } from '../state/control.ts'
import { DataDirLockedError } from '../state/errors.ts'
import { LedgerNotRunningError } from './errors.ts'

export type LedgerExec = (op: string, args?: Record<string, unknown>) => Promise<unknown>

/** The exec function of the peer running on `dataDir`, or `LedgerNotRunningError`. */
export function peerExec (dataDir: string): LedgerExec {
  const info = readControlInfo(dataDir)
  if (info == null) throw new LedgerNotRunningError(`no peer is running on ${dataDir} (start one: novacron peer --data-dir ${dataDir} --bootstrap <multiaddr>)`)
  return async (op, args = {}) => {
    try {
      return await remoteOp(info, op, args)
    } catch (err) {
      // a control file left behind by a killed peer: nothing answers
      if (err instanceof DataDirLockedError) throw new LedgerNotRunningError(`the peer on ${dataDir} does not answer (${err.message})`)
      throw err
    }
  }
}

/** Whether a live peer answers on `dataDir` (a stale control file of a killed peer does not). */
export async function peerAnswers (dataDir: string): Promise<boolean> {
  if (readControlInfo(dataDir) == null) return false
  try {
    await peerExec(dataDir)('ledger.status')
    return true
  } catch (err) {
    return !(err instanceof LedgerNotRunningError)
  }
}
