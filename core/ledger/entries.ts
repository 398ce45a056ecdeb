/**
 * The built-in entry bodies (the `data` of an entry of each kind) and their codecs:
 *
 *   join     := bytes32(signPublic) • bytes32(vrfPublic) • sig(64) • vrfProof(80)
 *               (proof of possession: the signature (signSecret) and the VRF proof (vrfSecret) over
 *                "novacron/ledger/join/v1" • utf8(author peer id))
 *   leave    := (empty)
 *   remove   := varString(peerId) • varString(reason)
 *   evidence := varUint(epoch) • varUint8Array(first) • varUint8Array(second)
 *               (two engine messages signed by one replica of that epoch for one slot/view/phase)
 *   config   := utf8(JSON { "key": string, "value": any })
 *   note     := utf8(JSON), ≤ 4 KiB
 *
 * Readers throw `LedgerDecodeError` only.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { LedgerDecodeError } from './errors.ts'
import { bytesEqual, MAX_ID_CHARS } from './codec.ts'
import { decodeExact } from '../codec/decode-exact.ts'

export interface JoinBody { signPublic: Uint8Array, vrfPublic: Uint8Array, sig: Uint8Array, proof: Uint8Array }
export interface RemoveBody { peerId: string, reason: string }
export interface EvidenceBody { epoch: number, first: Uint8Array, second: Uint8Array }
export interface ConfigBody { key: string, value: unknown }

export const MAX_NOTE_BYTES = 4096
export const JOIN_BYTES = 32 + 32 + 64 + 80

function fail (what: string): never { throw new LedgerDecodeError(`malformed entry: ${what}`) }

const ENTRY_ERRORS = { own: LedgerDecodeError, make: (detail: string) => new LedgerDecodeError(`malformed entry: ${detail}`) }
const run = <T>(bytes: Uint8Array, what: string, read: (d: decoding.Decoder) => T): T => decodeExact(bytes, what, read, ENTRY_ERRORS)

/** The message a joining peer signs and proves over. */
export function joinMessage (peerId: string): Uint8Array {
  return new TextEncoder().encode(`novacron/ledger/join/v1${peerId}`)
}

export function writeJoin (b: JoinBody): Uint8Array {
  if (b.signPublic.length !== 32 || b.vrfPublic.length !== 32 || b.sig.length !== 64 || b.proof.length !== 80) throw new RangeError('join body field of the wrong size')
  const out = new Uint8Array(JOIN_BYTES)
  out.set(b.signPublic, 0); out.set(b.vrfPublic, 32); out.set(b.sig, 64); out.set(b.proof, 128)
  return out
}

export function readJoin (bytes: Uint8Array): JoinBody {
  if (bytes.length !== JOIN_BYTES) fail(`join body must be ${JOIN_BYTES} bytes`)
  return { signPublic: bytes.slice(0, 32), vrfPublic: bytes.slice(32, 64), sig: bytes.slice(64, 128), proof: bytes.slice(128, 208) }
}

export function writeRemove (b: RemoveBody): Uint8Array {
  return encoding.encode(e => { encoding.writeVarString(e, b.peerId); encoding.writeVarString(e, b.reason) })
}

export function readRemove (bytes: Uint8Array): RemoveBody {
  const b = run(bytes, 'remove', d => {
    if (decoding.peekVarUint(d) > MAX_ID_CHARS * 4) fail('peer id too long')
    const peerId = decoding.readVarString(d)
    if (decoding.peekVarUint(d) > 1024) fail('reason too long')
    return { peerId, reason: decoding.readVarString(d) }
  })
  if (!bytesEqual(bytes, writeRemove(b))) fail('remove is not canonically encoded')
  return b
}

export function writeEvidence (b: EvidenceBody): Uint8Array {
  return encoding.encode(e => { encoding.writeVarUint(e, b.epoch); encoding.writeVarUint8Array(e, b.first); encoding.writeVarUint8Array(e, b.second) })
}

export function readEvidence (bytes: Uint8Array): EvidenceBody {
  const b = run(bytes, 'evidence', d => {
    const epoch = decoding.readVarUint(d)
    if (!Number.isSafeInteger(epoch) || epoch > 0xffffffff) fail('epoch out of range')
    const part = (): Uint8Array => {
      if (decoding.peekVarUint(d) > 8192) fail('evidence message too long')
      return decoding.readVarUint8Array(d)
    }
    return { epoch, first: part(), second: part() }
  })
  if (!bytesEqual(bytes, writeEvidence(b))) fail('evidence is not canonically encoded')
  return b
}

export function writeJson (value: unknown): Uint8Array { return new TextEncoder().encode(JSON.stringify(value)) }

export function readJson (bytes: Uint8Array, max: number): unknown {
  if (bytes.length > max) fail(`JSON body longer than ${max} bytes`)
  let text: string
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes) } catch { return fail('JSON body is not UTF-8') }
  try { return JSON.parse(text) as unknown } catch { return fail('JSON body does not parse') }
}

export function writeConfig (b: ConfigBody): Uint8Array { return writeJson({ key: b.key, value: b.value }) }

export function readConfig (bytes: Uint8Array): ConfigBody {
  const v = readJson(bytes, 1024)
  if (v == null || typeof v !== 'object' || Array.isArray(v)) fail('config body must be an object')
  const o = v as Record<string, unknown>
  if (typeof o.key !== 'string' || !('value' in o) || Object.keys(o).length !== 2) fail('config body must be { key, value }')
  return { key: o.key, value: o.value }
}
