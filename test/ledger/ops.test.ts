/**
 * The ledger's control operations (node-runtime/ledger/ops.ts) through a real control endpoint
 * (node-runtime/state/control.ts, HTTP on 127.0.0.1) and the CLI's client, against a scripted
 * `LedgerApi` (a stand-in for the live ledger, inside this unit test only): entry data crosses JSON
 * as text or base64; `config.set` runs the validator before submitting, so an invalid value is the
 * validator's typed error and nothing is submitted; errors keep their names across the endpoint.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import * as Y from 'yjs'
import type { CommittedEntry, Entry, LedgerApi, LedgerStatus } from '../../core/ledger/types.ts'
import { peerExec } from '../../node-runtime/ledger/client.ts'
import { configPort } from '../../node-runtime/ledger/config-port.ts'
import { MAX_SUBMIT_MANY, runLedgerOp, type EntryJson, type LedgerOpTarget, type SubmitManyResult } from '../../node-runtime/ledger/ops.ts'
import { jsonLines } from '../../node-runtime/cli/commands/ledger.ts'
import { EntryRefusedError } from '../../core/ledger/errors.ts'
import { startControlServer, type ControlServer } from '../../node-runtime/state/control.ts'

class BadSettingError extends Error {
  static override name = 'ConfigValueError'
  override name = 'ConfigValueError'
}

function scripted (): { target: LedgerOpTarget, submitted: Entry[] } {
  const submitted: Entry[] = []
  const values: Record<string, unknown> = { 'mesh.maxPeers': 8 }
  const committed = (entry: Entry, slot: number): CommittedEntry => ({ slot, index: 0, epoch: 1, kind: entry.kind, author: 'me', data: entry.data, summary: entry.kind, latencyMs: 12, committedAt: 1, applied: true })
  const ledger: LedgerApi = {
    status: () => ({ height: 41, head: 'ab'.repeat(32) }) as unknown as LedgerStatus,
    submit: async entry => { submitted.push(entry); return committed(entry, 42) },
    log: async (from, limit) => [committed({ kind: 'note', data: new TextEncoder().encode('{"a":1}') }, from), committed({ kind: 'bin', data: Uint8Array.from([0xff, 0xfe, 0]) }, from + 1)].slice(0, limit),
    verify: async () => ({ height: 41, head: 'ab'.repeat(32), blocks: 42 }),
    config: key => values[key]
  }
  return {
    submitted,
    target: {
      ledger,
      checkConfig: (key, value) => {
        if (key !== 'mesh.maxPeers') throw new BadSettingError(`unknown setting ${key}`)
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 64) throw new BadSettingError('mesh.maxPeers must be an integer in 1..64')
      },
      configEntry: (key, value) => ({ kind: 'config', data: new TextEncoder().encode(JSON.stringify({ key, value })) }),
      configKeys: () => Object.keys(values)
    }
  }
}

describe('ledger control ops over the control endpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'novacron-ledger-ops-'))
  let server: ControlServer
  let s: ReturnType<typeof scripted>
  before(async () => {
    s = scripted()
    server = await startControlServer(dir, { doc: new Y.Doc(), actor: 'test' })
    server.addOps('ledger.', async (op, args) => await runLedgerOp(s.target, op, args))
    server.addOps('config.', async (op, args) => await runLedgerOp(s.target, op, args))
  })
  after(async () => { await server.stop(); rmSync(dir, { recursive: true, force: true }) })

  test('status, verify and log; binary data as base64, text as text', async () => {
    const exec = peerExec(dir)
    assert.equal((await exec('ledger.status') as LedgerStatus).height, 41)
    assert.deepEqual(await exec('ledger.verify'), { height: 41, head: 'ab'.repeat(32), blocks: 42 })
    const log = await exec('ledger.log', { from: 5, limit: 10 }) as EntryJson[]
    assert.deepEqual(log.map(e => [e.slot, e.data, e.dataEncoding]), [[5, '{"a":1}', 'utf8'], [6, '//4A', 'base64']])
    await assert.rejects(exec('ledger.log', { from: -1 }), { name: 'LedgerCliError' })
  })

  test('submit sends the data as UTF-8 bytes and returns the committed entry', async () => {
    const e = await peerExec(dir)('ledger.submit', { kind: 'note', data: '{"text":"hi"}' }) as EntryJson
    assert.equal(e.slot, 42)
    assert.equal(new TextDecoder().decode(s.submitted.at(-1)?.data), '{"text":"hi"}')
  })

  test('config.set validates before submitting: an invalid value is the typed error and nothing is submitted', async () => {
    const before = s.submitted.length
    await assert.rejects(peerExec(dir)('config.set', { key: 'mesh.maxPeers', value: -1 }), { name: 'ConfigValueError' })
    await assert.rejects(peerExec(dir)('config.set', { key: 'mesh.nope', value: 3 }), { name: 'ConfigValueError' })
    assert.equal(s.submitted.length, before)
    const e = await peerExec(dir)('config.set', { key: 'mesh.maxPeers', value: 6 }) as EntryJson
    assert.equal(e.kind, 'config')
    assert.deepEqual(JSON.parse(e.data), { key: 'mesh.maxPeers', value: 6 })
    assert.equal(s.submitted.length, before + 1)
    assert.deepEqual(await peerExec(dir)('config.get', {}), { 'mesh.maxPeers': 8 })
  })

  test('state ops still reach the state dispatcher', async () => {
    const issue = await peerExec(dir)('issues.create', { title: 'still works' }) as { title: string }
    assert.equal(issue.title, 'still works')
  })

  test('no control endpoint: LedgerNotRunningError', () => {
    assert.throws(() => peerExec(join(dir, 'nothing-here')), { name: 'LedgerNotRunningError' })
  })
})

describe('config port over core/ledger\'s settings table', () => {
  test('mesh.maxPeers -1, 65, 2.5, "6" and unknown keys are EntryRefusedError; 6 builds the config entry core reads', () => {
    for (const [key, value] of [['mesh.maxPeers', -1], ['mesh.maxPeers', 65], ['mesh.maxPeers', 2.5], ['mesh.maxPeers', '6'], ['mesh.nope', 3]] as Array<[string, unknown]>) {
      assert.throws(() => { configPort.checkConfig(key, value) }, { name: 'EntryRefusedError' }, `${key} = ${JSON.stringify(value)}`)
    }
    configPort.checkConfig('mesh.maxPeers', 6)
    const e = configPort.configEntry('mesh.maxPeers', 6)
    assert.equal(e.kind, 'config')
    assert.deepEqual(JSON.parse(new TextDecoder().decode(e.data)), { key: 'mesh.maxPeers', value: 6 })
    assert.ok(configPort.configKeys().includes('mesh.maxPeers'))
  })
})

describe('ledger.submitMany', () => {
  const dir = mkdtempSync(join(tmpdir(), 'novacron-ledger-many-'))
  let server: ControlServer
  const submitted: string[] = []
  before(async () => {
    const s = scripted()
    // entries commit four to a slot, from slot 100; one datum is refused at commit
    s.target.ledger.submit = async (entry) => {
      const i = submitted.push(new TextDecoder().decode(entry.data)) - 1
      if (submitted[i] === '"refused"') throw new EntryRefusedError('refused at apply')
      return { slot: 100 + Math.floor(i / 4), index: i % 4, epoch: 1, kind: entry.kind, author: 'me', data: entry.data, summary: entry.kind, latencyMs: 10 + i, committedAt: 1, applied: true }
    }
    server = await startControlServer(dir, { doc: new Y.Doc(), actor: 'test' })
    server.addOps('ledger.', async (op, args) => await runLedgerOp(s.target, op, args))
  })
  after(async () => { await server.stop(); rmSync(dir, { recursive: true, force: true }) })

  test('submits every item and reports slots, decisions and latency percentiles', async () => {
    const items = Array.from({ length: 10 }, (_, i) => JSON.stringify({ n: i }))
    const r = await peerExec(dir)('ledger.submitMany', { kind: 'note', items }) as SubmitManyResult
    assert.deepEqual(submitted, items)
    assert.deepEqual([r.entries, r.firstSlot, r.lastSlot, r.slots], [10, 100, 102, 3])
    assert.deepEqual([r.latencyP50Ms, r.latencyP99Ms], [15, 19])
    assert.ok(r.entriesPerSecond > 0 && r.ms >= 0)
  })

  test('a bad list is refused before anything is submitted; a refused entry fails the call', async () => {
    const before = submitted.length
    for (const items of [[], 'x', [1], Array.from({ length: MAX_SUBMIT_MANY + 1 }, () => '1')]) {
      await assert.rejects(peerExec(dir)('ledger.submitMany', { kind: 'note', items }), { name: 'LedgerCliError' }, JSON.stringify(items).slice(0, 40))
    }
    assert.equal(submitted.length, before)
    await assert.rejects(peerExec(dir)('ledger.submitMany', { kind: 'note', items: ['1', '"refused"'] }), { name: 'EntryRefusedError' })
  })
})

describe('ledger submit --file: JSON Lines', () => {
  test('blank lines are skipped; a line that is not JSON names its line; an empty file is an error', () => {
    assert.deepEqual(jsonLines('{"a":1}\n\n  2  \n', 'f.jsonl'), ['{"a":1}', '2'])
    assert.throws(() => jsonLines('{"a":1}\n{oops\n', 'f.jsonl'), (err: Error) => err.name === 'UsageError' && err.message.includes('f.jsonl line 2'))
    assert.throws(() => jsonLines('\n \n', 'f.jsonl'), (err: Error) => err.name === 'UsageError' && err.message.includes('no entries'))
  })
})
