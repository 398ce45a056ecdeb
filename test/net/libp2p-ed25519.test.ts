/**
 * libp2p's Ed25519 checks with each key imported once (core/net/libp2p-ed25519.ts,
 * node-runtime/mesh/libp2p-ed25519.ts): the same verdicts as @libp2p/crypto's own path on valid,
 * altered and foreign signatures (Node's KeyObject cache and WebCrypto's CryptoKey cache), each key
 * imported once; and live, a mesh node's gossipsub with the cached check still rejects a message
 * whose signature was altered or made with another key, from a stock libp2p node.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import type { Ed25519PrivateKey, PrivateKey } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { createMeshNode, installEd25519Check, uninstallEd25519Check, type MeshNode } from '../../core/net/index.ts'
import { webCryptoEd25519 } from '../../core/consensus/webcrypto-ed25519.ts'
import { cachedEd25519Check, installNativeLibp2pEd25519 } from '../../node-runtime/mesh/libp2p-ed25519.ts'
import { createStockNode, type StockNode } from '../_support/stock-node.ts'
import { seededBytes } from '../_support/seeded-bytes.ts'
import { waitFor } from '../_support/wait.ts'
import { torsionSignature } from '../ledger/_torsion.ts'

const keyFromSeed = async (seed: number): Promise<Ed25519PrivateKey> => await generateKeyPairFromSeed('Ed25519', seededBytes(32, seed))

type Variant = 'valid' | 'altered signature' | 'altered data' | 'another key' | 'torsion R'
const VARIANTS: Variant[] = ['valid', 'altered signature', 'altered data', 'another key']

/**
 * 120 seeded cases over 6 keys, a quarter valid, the rest altered or signed by another key; and 4
 * signatures valid only under the cofactored equation (R with a small-order part), where
 * implementations may differ: the cached check must say what the library says.
 */
async function cases (): Promise<Array<{ key: Uint8Array, data: Uint8Array, sig: Uint8Array, variant: Variant }>> {
  const keys = await Promise.all([1, 2, 3, 4, 5, 6].map(keyFromSeed))
  const out = []
  for (let i = 0; i < 120; i++) {
    const key = keys[i % keys.length]
    const variant = VARIANTS[i % VARIANTS.length]
    const data = seededBytes(1 + (i * 37) % 300, 1000 + i)
    const signer = variant === 'another key' ? keys[(i + 1) % keys.length] : key
    const sig = Uint8Array.from(await signer.sign(data))
    if (variant === 'altered signature') sig[i % 64] ^= 1 << (i % 8)
    const sent = Uint8Array.from(data)
    if (variant === 'altered data') sent[i % sent.length] ^= 0x80
    out.push({ key: key.publicKey.raw, data: sent, sig, variant })
  }
  for (let i = 0; i < 4; i++) {
    const t = torsionSignature(seededBytes(32, 40 + i), seededBytes(50, 60 + i), 12_345n + BigInt(i))
    out.push({ key: t.publicKey, data: t.message, sig: t.sig, variant: 'torsion R' as const })
  }
  return out
}

const verdicts = async (list: Awaited<ReturnType<typeof cases>>): Promise<boolean[]> =>
  await Promise.all(list.map(async c => await publicKeyFromRaw(c.key).verify(c.data, c.sig)))

after(() => { uninstallEd25519Check() })

test('the cached checks give @libp2p/crypto\'s own verdict on valid, altered and foreign signatures', async () => {
  const list = await cases()
  uninstallEd25519Check()
  const stock = await verdicts(list)
  const plain = (v: boolean[]): boolean[] => v.filter((_, i) => list[i].variant !== 'torsion R')
  assert.deepEqual(plain(stock), plain(list.map(c => c.variant === 'valid')), 'the reference: only the untouched signatures are valid')

  const native = cachedEd25519Check()
  installEd25519Check(native.check)
  assert.deepEqual(await verdicts(list), stock, 'node:crypto with kept KeyObjects')
  assert.equal(native.checks, list.length)
  assert.equal(native.imports, 10, 'each of the 6 keys (and the 4 torsion cases\' keys) imported once')
  // a signature of the wrong length throws as @libp2p/crypto's Node path does (gossipsub counts it invalid)
  await assert.rejects(async () => { await publicKeyFromRaw(list[0].key).verify(list[0].data, list[0].sig.subarray(1)) }, { name: 'TypeError' })

  const web = await webCryptoEd25519()
  assert.ok(web != null, 'this Node has WebCrypto Ed25519')
  installEd25519Check(web)
  assert.deepEqual(await verdicts(list), stock, 'WebCrypto with kept CryptoKeys (a tab)')

  uninstallEd25519Check()
  assert.deepEqual(await verdicts(list), stock, 'the library\'s own verify is back')
  assert.equal(native.checks, list.length, 'no longer called once uninstalled')
})

