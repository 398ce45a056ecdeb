/**
 * `novacron start` and `novacron peer` as real processes: usage errors (exit 2, the flag named),
 * a port in use, JSON-lines events, direct WebRTC between two headless peers, a bootstrap killed
 * with SIGKILL and restarted from its --data-dir (same peer id and port) being re-joined, and a
 * clean exit 0 on SIGTERM.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { startCli, stopAll, type CliProcess } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

const dirs: string[] = []
after(async () => {
  await stopAll()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function events (p: CliProcess): Array<Record<string, unknown>> {
  return p.stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>)
}

async function exitOf (args: string[]): Promise<{ code: number | null, stderr: string }> {
  const p = startCli(args)
  const code = await p.exited
  return { code, stderr: p.stderr }
}

async function occupiedPort (): Promise<{ port: number, server: Server }> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  assert.ok(addr != null && typeof addr === 'object')
  return { port: addr.port, server }
}

async function freePort (): Promise<number> {
  const { port, server } = await occupiedPort()
  await new Promise(resolve => server.close(resolve))
  return port
}

test('bad flags exit 2 and name the flag', async () => {
  const cases: Array<[string[], string]> = [
    [['peer', '--bootstrap', '/ip4/127.0.0.1/tcp/1/ws/p2p/12D3KooWKMskgdaUqhsVse3dFGHqa36Jxt6pgTZAut9qUz1ZtafF', '--max-peers', '0'], '--max-peers'],
    [['peer'], '--bootstrap'],
    [['peer', '--bootstrap', 'not-a-multiaddr'], '--bootstrap'],
    [['peer', '--bootstrap', '/ip4/127.0.0.1/tcp/1/ws'], '--bootstrap'],
    [['start', '--bogus'], '--bogus'],
    [['start', '--no-ledger-join'], '--no-ledger-join'], // the genesis peer is a replica from block 0
    [['start', '--port', 'http'], '--port'],
    [['start', '--host', 'localhost'], '--host']
  ]
  const results = await Promise.all(cases.map(async ([args]) => await exitOf(args)))
  results.forEach(({ code, stderr }, i) => {
    assert.equal(code, 2, `${cases[i][0].join(' ')}: ${stderr}`)
    assert.ok(stderr.includes(cases[i][1]), `${cases[i][0].join(' ')} should name ${cases[i][1]}: ${stderr}`)
  })
})

test('--help documents every option of start and peer', async () => {
  for (const [cmd, flags] of [['start', ['--host', '--port', '--ws-port', '--data-dir', '--max-peers', '--json', '--app-dir']], ['peer', ['--bootstrap', '--data-dir', '--max-peers', '--json', '--dial-timeout']]] as const) {
    const p = startCli([cmd, '--help'])
    assert.equal(await p.exited, 0)
    for (const f of flags) assert.ok(p.stdout.includes(f), `${cmd} --help lists ${f}`)
    assert.equal(p.stdout.includes('--no-ledger-join'), cmd === 'peer', `${cmd} --help and --no-ledger-join`)
  }
})

test('a port in use is a clear error naming the flag', async () => {
  const { port, server } = await occupiedPort()
  try {
    const http = await exitOf(['start', '--port', String(port), '--ws-port', '0'])
    assert.equal(http.code, 2)
    assert.match(http.stderr, new RegExp(`--port ${port}: .*already in use`))
    const ws = await exitOf(['start', '--port', '0', '--ws-port', String(port)])
    assert.equal(ws.code, 2)
    assert.match(ws.stderr, new RegExp(`--ws-port ${port}: .*already in use`))
  } finally {
    server.close()
  }
})

test('two headless peers link over WebRTC, survive a killed bootstrap and stop cleanly', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'novacron-boot-'))
  dirs.push(dataDir)
  const wsPort = await freePort()
  const bootArgs = ['start', '--port', '0', '--ws-port', String(wsPort), '--data-dir', dataDir, '--json']
  let boot = startCli(bootArgs)
  await boot.waitForOutput(/"event":"listening"/, 90_000)
  const listening = events(boot).find(e => e.event === 'listening') as { peerId: string, multiaddrs: string[] }
  const addr = listening.multiaddrs[0]
  assert.match(addr, new RegExp(`/tcp/${wsPort}/ws/p2p/${listening.peerId}$`))

  const peers = [startCli(['peer', '--bootstrap', addr, '--json']), startCli(['peer', '--bootstrap', addr, '--json'])]
  await Promise.all(peers.map(async p => await p.waitForOutput(/"event":"listening"/, 90_000)))
  const ids = peers.map(p => (events(p).find(e => e.event === 'listening') as { peerId: string }).peerId)
  for (const [i, p] of peers.entries()) {
    const other = ids[1 - i]
    await waitFor(() => events(p).some(e => e.event === 'peer:connect' && e.peerId === other && e.transport === 'webrtc'), { timeout: 90_000, message: `peer ${i} to link to ${other} over WebRTC` })
    assert.ok(events(p).some(e => e.event === 'listening' && (e.multiaddrs as string[]).some(a => a.includes('/p2p-circuit/webrtc'))), 'listening after the relay reservation')
  }

  // SIGKILL: no goodbye, sockets torn down by the OS
  boot.child.kill('SIGKILL')
  await boot.exited
  await Promise.all(peers.map(async p => await waitFor(() => events(p).some(e => e.event === 'peer:disconnect' && e.peerId === listening.peerId), { timeout: 30_000, message: 'peers to see the bootstrap go' })))
  const connectsBefore = peers.map(p => events(p).filter(e => e.event === 'peer:connect' && e.peerId === listening.peerId).length)

  boot = startCli(bootArgs)
  await boot.waitForOutput(/"event":"listening"/, 90_000)
  const again = events(boot).find(e => e.event === 'listening') as { peerId: string, multiaddrs: string[] }
  assert.equal(again.peerId, listening.peerId, 'identity kept in --data-dir')
  assert.equal(again.multiaddrs[0], addr)
  await Promise.all(peers.map(async (p, i) => await waitFor(() => events(p).filter(e => e.event === 'peer:connect' && e.peerId === listening.peerId).length > connectsBefore[i], { timeout: 60_000, message: 'peers to re-dial the restarted bootstrap' })))

  // a clean stop is what is asserted, not a fast one: a replica's leave may wait its 5 s for a
  // commit, and CI once killed a peer at the harness's default 10 s grace on a loaded machine; the
  // `stopped` event says where the time went
  for (const p of [...peers, boot]) {
    assert.equal(await p.stop(60_000), 0, `clean exit on SIGTERM: ${p.stderr.slice(-500)}`)
    const stopped = events(p).find(e => e.event === 'stopped') as { stopMs: { services: number, mesh: number, stores: number } } | undefined
    assert.ok(stopped != null)
    t.diagnostic(`stopped in ${JSON.stringify(stopped.stopMs)} ms`)
  }
})
