/**
 * The shape every state subcommand shares (`issues …`, `memory …`, and any later one that runs
 * an op on a peer's document): the options that pick the store (node-runtime/state/locate.ts)
 * and `--json`, and one `run` that locates the store, opens it (directly, or through the running
 * peer's control endpoint), runs the call and prints the result.
 *
 * `--json` prints exactly the value the op returned, one JSON document: a list is always a JSON
 * array, one thing is an object (docs/state.md, "JSON output").
 */
import { escapeForTerminal, safeJson } from './escape.ts'
import { withState, type Exec } from '../state/client.ts'
import { locateStore } from '../state/locate.ts'
import { bool, str, type CliIO, type Command, type OptionSpec, type ParsedArgs } from './args.ts'

export const DATA_DIR_OPTION: OptionSpec = { name: 'data-dir', type: 'string', value: '<dir>', description: "A peer's data directory (default: the running peer, else the stored state under ~/.novacron)" }
export const PEER_OPTION: OptionSpec = { name: 'peer', type: 'string', value: '<name>', description: 'The running peer of this name (as printed by start/peer)' }
export const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'Print JSON instead of text' }
export const STATE_OPTIONS = [DATA_DIR_OPTION, PEER_OPTION, JSON_OPTION]

export type StateCall = (args: ParsedArgs, exec: Exec, io: CliIO, prepared: unknown) => Promise<unknown>

export interface StateSubInit {
  name: string
  summary: string
  options?: OptionSpec[]
  positionals?: Command['positionals']
  aliases?: string[]
  /** Whether it changes state (reads refuse a --data-dir without a store). */
  write: boolean
  /**
   * Work that needs no store (read an input file, check a passphrase), done before the store is
   * opened, so bad input never leaves a new empty store behind; its result is `call`'s `prepared`.
   */
  prepare?: (args: ParsedArgs, io: CliIO) => Promise<unknown>
  call: StateCall
  /** The text form of the result. */
  render: (result: unknown, args: ParsedArgs) => string
  /** The --json form when it is not the result itself (e.g. a file written). */
  json?: (result: unknown) => unknown
  examples?: string[]
  description?: string
}

/** Runs `fn` against the store the flags (or their absence) choose; prints the store note on stderr. */
export async function withChosenState<T> (args: ParsedArgs, io: CliIO, write: boolean, fn: (exec: Exec) => Promise<T>): Promise<T> {
  const choice = locateStore({ dataDir: str(args, 'data-dir'), peer: str(args, 'peer'), write })
  if (choice.note != null) io.stderr.write(`novacron: ${choice.note}\n`)
  return await withState(choice.dataDir, async ({ exec }) => await fn(exec))
}

export function stateSub (init: StateSubInit): Command {
  return {
    name: init.name,
    summary: init.summary,
    description: init.description,
    aliases: init.aliases,
    positionals: init.positionals,
    examples: init.examples,
    options: [...(init.options ?? []), ...STATE_OPTIONS],
    run: async (args, io) => {
      const prepared = await init.prepare?.(args, io)
      return await withChosenState(args, io, init.write, async exec => {
        const result = await init.call(args, exec, io, prepared)
        // peer data (titles, values, ids) never reaches the terminal raw: JSON escapes what a terminal acts
        // on, and every printed line goes through escapeForTerminal (idempotent on the tables' escaped cells)
        io.stdout.write(bool(args, 'json') ? safeJson(init.json != null ? init.json(result) : result) + '\n' : init.render(result, args).split('\n').map(escapeForTerminal).join('\n'))
        return 0
      })
    }
  }
}
