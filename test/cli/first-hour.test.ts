/**
 * The first hour with the CLI (issue 18, items 2, 4, 6, 7), as real `novacron` processes in a
 * temporary NOVACRON_HOME: `start` and two `peer`s with no flags at all (default names and data
 * dirs, the peer finds the local bootstrap), `start` printing its next steps, `peer` its id first,
 * `issues` finding the running peers and, once they stop, the stored state, saying which; a peer
 * whose bootstrap is down saying so and getting through once it is back; and usage/error output:
 * stray arguments, one-line errors without class names or ENOENT, --debug, --version, help.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
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
const tempDir = (prefix: string): string => { const d = mkdtempSync(join(tmpdir(), prefix)); dirs.push(d); return d }

async function finished (args: string[], env: NodeJS.ProcessEnv = {}, stdin?: Buffer): Promise<{ code: number | null, out: string, err: string }> {
  const p = startCli(args, env)
  p.child.stdin?.end(stdin)
  const code = await p.exited
  return { code, out: p.stdout, err: p.stderr }
}

function events (p: CliProcess): Array<Record<string, unknown>> {
  return p.stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>)
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise(resolve => server.close(resolve))
  return port
}

test('usage and errors: stray arguments, one actionable line, --json names the error, --debug the stack, --version, help <command>', async () => {
  const home = tempDir('nc-fh-home-')
  const env = { NOVACRON_HOME: home }
  const [stray, lz4, missingFile, debug, version, help, helpSub, noPeer, appDir] = await Promise.all([
    finished(['compress', '/nonexistent.txt'], env),
    finished(['decompress'], env, Buffer.from('not an lz4 frame at all')),
    finished(['issues', 'import', '/nonexistent/board.jsonl', '--data-dir', join(home, 'x')], env),
    finished(['issues', 'import', '/nonexistent/board.jsonl', '--data-dir', join(home, 'x'), '--debug'], env),
    finished(['--version'], env),
    finished(['help', 'issues'], env),
    finished(['help', 'issues', 'create'], env),
    finished(['issues', 'list'], env),
    finished(['start', '--app-dir', '/nonexistent', '--port', '0', '--ws-port', '0'], env)
  ])
  assert.equal(stray.code, 2); assert.match(stray.err, /^novacron compress: unexpected argument '\/nonexistent.txt'/)
  assert.equal(lz4.code, 1); assert.equal(lz4.err.trim().split('\n').length, 1, lz4.err)
  assert.match(lz4.err, /^novacron decompress: not a valid LZ4 frame: /); assert.doesNotMatch(lz4.err, /Lz4Error|LZ4 error \d/)
  assert.equal(missingFile.code, 1); assert.equal(missingFile.err, 'novacron issues import: /nonexistent/board.jsonl: no such file or folder\n')
  assert.equal(debug.code, 1); assert.match(debug.err, /ENOENT/); assert.match(debug.err, /\n\s+at /, 'the stack under --debug')
  assert.equal(version.code, 0); assert.match(version.out, /^novacron \d+\.\d+\.\d+\n$/)
  assert.equal(help.code, 0); assert.match(help.out, /Usage: novacron issues <subcommand>/); assert.match(help.out, /dep +Dependencies/)
  assert.equal(helpSub.code, 0); assert.match(helpSub.out, /Usage: novacron issues create \[title\] \[options\]/); assert.match(helpSub.out, /-t, --type/)
  assert.equal(noPeer.code, 1); assert.match(noPeer.err, /no peer is running and there is no stored state in .*: start one with 'novacron start'/)
  assert.equal(appDir.code, 2); assert.match(appDir.err, /--app-dir \/nonexistent: no such folder/)
  assert.deepEqual(existsSync(join(home, 'x')), false, 'a failed read created no store')
})

test('start and two peers without flags; the CLI finds them, then the stored state', async () => {
  const home = tempDir('nc-fh-home-')
  const env = { NOVACRON_HOME: home }
  const boot = startCli(['start', '--port', '0', '--ws-port', '0'], env)
  await boot.waitForOutput(/Next steps:[\s\S]*novacron peer --bootstrap \S+\n/, 90_000)
  assert.match(boot.stdout, /^peer id {5}12D3KooW\w+\n/, 'the peer id comes first')
  const bootId = /^peer id {5}(\S+)/.exec(boot.stdout)?.[1] as string
  const ws = new RegExp(`^listening   (/ip4/127\\.0\\.0\\.1/tcp/\\d+/ws/p2p/${bootId})$`, 'm').exec(boot.stdout)?.[1]
  assert.ok(ws != null, boot.stdout)
  assert.ok(boot.stdout.includes(`       novacron peer --bootstrap ${ws}\n`), 'the exact line to paste')
  assert.match(boot.stdout, /name {8}bootstrap \(data in .*\/bootstrap\)/)
  assert.match(boot.stdout, /open {8}http:\/\/127\.0\.0\.1:\d+\//)

  const peers = [startCli(['peer'], env), startCli(['peer'], env)]
  await Promise.all(peers.map(async p => await p.waitForOutput(/^name {8}peer-\d/m, 90_000)))
  for (const p of peers) {
    assert.match(p.stdout, /^peer id {5}12D3KooW\w+\n/, 'a peer prints its id first')
    assert.match(p.stderr, /joining the bootstrap 'bootstrap' running on this machine/)
  }
  assert.deepEqual(peers.map(p => /^name {8}(peer-\d)/m.exec(p.stdout)?.[1]).sort(), ['peer-1', 'peer-2'])

  const created = await finished(['issues', 'create', 'First issue', '-t', 'bug', '--json'], env)
  assert.equal(created.code, 0, created.err)
  assert.match(created.err, /^novacron: using peer 'bootstrap' \(pid \d+, .*\); running: bootstrap, peer-1, peer-2 \(--peer picks one\)/)
  const id = (JSON.parse(created.out) as { id: string }).id
  await waitFor(async () => {
    const r = await finished(['issues', 'list', '--peer', 'peer-2', '--json'], env)
    return r.code === 0 && (JSON.parse(r.out) as Array<{ id: string }>).some(i => i.id === id)
  }, { timeout: 90_000, interval: 500, message: 'the issue replicated to peer-2' })

  for (const p of [...peers, boot]) assert.equal(await p.stop(), 0, p.stderr.slice(-500))
  const offline = await finished(['issues', 'list'], env)
  assert.equal(offline.code, 0, offline.err)
  assert.match(offline.err, /^novacron: no peer is running: using the stored state of 'bootstrap'/)
  assert.match(offline.out, new RegExp(`${id} +P2 +open +bug`))
})

test('a peer whose bootstrap does not answer says so, keeps retrying and gets through when it is back', async () => {
  const home = tempDir('nc-fh-home-')
  const env = { NOVACRON_HOME: home }
  const wsPort = await freePort()
  const bootArgs = ['start', '--port', '0', '--ws-port', String(wsPort), '--json']
  let boot = startCli(bootArgs, env)
  await boot.waitForOutput(/"event":"listening"/, 90_000)
  const listening = events(boot).find(e => e.event === 'listening') as { peerId: string, multiaddrs: string[], next: string }
  assert.equal(listening.next, `novacron peer --bootstrap ${listening.multiaddrs[0]}`)
  assert.equal(await boot.stop(), 0)

  const peer = startCli(['peer', '--bootstrap', listening.multiaddrs[0], '--json'], env)
  await peer.waitForOutput(/"event":"bootstrap:unreachable"/, 90_000)
  const first = events(peer)[0]
  assert.deepEqual([first.event, typeof first.peerId], ['starting', 'string'], 'the peer id first')
  const unreachable = events(peer).find(e => e.event === 'bootstrap:unreachable')
  assert.deepEqual(unreachable, { event: 'bootstrap:unreachable', bootstrap: [listening.multiaddrs[0]], retrying: true })

  boot = startCli(bootArgs, env) // same name, data dir, identity and port
  await boot.waitForOutput(/"event":"listening"/, 90_000)
  await peer.waitForOutput(/"event":"bootstrap:reached"/, 90_000)
  assert.equal((events(peer).find(e => e.event === 'bootstrap:reached') as { peerId: string }).peerId, listening.peerId)
  for (const p of [peer, boot]) assert.equal(await p.stop(), 0)
})
