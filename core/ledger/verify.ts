/**
 * Verification of committed blocks, never trusting whoever sent or stored them: a record checks
 * against the chain state before it (the epoch active at its height): block decodes and names that
 * epoch, the certificate is q COMMITs addressed to the holder for this slot and SHA-256(block)
 * (`checkCertificate` of the consensus), every microblock is signed by its author (async, native
 * Ed25519 in Node), and the head hash follows. `verifyChain` replays a whole store from genesis.
 */
import { readMessage, MSG_COMMIT, type Vote } from '../consensus/codec.ts'
import type { ConsensusCrypto } from '../consensus/crypto.ts'
import type { QuorumMath } from '../consensus/quorum.ts'
import { checkCertificate } from '../consensus/validate.ts'
import { bytesToHex } from '@noble/hashes/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Chain, nextHead, type ApplyResult, type KindValidator } from './chain.ts'
import { bytesEqual, readBlock, type Block } from './codec.ts'
import { validationContext } from './epochs.ts'
import { LedgerVerifyError } from './errors.ts'
import { checkGenesis, verifyMicroblock } from './keys.ts'
import type { BlockRecord, LedgerStore } from './types.ts'

/**
 * Why `record` cannot follow `chain`, or the decoded block when it can. `verified` is a set of
 * microblock byte hashes (hex) already verified (a cache; optional).
 */
export async function checkRecord (chain: Chain, record: BlockRecord, crypto: ConsensusCrypto, verified?: { has: (key: string) => boolean, add: (key: string) => unknown }): Promise<Block | string> {
  if (record.height !== chain.height + 1) return `height ${record.height} does not follow ${chain.height}`
  const e = chain.current
  if (record.epoch !== e.epoch) return `epoch ${record.epoch}, expected ${e.epoch}`
  let block: Block
  try { block = readBlock(record.block) } catch (err) { return `block does not decode (${err instanceof Error ? err.message : String(err)})` }
  if (block.epoch !== record.epoch) return 'block names another epoch'
  if (record.holder >= e.n) return 'holder is not a replica of the epoch'
  let votes: Vote[]
  try {
    votes = record.certificate.map(b => readMessage(b) as Vote)
  } catch { return 'certificate does not decode' }
  if (votes.some(v => v.type !== MSG_COMMIT)) return 'certificate holds a message that is not a COMMIT'
  const h = checkCertificate(validationContext(e, crypto), votes, MSG_COMMIT, record.holder)
  if (typeof h === 'string') return `certificate does not check (${h})`
  if (h.slot !== record.height) return 'certificate is for another slot'
  if (!bytesEqual(h.digest, sha256(record.block))) return 'certificate is for another block'
  if (!bytesEqual(record.head, nextHead(chain.head, record.height, record.block))) return 'head hash does not follow'
  for (const mb of block.microblocks) {
    const key = bytesToHex(sha256(mb.bytes))
    if (verified?.has(key) === true) continue
    if (!await verifyMicroblock(mb)) return `microblock of ${mb.author} seq ${mb.seq} has a bad signature`
    verified?.add(key)
  }
  return block
}

export interface VerifyOptions {
  genesisPeerId: string
  math: QuorumMath
  crypto: ConsensusCrypto
  kinds?: ReadonlyMap<string, KindValidator>
  /** Called with each record once it is verified and applied (a starting peer re-announces its stored log). */
  onApplied?: (record: BlockRecord, result: ApplyResult) => void
}

/** Replays `store` from genesis, verifying every record; throws `LedgerVerifyError` naming the height. */
export async function verifyChain (store: LedgerStore, opts: VerifyOptions): Promise<{ height: number, head: string, blocks: number, chain: Chain }> {
  const g = await store.getGenesis()
  if (g == null) throw new LedgerVerifyError(-1, 'no genesis')
  const genesis = await checkGenesis(g, opts.genesisPeerId)
  if (genesis == null) throw new LedgerVerifyError(-1, `genesis is not signed by ${opts.genesisPeerId}`)
  const chain = new Chain(genesis, opts.math, opts.crypto, opts.kinds)
  let blocks = 0
  const first = await firstHeight(store)
  if (first != null && first !== 0) throw new LedgerVerifyError(first, 'the store does not start at height 0')
  for await (const r of store.iterate(0)) {
    const b = await checkRecord(chain, r, opts.crypto)
    if (typeof b === 'string') throw new LedgerVerifyError(r.height, b)
    const applied = chain.apply(r.height, b, r.block)
    opts.onApplied?.(r, applied)
    blocks++
  }
  return { height: chain.height, head: bytesToHex(chain.head), blocks, chain }
}

async function firstHeight (store: LedgerStore): Promise<number | undefined> {
  for await (const r of store.iterate(0)) return r.height
  return undefined
}
