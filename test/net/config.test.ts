/** Mesh config validation: every bad field reported, all at once, in one typed error; result frozen. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, MIN_FRAME_SIZE, validateConfig, type MeshNodeInit } from '../../core/net/index.ts'

const BOOT = '/ip4/127.0.0.1/tcp/7421/ws/p2p/12D3KooWKMskgdaUqhsVse3dFGHqa36Jxt6pgTZAut9qUz1ZtafF'

function issuesOf (init: unknown): Array<{ field: string, problem: string }> {
  try {
    validateConfig(init as MeshNodeInit)
  } catch (err) {
    assert.ok(err instanceof ConfigError)
    assert.equal(err.name, 'ConfigError')
    return [...err.issues]
  }
  assert.fail('expected a ConfigError')
}

test('defaults are valid and documented values', () => {
  const c = validateConfig({})
  assert.deepEqual(c.listen, ['/p2p-circuit', '/webrtc'])
  assert.deepEqual(c.bootstrap, [])
  assert.equal(c.maxPeers, 8)
  assert.equal(c.role, 'peer')
  assert.equal(c.relayServer, false)
  assert.equal(c.pacedProtectedDials, false)
  assert.equal(validateConfig({ role: 'bootstrap' }).relayServer, true)
  assert.equal(c.hubGossip, false)
  assert.equal(validateConfig({ role: 'bootstrap' }).hubGossip, true)
  assert.equal(validateConfig({ role: 'bootstrap', hubGossip: false }).hubGossip, false)
  assert.equal(c.leanGossip, true)
  assert.equal(validateConfig({ leanGossip: false }).leanGossip, false)
  assert.equal(c.build, 'dev')
  assert.equal(validateConfig({ build: '0.2.0-rc.1' }).build, '0.2.0-rc.1')
  assert.equal(validateConfig({ maxFrameSize: MIN_FRAME_SIZE }).maxFrameSize, 64 * 1024)
})

const bad: Array<[string, MeshNodeInit | Record<string, unknown>, string]> = [
  ['maxPeers zero', { maxPeers: 0 }, 'maxPeers'],
  ['maxPeers fraction', { maxPeers: 2.5 }, 'maxPeers'],
  ['maxPeers string', { maxPeers: '8' }, 'maxPeers'],
  ['dialTimeoutMs negative', { dialTimeoutMs: -1 }, 'dialTimeoutMs'],
  ['maintainIntervalMs huge', { maintainIntervalMs: 1e9 }, 'maintainIntervalMs'],
  ['discoveryIntervalMs NaN', { discoveryIntervalMs: Number.NaN }, 'discoveryIntervalMs'],
  ['topologyIntervalMs zero', { topologyIntervalMs: 0 }, 'topologyIntervalMs'],
  ['peerTtlMs tiny', { peerTtlMs: 1 }, 'peerTtlMs'],
  ['peerTtlMs below topology interval', { peerTtlMs: 1000, topologyIntervalMs: 2000 }, 'peerTtlMs'],
  ['pingIntervalMs zero', { pingIntervalMs: 0 }, 'pingIntervalMs'],
  ['maxHeldChannels zero', { maxHeldChannels: 0 }, 'maxHeldChannels'],
  ['maxFrameSize tiny', { maxFrameSize: 1 }, 'maxFrameSize'],
  ['maxFrameSize 16 bytes (below libp2p\'s control traffic)', { maxFrameSize: 16 }, 'maxFrameSize'],
  ['maxFrameSize one byte under 64 KiB', { maxFrameSize: 64 * 1024 - 1 }, 'maxFrameSize'],
  ['requestTimeoutMs zero', { requestTimeoutMs: 0 }, 'requestTimeoutMs'],
  ['bootstrapBackoffMs zero', { bootstrapBackoffMs: 0 }, 'bootstrapBackoffMs'],
  ['backoff max below min', { bootstrapBackoffMs: 1000, bootstrapBackoffMaxMs: 500 }, 'bootstrapBackoffMaxMs'],
  ['maxReservations zero', { maxReservations: 0 }, 'maxReservations'],
  ['role unknown', { role: 'king' }, 'role'],
  ['relayServer not boolean', { relayServer: 'yes' }, 'relayServer'],
  ['pacedProtectedDials not boolean', { pacedProtectedDials: 1 }, 'pacedProtectedDials'],
  ['hubGossip not boolean', { hubGossip: 'yes' }, 'hubGossip'],
  ['leanGossip not boolean', { leanGossip: 1 }, 'leanGossip'],
  ['build with a space', { build: '0.1.0 wire/9' }, 'build'],
  ['build empty', { build: '' }, 'build'],
  ['build not a string', { build: 7 }, 'build'],
  ['privateKey not a key', { privateKey: { nope: true } }, 'privateKey'],
  ['listen not an array', { listen: '/webrtc' }, 'listen'],
  ['listen item garbage', { listen: ['not a multiaddr'] }, 'listen[0]'],
  ['bootstrap without peer id', { bootstrap: ['/ip4/127.0.0.1/tcp/1/ws'] }, 'bootstrap[0]'],
  ['bootstrap item not a string', { bootstrap: [BOOT, 42] }, 'bootstrap[1]'],
  ['iceServers bad url', { iceServers: ['http://x'] }, 'iceServers']
]

for (const [name, init, field] of bad) {
  test(`rejects ${name} naming ${field}`, () => {
    const issues = issuesOf(init)
    assert.deepEqual(issues.map(i => i.field), [field])
    assert.ok(issues[0].problem.length > 0)
  })
}

test('reports every bad field in one error', () => {
  const issues = issuesOf({ maxPeers: -3, role: 'x', bootstrap: ['nope', BOOT, '/ip4/1.2.3.4/tcp/1/ws'], maxFrameSize: 'big' })
  assert.deepEqual(issues.map(i => i.field).sort(), ['bootstrap[0]', 'bootstrap[2]', 'maxFrameSize', 'maxPeers', 'role'])
})

test('rejects a non-object init', () => {
  assert.deepEqual(issuesOf(null).map(i => i.field), ['init'])
})

test('validated config is frozen and does not alias the caller\'s arrays', () => {
  const init = { bootstrap: [BOOT], listen: ['/p2p-circuit', '/webrtc'] }
  const c = validateConfig(init)
  init.bootstrap.push('/ip4/9.9.9.9/tcp/1/ws/p2p/12D3KooWKMskgdaUqhsVse3dFGHqa36Jxt6pgTZAut9qUz1ZtafF')
  init.listen.length = 0
  assert.deepEqual(c.bootstrap, [BOOT])
  assert.deepEqual(c.listen, ['/p2p-circuit', '/webrtc'])
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.bootstrap) && Object.isFrozen(c.listen))
  assert.throws(() => { (c as { maxPeers: number }).maxPeers = 99 }, TypeError)
  assert.throws(() => { (c.bootstrap as string[]).push('x') }, TypeError)
})
