/**
 * awaitDirect (core/net/direct-link.ts): asks the dialer again until a usable link is open or the
 * wait ends; a request's signal cancels the dial only when asked to (`cancelDial`); a dialer that
 * throws is logged, never thrown at the caller. A scripted dialer: this is a unit test of the loop.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Connection, PeerId } from '@libp2p/interface'
import { awaitDirect, hasUsableLink, type DirectLinkParts } from '../../core/net/direct-link.ts'

const peer = { toString: () => 'peer-x' } as unknown as PeerId
const log = Object.assign((..._args: unknown[]) => {}, { error: () => {}, trace: () => {}, enabled: false }) as unknown as DirectLinkParts['log']

function parts (dialNow: (peer: string, signal?: AbortSignal) => Promise<boolean>): DirectLinkParts & { conns: Connection[] } {
  const conns: Connection[] = []
  return { conns, libp2p: { getConnections: () => conns }, dialer: { dialNow }, pick: c => c[0], log }
}

test('asks again until a link is open, then stops', async () => {
  let calls = 0
  const p = parts(async () => { calls++; if (calls === 3) p.conns.push({} as Connection); return calls >= 3 })
  await awaitDirect(p, peer, 10_000, new AbortController().signal)
  assert.equal(calls, 3)
  assert.equal(hasUsableLink(p, peer), true)
})

test('gives up when the wait ends; a dialer that throws is only logged', async () => {
  let calls = 0
  const p = parts(async () => { calls++; throw new Error('boom') })
  await awaitDirect(p, peer, 600, new AbortController().signal)
  assert.ok(calls >= 2, `asked ${calls} times within the wait`)
  assert.equal(hasUsableLink(p, peer), false)
})

test('the caller\'s signal goes to the dialer only with cancelDial', async () => {
  const seen: Array<AbortSignal | undefined> = []
  const p = parts(async (_peer, signal) => { seen.push(signal); return false })
  const ac = new AbortController()
  ac.abort(new Error('request deadline'))
  await awaitDirect(p, peer, 5_000, ac.signal)
  await awaitDirect(p, peer, 5_000, ac.signal, false)
  assert.deepEqual(seen, [ac.signal, undefined], 'one try each: the signal had already aborted')
})
