/**
 * `novacron ledger <subcommand>`: the mesh ledger of a running peer, reached through its data
 * dir's control endpoint (as `novacron issues` does). `verify` also works on a stopped peer: it
 * then opens the store itself. Every subcommand takes `--json`.
 */
import { safeJson, safeText } from '../escape.ts'
import { bool, num, str, UsageError, type CliIO, type Command, type OptionSpec } from '../args.ts'
import type { LedgerStatus } from '../../../core/ledger/types.ts'
import { peerAnswers, peerExec } from '../../ledger/client.ts'
import { entryTable, statusText } from '../../ledger/format.ts'
import { MAX_SUBMIT_MANY, type EntryJson, type SubmitManyResult } from '../../ledger/ops.ts'
import { verifyOffline } from '../../ledger/offline.ts'
import { PEER_COMMAND_OPTIONS, peerDataDir } from '../peer-dir.ts'
import { readCapped, readStdin } from './job.ts'

const common = PEER_COMMAND_OPTIONS
const dir = peerDataDir
const print = (io: CliIO, json: boolean, value: unknown, text: string): void => { io.stdout.write(json ? safeJson(value) + '\n' : safeText(text)) }

const status: Command = {
  name: 'status',
  summary: 'Epoch, replicas, height, head, leader, commit latency p50/p99, rejected counts',
  options: common,
  examples: ['novacron ledger status --peer peer-1', 'novacron ledger status --json'],
  run: async (args, io) => {
    const s = await peerExec(dir(args, io))('ledger.status') as LedgerStatus
    print(io, bool(args, 'json'), s, statusText(s))
    return 0
  }
}

const FOLLOW_POLL_MS = 300

const log: Command = {
  name: 'log',
  summary: 'Committed entries in slot order (--follow keeps printing new ones)',
  options: [
    { name: 'from', type: 'integer', value: '<slot>', min: 0, default: 0, description: 'First slot to show' },
    { name: 'limit', type: 'integer', value: '<n>', min: 1, max: 1000, default: 100, description: 'At most this many entries (per poll with --follow)' },
    { name: 'follow', type: 'boolean', description: 'Keep running and print entries as they commit (Ctrl-C stops)' },
    ...common
  ],
  examples: ['novacron ledger log --from 100 --limit 20', 'novacron ledger log --follow --json'],
  run: async (args, io) => {
    const exec = peerExec(dir(args, io))
    const json = bool(args, 'json')
    const limit = num(args, 'limit') as number
    let from = num(args, 'from') as number
    const show = (entries: EntryJson[], header: boolean): void => {
      if (json) for (const e of entries) io.stdout.write(safeJson(e) + '\n')
      else if (entries.length > 0 || header) {
        const t = entryTable(entries)
        io.stdout.write(safeText(header ? t : t.split('\n').slice(1).join('\n')))
      }
    }
    // the position after the last entry shown: a slot may hold more entries than a page
    let index = 0
    const page = async (): Promise<EntryJson[]> => {
      const entries = await exec('ledger.log', { from, limit, index }) as EntryJson[]
      const last = entries[entries.length - 1]
      if (last != null) { from = last.slot; index = last.index + 1 }
      return entries
    }
    if (!bool(args, 'follow')) {
      const entries = await exec('ledger.log', { from, limit }) as EntryJson[]
      if (json) io.stdout.write(safeJson(entries) + '\n')
      else io.stdout.write(safeText(entryTable(entries)))
      return 0
    }
    let stop = false
    const onSignal = (): void => { stop = true }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      show(await page(), true)
      while (!stop) {
        await new Promise(resolve => setTimeout(resolve, FOLLOW_POLL_MS))
        show(await page(), false)
      }
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    return 0
  }
}

