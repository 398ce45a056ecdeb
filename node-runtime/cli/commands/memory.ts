/**
 * `novacron memory <subcommand>`: the shared, namespaced key/value memory.
 *
 * Like `issues`, every subcommand finds its store without flags (the running peer, else the
 * stored state) or takes --data-dir / --peer. Values are JSON; text that is not JSON is stored as
 * a plain string (`memory store greeting hello`). `export` writes the live entries as plaintext
 * JSON Lines; `backup` writes them encrypted. Backups are made and opened in this process (the
 * passphrase never leaves it): the entries are read from the store, compressed with core-wasm's
 * LZ4 and sealed with AES-GCM (core/state/backup.ts).
 */
import { safeJson } from '../escape.ts'
import { readFileSync, writeFileSync } from 'node:fs'
import { bool, str, UsageError, type Command, type OptionSpec, type ParsedArgs } from '../args.ts'
import { confirm, YES_OPTION } from '../confirm.ts'
import { stateSub } from '../state-command.ts'
import { DEFAULT_NAMESPACE, parseDuration, type MemoryEntry } from '../../../core/state/memory.ts'
import { memoryTable, table } from '../../state/format.ts'

const NS_OPTION: OptionSpec = { name: 'namespace', short: 'n', type: 'string', value: '<ns>', description: 'Namespace', default: DEFAULT_NAMESPACE }
const ANY_NS_OPTION: OptionSpec = { ...NS_OPTION, default: undefined, description: 'Only this namespace (default: all)' }
/** Shorter passphrases are refused for new backups (an 8-character floor; longer is better). */
export const MIN_PASSPHRASE = 8
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

/** JSON when it parses as JSON, else the text itself as a string (`--string` forces text). */
export function parseValue (text: string, forceString: boolean): unknown {
  if (forceString) return text
  try { return JSON.parse(text) } catch { return text }
}

const ns = (args: ParsedArgs): string => str(args, 'namespace') ?? DEFAULT_NAMESPACE
const keyArg = { name: 'key', description: 'Key within the namespace', required: true }
const entryLine = (r: unknown): string => memoryTable([r as MemoryEntry])
const valueText = (v: unknown): string => typeof v === 'string' ? v + '\n' : JSON.stringify(v, null, 2) + '\n'
const outputOption: OptionSpec = { name: 'output', short: 'o', type: 'string', value: '<file>', description: 'Write to this file instead of stdout' }

