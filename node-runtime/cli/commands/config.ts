/**
 * `novacron config get|set`: mesh settings that every peer applies at the same slot, changed by a
 * committed `config` entry of the ledger. `set` validates the value with the ledger's settings
 * table inside the running peer BEFORE submitting (an invalid value is the validator's typed
 * error, exit 1, and nothing is proposed), then waits for the commit.
 */
import { safeJson, safeText } from '../escape.ts'
import { bool, type Command, type OptionSpec } from '../args.ts'
import { peerExec } from '../../ledger/client.ts'
import type { EntryJson } from '../../ledger/ops.ts'
import { PEER_COMMAND_OPTIONS, peerDataDir } from '../peer-dir.ts'

const common = PEER_COMMAND_OPTIONS
const dir = peerDataDir

/** A value as typed: JSON when it parses (6, true, "x", [1]), the plain text otherwise. */
export function parseValue (text: string): unknown {
  try { return JSON.parse(text) } catch { return text }
}

const get: Command = {
  name: 'get',
  summary: 'Print the committed value of a setting (all settings without a key)',
  options: common,
  positionals: [{ name: 'key', description: 'Setting, e.g. mesh.maxPeers' }],
  examples: ['novacron config get mesh.maxPeers', 'novacron config get --json'],
  run: async (args, io) => {
    const key = args.positionals[0]
    const values = await peerExec(dir(args, io))('config.get', key != null ? { key } : {}) as Record<string, unknown>
    io.stdout.write(bool(args, 'json') ? safeJson(values) + '\n' : Object.entries(values).map(([k, v]) => `${k} = ${safeJson(v)}`).join('\n') + '\n')
    return 0
  }
}

const set: Command = {
  name: 'set',
  summary: 'Commit a new value for a setting (validated first); every peer applies it at that slot',
  description: 'The value is JSON when it parses (6, true, "text"), plain text otherwise. A negative number\n' +
    "must follow '--' (novacron config set mesh.maxPeers -- -1), as for any command.",
  options: common,
  positionals: [{ name: 'key', description: 'Setting, e.g. mesh.maxPeers', required: true }, { name: 'value', description: 'New value', required: true }],
  examples: ['novacron config set mesh.maxPeers 6', 'novacron config set mesh.maxPeers 12 --peer peer-1 --json'],
  run: async (args, io) => {
    const [key, value] = args.positionals
    const e = await peerExec(dir(args, io))('config.set', { key, value: parseValue(value) }) as EntryJson
    io.stdout.write(bool(args, 'json') ? safeJson(e) + '\n' : safeText(`committed   ${e.summary} at slot ${e.slot}${e.latencyMs != null ? ` in ${Math.round(e.latencyMs)} ms` : ''}\n`))
    return 0
  }
}

export const command: Command = {
  name: 'config',
  summary: 'Get or set mesh settings through the ledger (applied by every peer at the same slot)',
  options: [],
  subcommands: [get, set]
}
