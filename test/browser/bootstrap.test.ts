/** Validation of `/bootstrap.json` (app/bootstrap.ts): good answers parse, every bad one is a typed error. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fetchBootstrap, parseBootstrap } from '../../app/bootstrap.ts'

const ID = '12D3KooWMc8dvqVKv6a6Do2YkX8vVnFXhU8zurcvApxxBCnetx5y'
const ADDR = `/ip4/127.0.0.1/tcp/4001/ws/p2p/${ID}`

test('a good answer parses', () => {
  const info = parseBootstrap({ peerId: ID, multiaddrs: [ADDR] })
  assert.equal(info.peerId, ID)
  assert.equal(info.multiaddrs[0].toString(), ADDR)
})

test('each bad answer is a BootstrapFormatError', () => {
  const bad: unknown[] = [
    null, 42, 'x', {}, { peerId: 5, multiaddrs: [ADDR] }, { peerId: 'nope', multiaddrs: [ADDR] },
    { peerId: ID }, { peerId: ID, multiaddrs: [] }, { peerId: ID, multiaddrs: [7] },
    { peerId: ID, multiaddrs: ['/not/a/multiaddr'] }, { peerId: ID, multiaddrs: ['/ip4/127.0.0.1/tcp/1/ws'] }
  ]
  for (const body of bad) {
    assert.throws(() => parseBootstrap(body), { name: 'BootstrapFormatError' }, JSON.stringify(body))
  }
})

test('fetch failures and non-JSON answers are typed', async () => {
  const refuse = (async () => { throw new TypeError('connection refused') }) as unknown as typeof fetch
  await assert.rejects(fetchBootstrap('http://127.0.0.1:1/', refuse), { name: 'BootstrapFetchError' })
  const status = (async () => new Response('no', { status: 503 })) as unknown as typeof fetch
  await assert.rejects(fetchBootstrap('http://127.0.0.1:1/', status), { name: 'BootstrapFetchError' })
  const html = (async () => new Response('<html>')) as unknown as typeof fetch
  await assert.rejects(fetchBootstrap('http://127.0.0.1:1/', html), { name: 'BootstrapFormatError' })
  const ok = (async (url: URL) => {
    assert.equal(url.href, 'http://127.0.0.1:1/bootstrap.json')
    return Response.json({ peerId: ID, multiaddrs: [ADDR] })
  }) as unknown as typeof fetch
  assert.equal((await fetchBootstrap('http://127.0.0.1:1/app/index.html', ok)).peerId, ID)
})