const submit: Command = {
  name: 'submit',
  summary: 'Submit an entry (or a file of them) and wait for the commit; prints slot and latency',
  description: 'With --data, one entry. With --file, one entry per line of a JSON Lines file (`-` reads stdin;\n' +
    `at most ${MAX_SUBMIT_MANY.toLocaleString('en')} lines, blank lines skipped): every line is checked first, then all are submitted at\n` +
    'once and ride this peer\'s microblocks together; prints how many committed, in which slots, and\n' +
    'entries per second.',
  options: [
    { name: 'kind', type: 'string', value: '<kind>', default: 'note', description: 'Entry kind (note; config goes through `novacron config set`)' },
    { name: 'data', type: 'string', value: '<json>', description: 'Entry data, JSON (this or --file)' },
    { name: 'file', type: 'string', value: '<file.jsonl|->', description: 'Submit every line of a JSON Lines file as one entry (`-`: stdin)' },
    { name: 'timeout', type: 'integer', value: '<ms>', min: 100, max: 600_000, description: 'Give up waiting for the commit after this long (default: the ledger\'s submit timeout)' },
    ...common
  ],
  examples: [`novacron ledger submit --kind note --data '{"text":"hello"}'`, `novacron ledger submit --data '"deploy v2"' --json`, 'novacron ledger submit --file notes.jsonl'],
  run: async (args, io) => {
    const data = str(args, 'data')
    const file = str(args, 'file')
    if ((data == null) === (file == null)) throw new UsageError('give --data <json> or --file <file.jsonl> (one of them)', data == null ? '--data' : '--file')
    const kind = str(args, 'kind') as string
    if (kind === 'config') throw new UsageError("use 'novacron config set <key> <value>' for config entries (it validates first)", '--kind')
    const timeout = num(args, 'timeout')
    const timing = timeout != null ? { timeoutMs: timeout } : {}
    if (file != null) {
      // the same capped readers as `job submit --input`
      const items = jsonLines(new TextDecoder().decode(file === '-' ? await readStdin(io) : readCapped(file, '--file')), file)
      const exec = peerExec(dir(args, io)) // no running peer: said before any progress line
      if (!bool(args, 'json')) io.stderr.write(`submitting ${items.length} entr${items.length === 1 ? 'y' : 'ies'}…\n`)
      const r = await exec('ledger.submitMany', { kind, items, ...timing }) as SubmitManyResult
      print(io, bool(args, 'json'), r, `committed   ${r.entries} entries in slots ${r.firstSlot}..${r.lastSlot} (${r.slots} decisions) in ${r.ms} ms: ${r.entriesPerSecond} entries/s\nlatency     p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms\n`)
      return 0
    }
    try { JSON.parse(data as string) } catch (err) { throw new UsageError(`--data must be JSON (${(err as Error).message})`, '--data') }
    const e = await peerExec(dir(args, io))('ledger.submit', { kind, data, ...timing }) as EntryJson
    print(io, bool(args, 'json'), e, `committed   slot ${e.slot} (entry ${e.index}, epoch ${e.epoch})${e.latencyMs != null ? ` in ${Math.round(e.latencyMs)} ms` : ''}\n`)
    return 0
  }
}

/** The non-blank lines of a JSON Lines text, each checked to be JSON (the entry data, as text). */
export function jsonLines (text: string, file: string): string[] {
  const items: string[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (line === '') continue
    try { JSON.parse(line) } catch (err) { throw new UsageError(`${file} line ${i + 1} is not JSON (${(err as Error).message})`, '--file') }
    items.push(line)
    if (items.length > MAX_SUBMIT_MANY) throw new UsageError(`${file} has more than ${MAX_SUBMIT_MANY} entries: split it`, '--file')
  }
  if (items.length === 0) throw new UsageError(`${file} has no entries`, '--file')
  return items
}

const verify: Command = {
  name: 'verify',
  summary: 'Re-check every stored certificate from genesis; print the head hash (exit 1 if tampered)',
  description: 'On a running peer the peer verifies its own store; on a stopped one this command opens the\n' +
    'store in <data-dir>/ledger itself. A record that does not check exits 1 and names its height.',
  options: [{ name: 'genesis', type: 'string', value: '<peer id>', description: 'Genesis peer id to trust (stopped peer only; default: the one the peer recorded in its data dir)' }, ...common],
  examples: ['novacron ledger verify --peer peer-1', 'novacron ledger verify --json'],
  run: async (args, io) => {
    const d = dir(args, io)
    const result = await peerAnswers(d)
      ? await peerExec(d)('ledger.verify') as { height: number, head: string, blocks: number }
      : await verifyOffline(d, str(args, 'genesis'))
    print(io, bool(args, 'json'), result, `verified    ${result.blocks} blocks, height ${result.height}\nhead        ${result.head}\n`)
    return 0
  }
}

export const command: Command = {
  name: 'ledger',
  summary: 'Inspect and use the mesh ledger of a peer',
  description: 'The ledger is the totally ordered log every peer agrees on (ProBFT). These commands talk to a running\n' +
    'peer through its control endpoint: the one --data-dir or --peer names, else the running one (as issues does).',
  options: [],
  subcommands: [status, log, submit, verify]
}
