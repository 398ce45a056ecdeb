/**
 * The bytes of one stored `BlockRecord` in the LevelDB store (lib0 encoding, as the other codecs):
 *
 *   record := varUint(1) • varUint(height) • varUint(epoch) • varUint(holder) • varUint8Array(block)
 *             • varUint(n) • varUint8Array(commit)^n • varUint8Array(head)
 *
 * The store keeps exactly what core/ledger hands it; reading checks the framing only (a record
 * whose block or certificate was tampered with still decodes, so `ledger verify` can name it).
 * Garbage (a damaged disk) is a typed `RecordDecodeError`, never a crash or a huge allocation:
 * every length is bounded by the bytes that are actually left.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { LedgerStoreError } from '../../core/ledger/store-rules.ts'
import type { BlockRecord } from '../../core/ledger/types.ts'

const VERSION = 1
/** More COMMITs than this in one certificate is not a record we wrote (the cap on replicas is far lower). */
const MAX_COMMITS = 4096

export class RecordDecodeError extends LedgerStoreError {
  static override name = 'RecordDecodeError'
  override name = 'RecordDecodeError'
}

export function encodeRecord (r: BlockRecord): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, VERSION)
  encoding.writeVarUint(e, r.height)
  encoding.writeVarUint(e, r.epoch)
  encoding.writeVarUint(e, r.holder)
  encoding.writeVarUint8Array(e, r.block)
  encoding.writeVarUint(e, r.certificate.length)
  for (const c of r.certificate) encoding.writeVarUint8Array(e, c)
  encoding.writeVarUint8Array(e, r.head)
  return encoding.toUint8Array(e)
}

function uint (d: decoding.Decoder, what: string): number {
  if (!decoding.hasContent(d)) throw new RecordDecodeError(`record ends before its ${what}`)
  const v = decoding.readVarUint(d)
  if (!Number.isSafeInteger(v)) throw new RecordDecodeError(`${what} is out of range`)
  return v
}

function bytes (d: decoding.Decoder, what: string): Uint8Array {
  const len = uint(d, `${what} length`)
  if (len > d.arr.length - d.pos) throw new RecordDecodeError(`${what} claims ${len} bytes, ${d.arr.length - d.pos} left`)
  return decoding.readUint8Array(d, len).slice()
}

export function decodeRecord (data: Uint8Array): BlockRecord {
  try {
    const d = decoding.createDecoder(data)
    const version = uint(d, 'version')
    if (version !== VERSION) throw new RecordDecodeError(`unknown record version ${version}`)
    const height = uint(d, 'height')
    const epoch = uint(d, 'epoch')
    const holder = uint(d, 'holder')
    const block = bytes(d, 'block')
    const n = uint(d, 'certificate size')
    if (n > MAX_COMMITS) throw new RecordDecodeError(`certificate of ${n} commits`)
    const certificate: Uint8Array[] = []
    for (let i = 0; i < n; i++) certificate.push(bytes(d, `commit ${i}`))
    const head = bytes(d, 'head')
    if (head.length !== 32) throw new RecordDecodeError(`head is ${head.length} bytes, not 32`)
    if (decoding.hasContent(d)) throw new RecordDecodeError(`${d.arr.length - d.pos} trailing bytes`)
    return { height, epoch, holder, block, certificate, head }
  } catch (err) {
    if (err instanceof RecordDecodeError) throw err
    // lib0 throws plain Errors on truncated varints
    throw new RecordDecodeError(`unreadable record: ${(err as Error).message}`)
  }
}
