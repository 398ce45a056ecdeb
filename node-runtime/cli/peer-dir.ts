/**
 * The data dir of the peer a ledger or config command talks to, chosen like the state commands
 * choose theirs (node-runtime/state/locate.ts): `--data-dir`, else `--peer <name>`, else the running
 * peer (the first when several run), else the stored state under ~/.novacron. The choice is named
 * on stderr when it was implicit, and a mistyped `--data-dir` is an error, never a new store.
 */
import { locateStore } from '../state/locate.ts'
import { str, type CliIO, type ParsedArgs } from './args.ts'
import { DATA_DIR_OPTION, JSON_OPTION, PEER_OPTION } from './state-command.ts'

/** `--data-dir`, `--peer` and `--json`, as the state commands take them. */
export const PEER_COMMAND_OPTIONS = [DATA_DIR_OPTION, PEER_OPTION, JSON_OPTION]

export function peerDataDir (args: ParsedArgs, io: CliIO): string {
  const choice = locateStore({ dataDir: str(args, 'data-dir'), peer: str(args, 'peer'), write: false })
  if (choice.note != null) io.stderr.write(`novacron: ${choice.note}\n`)
  return choice.dataDir
}
