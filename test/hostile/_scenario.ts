/**
 * The hostile-peer scenario shared by the default and the slow test: `novacron start` + two
 * `novacron peer` processes (one printing JSON events, one human lines), honest issues created
 * before and during an attack by a stock libp2p node (attack.ts), then the checks of issue 19:
 * processes alive, peers still linked, no honest data lost, memory within bounds, every rejection
 * visible in /metrics, peer text escaped in human output.
 */
import { STATE_PROTOCOL } from '../../core/state/codec.ts'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { multiaddr } from '@multiformats/multiaddr'
import { main } from '../../node-runtime/cli/main.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { startCli, stopAll, type CliProcess } from '../_support/processes.ts'
import { createStockNode, type StockNode } from '../_support/stock-node.ts'
import { waitFor } from '../_support/wait.ts'
import { advertisedProtocols, attackStreams, attackTopics, hostileBroadcast, subscribedTopics, type AttackInit, type AttackReport } from './attack.ts'
import type { Stream } from '@libp2p/interface'

export interface ScenarioOptions extends AttackInit {
  /** Attack rounds (each: every stream attack, every topic attack, one honest issue). */
  rounds: number
  /** Allowed RSS growth per process over the attack, bytes. */
  maxRssGrowth: number
}

interface Member { name: string, proc: CliProcess, dataDir: string, peerId: string, metricsUrl: string }

const dirs: string[] = []

function events (p: CliProcess): Array<Record<string, unknown>> {
  return p.stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>)
}

function rssOf (p: CliProcess): number {
  const status = readFileSync(`/proc/${p.child.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024
}

/** The CLI entry point in this process (cheaper than a process per call): goes through the peer's control endpoint. */
async function cli (args: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''; let err = ''
  const sink = (fn: (s: string) => void): NodeJS.WritableStream => new Writable({ write (chunk, _enc, cb) { fn(String(chunk)); cb() } })
  const code = await main(args, { stdout: sink(s => { out += s }), stderr: sink(s => { err += s }), stdin: Readable.from([]) })
  return { code, out, err }
}

async function createIssue (m: Member, title: string): Promise<string> {
  // bounded: a peer too busy to answer its own CLI within a minute fails the test rather than hangs it
  let timer: ReturnType<typeof setTimeout> | undefined
  const r = await Promise.race([
    cli(['issues', 'create', '--title', title, '--data-dir', m.dataDir, '--json']),
    new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${m.name}: issues create took over 60 s`)) }, 60_000) })
  ]).finally(() => { clearTimeout(timer) })
  assert.equal(r.code, 0, `${m.name}: ${r.err}`)
  return (JSON.parse(r.out) as { id: string }).id
}

async function issueIds (m: Member): Promise<Set<string>> {
  const r = await cli(['issues', 'list', '--data-dir', m.dataDir, '--json'])
  if (r.code !== 0) throw new Error(`${m.name}: ${r.err}`)
  // `issues list --json` prints an array (docs/cli.md: lists are arrays)
  return new Set((JSON.parse(r.out) as Array<{ id: string }>).map(i => i.id))
}

