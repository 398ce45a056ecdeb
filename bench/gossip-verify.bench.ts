/**
 * `npm run bench -- gossip-verify`: what gossipsub's per-message validation costs (StrictSign:
 * the author's key rebuilt from `from`, the Ed25519 check), with @libp2p/crypto's own Node path
 * (the key imported from a JWK at every check) against the cached check the peer commands install
 * (core/net/libp2p-ed25519.ts: each key imported once), side by side in one process.
 *
 * It runs gossipsub's own `validateToRawMessage` (the function its receive path calls, reached by
 * file since the package does not export it) over `--messages` (default 1,024) signed messages of
 * 400 bytes from 16 authors, alternating the arms (ABBA, `--rounds` default 8 per arm), and reports
 * the median µs per message of each arm and their ratio; beside them the floor (node:crypto's check
 * with a key already imported) and the JWK import alone. Every message must validate in each arm.
 *
 * Options: --messages=1024, --rounds=8, --out=gossip-verify.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import os from 'node:os'
import { generateKeyPairFromSeed, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { PublishConfigType } from '@libp2p/gossipsub/types'
import { buildRawMessage, SignPrefix, validateToRawMessage } from '../node_modules/@libp2p/gossipsub/dist/src/utils/buildRawMessage.js'
import { RPC } from '../node_modules/@libp2p/gossipsub/dist/src/message/rpc.js'
import { installEd25519Check, uninstallEd25519Check } from '../core/net/libp2p-ed25519.ts'
import { cachedEd25519Check } from '../node-runtime/mesh/libp2p-ed25519.ts'
import { seededBytes } from '../test/_support/seeded-bytes.ts'
import { median, writeResult } from './_results.ts'

const arg = (name: string): string | undefined => process.argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1]
const MESSAGES = Number(arg('messages') ?? 1024)
const ROUNDS = Number(arg('rounds') ?? 8)
const OUT = arg('out') ?? 'gossip-verify'
const AUTHORS = 16

const keys = await Promise.all(Array.from({ length: AUTHORS }, async (_, i) => await generateKeyPairFromSeed('Ed25519', seededBytes(32, 500 + i))))
const raws: RPC.Message[] = []
for (let i = 0; i < MESSAGES; i++) {
  const key = keys[i % AUTHORS]
  const config = { type: PublishConfigType.Signing, author: peerIdFromPrivateKey(key), key: publicKeyToProtobuf(key.publicKey), privateKey: key } as const
  const data = seededBytes(400, 9000 + i)
  const { raw } = await buildRawMessage(config, '/novacron/topology/1.0.0', data, data)
  // as received: decoded from the bytes on the wire
  raws.push(RPC.Message.decode(RPC.Message.encode(raw)))
}

/** µs per message to validate every message once, asserting each is valid. */
async function validateAll (): Promise<number> {
  const t0 = performance.now()
  for (const m of raws) {
    const r = await validateToRawMessage('StrictSign', m)
    if (!r.valid) throw new Error(`message refused: ${r.error}`)
  }
  return (performance.now() - t0) * 1000 / raws.length
}

const cached = cachedEd25519Check()
const arms = { stock: [] as number[], cached: [] as number[] }
const load0 = os.loadavg()[0]
uninstallEd25519Check()
await validateAll() // warm-up, not counted
for (let r = 0; r < ROUNDS; r++) {
  for (const arm of (r % 2 === 0 ? ['stock', 'cached'] : ['cached', 'stock']) as Array<keyof typeof arms>) {
    if (arm === 'cached') installEd25519Check(cached.check); else uninstallEd25519Check()
    arms[arm].push(await validateAll())
  }
}
uninstallEd25519Check()

// beside them: the check alone with the key already imported, and the JWK import alone
const signed = raws.map((m, i) => ({
  data: Uint8Array.from([...SignPrefix, ...RPC.Message.encode({ ...m, signature: undefined, key: undefined })]),
  sig: m.signature as Uint8Array,
  key: keys[i % AUTHORS].publicKey.raw
}))
const objects = new Map<Uint8Array, KeyObject>()
const jwk = (raw: Uint8Array): KeyObject => createPublicKey({ format: 'jwk', key: { crv: 'Ed25519', kty: 'OKP', x: Buffer.from(raw).toString('base64url') } })
const floor: number[] = []
const imports: number[] = []
for (let r = 0; r < ROUNDS; r++) {
  let t0 = performance.now()
  for (const s of signed) {
    let o = objects.get(s.key)
    if (o == null) objects.set(s.key, o = jwk(s.key))
    if (!verify(null, s.data, o, s.sig)) throw new Error('floor: a signature did not verify')
  }
  floor.push((performance.now() - t0) * 1000 / signed.length)
  t0 = performance.now()
  for (const s of signed) jwk(s.key)
  imports.push((performance.now() - t0) * 1000 / signed.length)
}

const round1 = (x: number): number => +x.toFixed(1)
const result = {
  messages: MESSAGES,
  authors: AUTHORS,
  rounds: ROUNDS,
  usPerMessage: {
    stock: round1(median(arms.stock)),
    cached: round1(median(arms.cached)),
    checkAloneKeyImported: round1(median(floor)),
    jwkImportAlone: round1(median(imports))
  },
  cachedOverStock: +(median(arms.cached) / median(arms.stock)).toFixed(3),
  runs: { stock: arms.stock.map(round1), cached: arms.cached.map(round1) },
  keysImportedByCachedArm: cached.imports,
  loadavg: [round1(load0), round1(os.loadavg()[0])]
}
console.log(JSON.stringify(result, null, 2))
console.log(`wrote ${writeResult(OUT, result)}`)
