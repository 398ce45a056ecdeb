/**
 * `novacron memory <subcommand>`: the shared, namespaced key/value memory.
 *
 * Like `issues`, every subcommand works on `--data-dir` directly or through a running peer.
 * Backups are made and opened in this process (the passphrase never leaves it): the entries are
 * read from the store, compressed with core-wasm's LZ4 and sealed with AES-GCM (core/state/backup.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import * as Y from 'yjs'
import { bool, str, UsageError, type Command, type OptionSpec, type ParsedArgs } from '../args.ts'
import { createBackup, openBackup } from '../../../core/state/backup.ts'
import { stateCompression } from '../../../core/state/compression.ts'
import { DEFAULT_NAMESPACE, MemoryStore, parseDuration, type MemoryEntry } from '../../../core/state/memory.ts'
import { withState, type Exec } from '../../state/client.ts'
import { memoryTable } from '../../state/format.ts'
import { safeJson } from '../escape.ts'
import { DATA_DIR_OPTION } from './issues.ts'

const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'Print JSON instead of a table' }
const NS_OPTION: OptionSpec = { name: 'namespace', short: 'n', type: 'string', value: '<ns>', description: 'Namespace', default: DEFAULT_NAMESPACE }
const PASS_OPTIONS: OptionSpec[] = [
  { name: 'passphrase-file', type: 'string', value: '<file>', description: 'Read the passphrase from this file (first line)' },
  { name: 'passphrase-env', type: 'string', value: '<VAR>', description: 'Read the passphrase from this environment variable', default: 'NOVACRON_PASSPHRASE' }
]

function passphrase (args: ParsedArgs): string {
  const file = str(args, 'passphrase-file')
  const pass = file != null ? readFileSync(file, 'utf8').split('\n')[0] : process.env[str(args, 'passphrase-env') ?? 'NOVACRON_PASSPHRASE']
  if (pass == null || pass === '') throw new UsageError(`no passphrase: set $${str(args, 'passphrase-env') ?? 'NOVACRON_PASSPHRASE'} or give --passphrase-file`)
  return pass
}

type Call = (args: ParsedArgs, exec: Exec) => Promise<unknown>
function sub (name: string, summary: string, options: OptionSpec[], positionals: Command['positionals'], call: Call, render: (r: unknown) => string, examples?: string[]): Command {
  return {
    name, summary, positionals, examples, options: [...options, DATA_DIR_OPTION, JSON_OPTION],
    run: async (args, io) => await withState(str(args, 'data-dir') ?? '.novacron', async ({ exec }) => {
      const result = await call(args, exec)
      io.stdout.write(bool(args, 'json') ? safeJson(result) + '\n' : render(result))
      return 0
    })
  }
}

const ns = (args: ParsedArgs): string => str(args, 'namespace') ?? DEFAULT_NAMESPACE
const keyArg = { name: 'key', description: 'Key within the namespace', required: true }
const entryLine = (r: unknown): string => memoryTable([r as MemoryEntry])

const subcommands: Command[] = [
  sub('store', 'Store a JSON value under a key', [NS_OPTION, { name: 'ttl', type: 'string', value: '<duration>', description: 'Expire after e.g. 30s, 10m, 2h, 7d' }],
    [keyArg, { name: 'json', description: 'The value as JSON, e.g. \'{"a":1}\' or \'"text"\'', required: true }],
    async (args, exec) => {
      let value: unknown
      try { value = JSON.parse(args.positionals[1]) } catch {
        throw new UsageError(`<json> is not JSON: ${args.positionals[1]} (quote text as '"${args.positionals[1]}"')`)
      }
      const ttl = str(args, 'ttl')
      let ttlMs: number | undefined
      if (ttl != null) {
        try { ttlMs = parseDuration(ttl) } catch (err) { throw new UsageError((err as Error).message, '--ttl') }
      }
      return await exec('memory.store', { namespace: ns(args), key: args.positionals[0], value, ...(ttlMs != null ? { ttlMs } : {}) })
    }, entryLine, ['novacron memory store plan/step1 \'{"owner":"ann"}\' --namespace agents --ttl 10m']),
  sub('get', 'Print the value of a key', [NS_OPTION], [keyArg],
    async (args, exec) => await exec('memory.get', { namespace: ns(args), key: args.positionals[0] }),
    r => safeJson((r as MemoryEntry).value, 2) + '\n'),
  sub('delete', 'Delete a key', [NS_OPTION], [keyArg],
    async (args, exec) => await exec('memory.delete', { namespace: ns(args), key: args.positionals[0] }), () => 'deleted\n'),
  sub('list', 'List live entries (one namespace, or all)', [{ ...NS_OPTION, default: undefined, description: 'Only this namespace (default: all)' }], [],
    async (args, exec) => await exec('memory.list', { namespace: str(args, 'namespace') }), r => memoryTable(r as MemoryEntry[])),
  sub('search', 'Find entries by glob on keys and/or substring of values', [
    { ...NS_OPTION, default: undefined, description: 'Only this namespace (default: all)' },
    { name: 'value', type: 'string', value: '<text>', description: "Substring the value's JSON must contain" }
  ], [{ name: 'pattern', description: "Glob on keys: * ? [abc] (default '*')" }],
  async (args, exec) => await exec('memory.search', { pattern: args.positionals[0] ?? '*', namespace: str(args, 'namespace'), valueContains: str(args, 'value') }),
  r => memoryTable(r as MemoryEntry[]), ["novacron memory search 'plan/*' --value ann"]),
  sub('backup', 'Write an encrypted, compressed backup of every live entry', PASS_OPTIONS, [{ name: 'file', description: 'Backup file to write', required: true }],
    async (args, exec) => {
      const pass = passphrase(args)
      const entries = await exec('memory.list', {}) as MemoryEntry[]
      const store = new MemoryStore({ doc: new Y.Doc(), actor: 'backup' })
      store.putAll(entries)
      const file = await createBackup(store, pass, { compression: await stateCompression() })
      writeFileSync(args.positionals[0], file, { mode: 0o600 })
      return { file: args.positionals[0], entries: entries.length, bytes: file.length }
    }, r => { const x = r as { file: string, entries: number, bytes: number }; return `${x.entries} entries written to ${x.file} (${x.bytes} bytes)\n` },
    ['NOVACRON_PASSPHRASE=... novacron memory backup mem.ncb']),
  sub('restore', 'Restore a backup (checked fully before anything changes)', [...PASS_OPTIONS, { name: 'replace', type: 'boolean', description: 'Delete entries that are not in the backup' }],
    [{ name: 'file', description: 'Backup file to read', required: true }],
    async (args, exec) => {
      const entries = await openBackup(new Uint8Array(readFileSync(args.positionals[0])), passphrase(args), { compression: await stateCompression() })
      return await exec('memory.putAll', { entries, replace: bool(args, 'replace') })
    }, r => `${(r as { restored: number }).restored} entries restored\n`)
]

export const command: Command = {
  name: 'memory',
  summary: 'Work with the shared memory store',
  description: 'Namespaced JSON values with optional expiry, replicated to every peer. Run against a data dir; when a peer is running there the command goes through it.',
  options: [],
  subcommands
}