async function metric (m: Member, pattern: RegExp): Promise<number> {
  const text = await (await fetch(m.metricsUrl, { signal: AbortSignal.timeout(10_000) })).text()
  let sum = 0
  for (const line of text.split('\n')) {
    const hit = pattern.exec(line)
    if (hit != null) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

export async function cleanupScenario (): Promise<void> {
  await stopAll()
  // the attacker's WebRTC dial to a peer can be aborted mid-ICE (it is not asserted to succeed): its
  // native peer connection would keep this process alive after the tests (js-libp2p#2625)
  releaseWebRTC()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
}

export async function runScenario (opts: ScenarioOptions, report_: (line: string) => void): Promise<void> {
  const t0 = Date.now()
  // progress goes to stderr as it happens (a stuck step is visible), and into the test's diagnostics
  const log = (line: string): void => { process.stderr.write(`[hostile +${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}\n`); report_(line) }
  const dataDir = (name: string): string => { const d = mkdtempSync(join(tmpdir(), `nc-hostile-${name}-`)); dirs.push(d); return d }
  // --- the honest mesh: a bootstrap and two peers, linked over WebRTC
  const bootDir = dataDir('boot')
  const boot = startCli(['start', '--port', '0', '--ws-port', '0', '--data-dir', bootDir, '--json'])
  await boot.waitForOutput(/"event":"listening"/, 120_000)
  const bl = events(boot).find(e => e.event === 'listening') as { peerId: string, multiaddrs: string[], metricsUrl: string }
  const bootAddr = bl.multiaddrs[0]
  const p1Dir = dataDir('p1'); const p2Dir = dataDir('p2')
  const p1 = startCli(['peer', '--bootstrap', bootAddr, '--data-dir', p1Dir, '--metrics-port', '0', '--json'])
  // p2 prints human lines: broadcast text from the attacker must reach its terminal escaped
  const p2 = startCli(['peer', '--bootstrap', bootAddr, '--data-dir', p2Dir, '--metrics-port', '0'])
  await p1.waitForOutput(/"event":"listening"/, 120_000)
  const l1 = events(p1).find(e => e.event === 'listening') as { peerId: string, multiaddrs: string[], metricsUrl: string }
  const id2 = (await p2.waitForOutput(/peer id\s+(\S+)/, 120_000))[1]
  const url2 = (await p2.waitForOutput(/metrics\s+(http:\S+)/, 120_000))[1]
  const members: Member[] = [
    { name: 'bootstrap', proc: boot, dataDir: bootDir, peerId: bl.peerId, metricsUrl: bl.metricsUrl },
    { name: 'peer 1', proc: p1, dataDir: p1Dir, peerId: l1.peerId, metricsUrl: l1.metricsUrl },
    { name: 'peer 2', proc: p2, dataDir: p2Dir, peerId: id2, metricsUrl: url2 }
  ]
  log('mesh started')
  await waitFor(() => events(p1).some(e => e.event === 'peer:connect' && e.peerId === id2 && e.transport === 'webrtc'), { timeout: 120_000, message: 'peer 1 and peer 2 linked over WebRTC' })
  log('peers linked over WebRTC')

  // --- honest data before the attack, replicated everywhere
  const honest: string[] = [await createIssue(members[1], 'before the attack (peer 1)')]
  await waitFor(async () => { for (const m of members) if (!(await issueIds(m)).has(honest[0])) return false; return true }, { timeout: 60_000, message: 'the first issue on every peer' })
  const rssBefore = members.map(m => rssOf(m.proc))
  log(`RSS before: ${members.map((m, i) => `${m.name} ${(rssBefore[i] / 1e6).toFixed(1)} MB`).join(', ')}`)

  // --- the attacker joins through the bootstrap and dials both peers over WebRTC
  const attacker: StockNode = await createStockNode({ webrtc: true })
  const slow: Stream[] = []
  const report: AttackReport = { protocols: {}, reached: {}, redials: 0, topics: [], streamsOpened: 0, streamsRefused: 0, published: 0 }
  const addrOf = (peer: string): string => peer === bl.peerId ? bootAddr : `${bootAddr}/p2p-circuit/webrtc/p2p/${peer}`
  const redial = async (peer: string): Promise<void> => {
    if (peer !== bl.peerId && attacker.getConnections().every(c => c.remotePeer.toString() !== bl.peerId)) await attacker.dial(multiaddr(bootAddr), { signal: AbortSignal.timeout(15_000) })
    await attacker.dial(multiaddr(addrOf(peer)), { signal: AbortSignal.timeout(30_000) })
  }
  try {
    await attacker.start()
    await attacker.dial(multiaddr(bootAddr))
    log('attacker connected to the bootstrap')
    for (const m of members.slice(1)) {
      // signalled through the bootstrap's relay, as the peers dial each other
      const target = addrOf(m.peerId)
      try { await attacker.dial(multiaddr(target), { signal: AbortSignal.timeout(30_000) }) } catch (err) { log(`attacker could not reach ${m.name} over WebRTC: ${(err as Error).message}`) }
    }
    for (const m of members) report.protocols[m.peerId] = await advertisedProtocols(attacker, m.peerId, 15_000)
    await waitFor(() => subscribedTopics(attacker, members.map(m => m.peerId)).length >= 3, { timeout: 30_000, message: 'the honest peers\' subscriptions' })
    report.topics = subscribedTopics(attacker, members.map(m => m.peerId))
    log(`targets: ${members.map(m => `${m.name} ${report.protocols[m.peerId].length} protocols (${attacker.getConnections().filter(c => c.remotePeer.toString() === m.peerId).map(c => c.remoteAddr.toString().includes('webrtc') ? 'webrtc' : 'ws').join('+') || 'no link'})`).join(', ')}; topics ${report.topics.join(', ')}`)
    assert.ok(report.protocols[bl.peerId].includes(STATE_PROTOCOL), 'the bootstrap advertises the state protocol')

    // first, while the attacker is still in good standing: valid text that is hostile to terminals
    await hostileBroadcast(attacker)
    await p2.waitForOutput(/broadcast from /, 30_000)
    for (let round = 0; round < opts.rounds; round++) {
      log(`round ${round}`)
      const step = async <T>(name: string, p: Promise<T>): Promise<T> => { const v = await p; log(`${name} done`); return v }
      await Promise.all([
        // streams first (every protocol), then gossip (whose rejections soon get the attacker cut off)
        (async () => {
          slow.push(...await step('streams', attackStreams(attacker, report.protocols, { ...opts, seed: opts.seed + round, log }, report, redial)))
          for (const m of members) if (attacker.getConnections().every(c => c.remotePeer.toString() !== m.peerId)) { try { await redial(m.peerId); report.redials++ } catch { /* it may refuse us */ } }
          await step('gossip', attackTopics(attacker, report.topics, members.map(m => m.peerId), { ...opts, seed: opts.seed + round, log }, report))
        })(),
        // honest work during the attack, on a different peer each round
        step('honest issue', (async () => { honest.push(await createIssue(members[(round % 2) + 1], `during the attack, round ${round}`)) })())
      ])
    }
    log(`attack: ${report.streamsOpened} streams opened, ${report.streamsRefused} refused, ${report.redials} re-dials, ${report.published} messages published, ${slow.length} slow streams held`)
    log(`protocols reached: ${members.map(m => `${m.name} ${report.reached[m.peerId]?.size ?? 0}/${report.protocols[m.peerId].length}`).join(', ')}`)
    // the attack really happened: the project's own protocol on the bootstrap and most of the
    // bootstrap's other protocols got attack streams (a target that cuts the attacker off while it
    // re-dials can refuse a few; the peers are reached only when the attacker's WebRTC dial
    // succeeds, which a loaded machine does not guarantee: logged above, not asserted)
    const reachedBoot = report.reached[bl.peerId] ?? new Set()
    assert.ok(reachedBoot.has(STATE_PROTOCOL), 'the attack reached the bootstrap\'s state protocol')
    assert.ok(reachedBoot.size * 2 >= report.protocols[bl.peerId].length, `the attack reached ${reachedBoot.size} of the bootstrap's ${report.protocols[bl.peerId].length} protocols`)
  } finally {
    for (const s of slow) s.abort(new Error('attack over'))
    await attacker.stop()
  }

  // --- the checks
  for (const m of members) assert.equal(m.proc.exitCode, null, `${m.name} is alive: ${m.proc.stderr.slice(-2000)}`)
  honest.push(await createIssue(members[2], 'after the attack (peer 2)'))
  await waitFor(async () => {
    for (const m of members) { const ids = await issueIds(m); if (!honest.every(id => ids.has(id))) return false }
    return true
  }, { timeout: 90_000, message: `all ${honest.length} honest issues on every peer` })
  for (const m of members.slice(1)) {
    await waitFor(async () => await metric(m, /^novacron_connections\{transport="webrtc"\}/) >= 1, { timeout: 60_000, message: `${m.name} still has a WebRTC link` })
  }
  const rssAfter = members.map(m => rssOf(m.proc))
  log(`RSS after: ${members.map((m, i) => `${m.name} ${(rssAfter[i] / 1e6).toFixed(1)} MB`).join(', ')}`)
  members.forEach((m, i) => { assert.ok(rssAfter[i] - rssBefore[i] < opts.maxRssGrowth, `${m.name} RSS grew ${((rssAfter[i] - rssBefore[i]) / 1e6).toFixed(1)} MB`) })
  const rejected = await Promise.all(members.map(async m => await metric(m, /^novacron_rejected_messages_total\{/)))
  log(`rejections counted: ${members.map((m, i) => `${m.name} ${rejected[i]}`).join(', ')}`)
  assert.ok(rejected[0] > 0, 'the bootstrap counted rejections')
  // the ledger's counters are on /metrics too: the peers' joins were committed during the run
  const heights = await Promise.all(members.map(async m => await metric(m, /^novacron_ledger_height /)))
  log(`ledger heights on /metrics: ${heights.join(', ')}`)
  assert.ok(heights.every(h => h >= 1), `ledger heights ${heights.join(', ')}`)
  assert.match(p2.stdout, /broadcast from \S+: \\x1B\]0;pwned\\x07/, 'the hostile broadcast was shown, escaped')
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(p2.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/, 'no raw control character in human output')
  for (const m of members) assert.equal(await m.proc.stop(), 0, `${m.name} exits cleanly: ${m.proc.stderr.slice(-1000)}`)
}