const subcommands: Command[] = [
  stateSub({
    name: 'store',
    summary: 'Store a value under a key (JSON, or plain text)',
    write: true,
    options: [NS_OPTION, { name: 'ttl', type: 'string', value: '<duration>', description: 'Expire after e.g. 30s, 10m, 2h, 7d' }, { name: 'string', type: 'boolean', description: 'Store the value as text even if it looks like JSON (e.g. 42)' }],
    positionals: [keyArg, { name: 'value', description: 'The value: JSON (\'{"a":1}\', 42, true) or any other text, stored as a string', required: true }],
    call: async (args, exec) => {
      const ttl = str(args, 'ttl')
      let ttlMs: number | undefined
      if (ttl != null) {
        try { ttlMs = parseDuration(ttl) } catch (err) { throw new UsageError((err as Error).message, '--ttl') }
      }
      const value = parseValue(args.positionals[1], bool(args, 'string'))
      return await exec('memory.store', { namespace: ns(args), key: args.positionals[0], value, ...(ttlMs != null ? { ttlMs } : {}) })
    },
    render: entryLine,
    examples: ['novacron memory store greeting "hello mesh"', 'novacron memory store plan/step1 \'{"owner":"ann"}\' -n agents --ttl 10m']
  }),
  stateSub({
    name: 'retrieve',
    aliases: ['get'],
    summary: 'Print the value of a key (text as is, other values as JSON)',
    write: false,
    options: [NS_OPTION],
    positionals: [keyArg],
    call: async (args, exec) => await exec('memory.get', { namespace: ns(args), key: args.positionals[0] }),
    render: r => valueText((r as MemoryEntry).value),
    json: r => (r as MemoryEntry).value
  }),
  stateSub({
    name: 'delete',
    summary: 'Delete a key',
    write: true,
    options: [NS_OPTION],
    positionals: [keyArg],
    call: async (args, exec) => { await exec('memory.delete', { namespace: ns(args), key: args.positionals[0] }); return { namespace: ns(args), key: args.positionals[0], deleted: true } },
    render: r => `deleted ${(r as { key: string }).key}\n`
  }),
  stateSub({
    name: 'list',
    summary: 'List live entries (one namespace, or all)',
    write: false,
    options: [ANY_NS_OPTION],
    call: async (args, exec) => await exec('memory.list', { namespace: str(args, 'namespace') }),
    render: r => memoryTable(r as MemoryEntry[])
  }),
  stateSub({
    name: 'search',
    summary: 'Find entries by glob on keys and/or substring of values',
    write: false,
    options: [ANY_NS_OPTION, { name: 'value', type: 'string', value: '<text>', description: "Substring the value's JSON must contain" }],
    positionals: [{ name: 'pattern', description: "Glob on keys: * ? [abc] (default '*')" }],
    call: async (args, exec) => await exec('memory.search', { pattern: args.positionals[0] ?? '*', namespace: str(args, 'namespace'), valueContains: str(args, 'value') }),
    render: r => memoryTable(r as MemoryEntry[]),
    examples: ["novacron memory search 'plan/*' --value ann"]
  }),
  stateSub({
    name: 'stats',
    summary: 'Entries per namespace, sizes, expiries',
    write: false,
    call: async (_args, exec) => await exec('memory.stats'),
    render: r => {
      const s = r as { entries: number, namespaces: number, byNamespace: Record<string, number>, withExpiry: number, valueBytes: number, invalid: number }
      return `${s.entries} entries in ${s.namespaces} namespaces, ${s.withExpiry} expiring, ${s.valueBytes} bytes of values, ${s.invalid} invalid\n` +
        table(['NAMESPACE', 'ENTRIES'], Object.entries(s.byNamespace).map(([k, v]) => [k, String(v)]))
    }
  }),
  stateSub({
    name: 'clear',
    summary: 'Delete every entry of a namespace for every peer (asks first)',
    write: true,
    options: [{ ...NS_OPTION, default: undefined, description: 'The namespace to clear (required)' }, YES_OPTION],
    call: async (args, exec, io) => {
      const namespace = str(args, 'namespace')
      if (namespace == null) throw new UsageError('--namespace is required: clear empties one namespace', '--namespace')
      const n = (await exec('memory.list', { namespace }) as MemoryEntry[]).length
      if (n > 0 && !await confirm(io, `Delete all ${n} entries of namespace '${namespace}' for every peer?`, bool(args, 'yes'))) throw new UsageError('not cleared')
      return n === 0 ? { namespace, deleted: 0 } : await exec('memory.clear', { namespace })
    },
    render: r => { const x = r as { namespace: string, deleted: number }; return `${x.deleted} entries deleted from '${x.namespace}'\n` },
    examples: ['novacron memory clear -n scratch', 'novacron memory clear -n scratch --yes']
  }),
  stateSub({
    name: 'export',
    summary: 'Write every live entry as plaintext JSON Lines (stdout, or -o FILE); see backup for an encrypted copy',
    write: false,
    options: [ANY_NS_OPTION, outputOption],
    call: async (args, exec) => {
      const entries = await exec('memory.list', { namespace: str(args, 'namespace') }) as MemoryEntry[]
      const text = entries.map(e => JSON.stringify(e)).join('\n') + (entries.length > 0 ? '\n' : '')
      const file = str(args, 'output')
      if (file != null) writeFileSync(file, text, { mode: 0o600 })
      return { entries, file }
    },
    render: r => { const x = r as { entries: MemoryEntry[], file?: string }; return x.file != null ? `${x.entries.length} entries written to ${x.file}\n` : x.entries.map(e => safeJson(e) + '\n').join('') },
    json: r => { const x = r as { entries: MemoryEntry[], file?: string }; return x.file != null ? { file: x.file, entries: x.entries.length } : x.entries }
  }),
  stateSub({
    name: 'backup',
    summary: 'Write an encrypted, compressed backup of every live entry',
    write: false,
    options: PASS_OPTIONS,
    positionals: [{ name: 'file', description: 'Backup file to write', required: true }],
    prepare: async (args) => {
      const pass = passphrase(args)
      if ([...pass].length < MIN_PASSPHRASE) throw new UsageError(`the passphrase has ${[...pass].length} characters; use at least ${MIN_PASSPHRASE}`, '--passphrase-env')
      return pass
    },
    call: async (args, exec, _io, prepared) => {
      const pass = prepared as string
      const entries = await exec('memory.list', {}) as MemoryEntry[]
      const [{ createBackup }, { stateCompression }, { MemoryStore }, Y] = await Promise.all([
        import('../../../core/state/backup.ts'), import('../../../core/state/compression.ts'), import('../../../core/state/memory.ts'), import('yjs')
      ])
      const store = new MemoryStore({ doc: new Y.Doc(), actor: 'backup' })
      store.putAll(entries)
      const file = await createBackup(store, pass, { compression: await stateCompression() })
      writeFileSync(args.positionals[0], file, { mode: 0o600 })
      return { file: args.positionals[0], entries: entries.length, bytes: file.length }
    },
    render: r => { const x = r as { file: string, entries: number, bytes: number }; return `${x.entries} entries written to ${x.file} (${x.bytes} bytes)\n` },
    examples: ['NOVACRON_PASSPHRASE=... novacron memory backup mem.ncb']
  }),
  stateSub({
    name: 'restore',
    summary: 'Restore a backup (checked fully before anything changes)',
    write: true,
    options: [...PASS_OPTIONS, { name: 'replace', type: 'boolean', description: 'Delete entries that are not in the backup' }],
    positionals: [{ name: 'file', description: 'Backup file to read', required: true }],
    // the backup is read and opened (passphrase, integrity) before the store is touched
    prepare: async (args) => {
      const [{ openBackup }, { stateCompression }] = await Promise.all([import('../../../core/state/backup.ts'), import('../../../core/state/compression.ts')])
      return await openBackup(new Uint8Array(readFileSync(args.positionals[0])), passphrase(args), { compression: await stateCompression() })
    },
    call: async (args, exec, _io, entries) => {
      return await exec('memory.putAll', { entries, replace: bool(args, 'replace') })
    },
    render: r => `${(r as { restored: number }).restored} entries restored\n`
  })
]

export const command: Command = {
  name: 'memory',
  summary: 'Work with the shared memory store',
  description: [
    'Namespaced values with optional expiry, replicated to every peer. Without flags a command',
    'works through the peer running on this machine (--peer picks another), or on the stored',
    'state when none runs; --data-dir names a data dir.'
  ].join('\n'),
  options: [],
  subcommands
}