test('the key cache is bounded: the least recently used key goes first', async () => {
  const c = cachedEd25519Check(2)
  const keys = await Promise.all([11, 12, 13].map(keyFromSeed))
  const data = Uint8Array.of(1, 2, 3)
  const sigs = await Promise.all(keys.map(async k => await k.sign(data)))
  const check = (i: number): boolean => c.check(keys[i].publicKey.raw, data, sigs[i]) as boolean
  assert.ok(check(0) && check(1) && check(0), 'keys 0, 1, then 0 again')
  assert.equal(c.imports, 2)
  assert.ok(check(2), 'a third key evicts key 1, the least recently used')
  assert.equal(c.held, 2)
  assert.ok(check(0))
  assert.equal(c.imports, 3, 'key 0 was still held')
  assert.ok(check(1))
  assert.equal(c.imports, 4, 'key 1 was imported again')
})

let boot: MeshNode | undefined
let attacker: StockNode | undefined
after(async () => {
  await attacker?.stop()
  await boot?.stop()
})

test('gossipsub with the cached check rejects a message whose signature was altered or made with another key', async () => {
  const checks = installNativeLibp2pEd25519()
  const TOPIC = '/novacron/test/signed-gossip'
  boot = await createMeshNode({ role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  const got: string[] = []
  // a check on the topic also scores its invalid deliveries (as the mesh's own topics)
  boot.subscribe(TOPIC, m => { got.push(new TextDecoder().decode(m.data)) }, { check: () => 'accept' })
  await boot.start()

  // the attacker signs its gossip honestly, with a bit flipped, or with another peer's key
  const own = await keyFromSeed(77)
  const other = await keyFromSeed(78)
  let mode: 'honest' | 'flip' | 'other' = 'honest'
  const PREFIX = new TextEncoder().encode('libp2p-pubsub:')
  const signer: PrivateKey = {
    type: 'Ed25519',
    raw: own.raw,
    publicKey: own.publicKey,
    equals: (k?: unknown) => own.equals(k),
    sign: async (m: Uint8Array | Uint8ArrayList) => {
      const bytes = m instanceof Uint8Array ? m : m.subarray()
      const gossip = PREFIX.every((b, i) => bytes[i] === b)
      if (!gossip || mode === 'honest') return await own.sign(bytes)
      if (mode === 'other') return await other.sign(bytes)
      const sig = Uint8Array.from(await own.sign(bytes))
      sig[7] ^= 0x10
      return sig
    }
  }
  attacker = await createStockNode({ privateKey: signer })
  await attacker.start()
  const a = attacker
  a.services.pubsub.subscribe(TOPIC)
  await a.dial(multiaddr(boot.getMultiaddrs()[0]))
  const b = boot
  await waitFor(() => b.subscribers(TOPIC).includes(a.peerId.toString()) && a.services.pubsub.getSubscribers(TOPIC).some(p => p.equals(b.peerId)), { message: 'subscriptions exchanged' })
  const send = async (text: string, how: typeof mode): Promise<void> => {
    mode = how
    try { await a.services.pubsub.publish(TOPIC, new TextEncoder().encode(text)) } finally { mode = 'honest' }
  }

  await send('honest 1', 'honest')
  await waitFor(() => got.includes('honest 1'), { message: () => `the honest message delivered (got ${JSON.stringify(got)})` })
  const before = checks.checks
  await send('altered', 'flip')
  await send('foreign', 'other')
  await send('honest 2', 'honest')
  const score = (): number => b.metrics.get('novacron_peer_score')?.snapshot().samples.find(s => s.labels.peer === a.peerId.toString())?.value ?? 0
  // both rejections lower the attacker's score (P4: −10 × count², the count decaying 10 % a second):
  // below −10 only with more than one invalid delivery counted
  await waitFor(() => got.includes('honest 2') && score() < -10, { message: () => `the second honest message delivered and both forgeries scored (got ${JSON.stringify(got)}, score ${score()})` })
  assert.deepEqual(got, ['honest 1', 'honest 2'], 'neither forgery reached the subscriber')
  assert.ok(checks.checks - before >= 3, `gossipsub's checks went through the cached check (${checks.checks - before})`)
})
