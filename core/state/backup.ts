/**
 * Encrypted, compressed backups of the memory store.
 *
 * File grammar (all integers unsigned bytes):
 *   backup := 'NCMB' • u8(version=1) • u8(compression) • u8(log2 N) • u8(r) • u8(p) • bytes16(salt)
 *             • bytes12(iv) • bytes16(check) • ciphertext
 * The key material is scrypt(passphrase, salt, N, r, p, 64 bytes): the first 32 bytes are the AES-GCM
 * key, SHA-256 of the last 32 gives `check`. The check lets restore tell a wrong passphrase
 * (`WrongPassphraseError`) from a damaged file (`CorruptBackupError`: bad header, or the GCM tag
 * fails, which covers any flipped bit because the header is the GCM additional data). The
 * plaintext is JSON `{ version: 1, entries: MemoryEntry[] }`, LZ4-framed when `compression` is 1.
 * Restore decodes and checks every entry before it writes anything: a failure changes nothing.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { BackupError, CorruptBackupError, WrongPassphraseError } from './errors.ts'
import { checkKey, checkNamespace, checkValue, readEntry, entryKey, type MemoryEntry, type MemoryStore } from './memory.ts'

const MAGIC = [0x4e, 0x43, 0x4d, 0x42] // 'NCMB'
const VERSION = 1
const HEADER = 4 + 1 + 1 + 3 + 16 + 12 + 16
export const COMPRESSION_NONE = 0
export const COMPRESSION_LZ4 = 1

export interface Compression {
  compress: (data: Uint8Array) => Uint8Array
  decompress: (frame: Uint8Array, opts: { maxOutputSize: number }) => Uint8Array
}

export interface BackupOptions {
  /** LZ4 frame codec (core-wasm); stored uncompressed when absent. */
  compression?: Compression
  /** scrypt cost as log2 N. @default 15 */
  logN?: number
  /** @default crypto.getRandomValues */
  random?: (n: number) => Uint8Array
}

const MAX_PLAIN = 256 * 1024 * 1024

async function deriveKeys (passphrase: string, salt: Uint8Array, logN: number, r: number, p: number): Promise<{ key: CryptoKey, check: Uint8Array }> {
  const material = await scryptAsync(new TextEncoder().encode(passphrase), salt, { N: 2 ** logN, r, p, dkLen: 64, maxmem: 2 ** 31 })
  const key = await globalThis.crypto.subtle.importKey('raw', material.slice(0, 32), 'AES-GCM', false, ['encrypt', 'decrypt'])
  const check = sha256(material.slice(32)).slice(0, 16)
  return { key, check }
}

export async function createBackup (store: MemoryStore, passphrase: string, opts: BackupOptions = {}): Promise<Uint8Array> {
  if (passphrase.length === 0) throw new BackupError('the passphrase must not be empty')
  const random = opts.random ?? ((n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n)))
  const logN = opts.logN ?? 15
  const plain = new TextEncoder().encode(JSON.stringify({ version: 1, entries: store.list() }))
  const body = opts.compression != null ? opts.compression.compress(plain) : plain
  const salt = random(16)
  const iv = random(12)
  const { key, check } = await deriveKeys(passphrase, salt, logN, 8, 1)
  const header = new Uint8Array(HEADER)
  header.set(MAGIC, 0)
  header.set([VERSION, opts.compression != null ? COMPRESSION_LZ4 : COMPRESSION_NONE, logN, 8, 1], 4)
  header.set(salt, 9)
  header.set(iv, 25)
  header.set(check, 37)
  const cipher = new Uint8Array(await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(iv), additionalData: header }, key, new Uint8Array(body)))
  const out = new Uint8Array(HEADER + cipher.length)
  out.set(header)
  out.set(cipher, HEADER)
  return out
}

/** Decrypts and checks a backup; returns its entries without touching any store. */
export async function openBackup (file: Uint8Array, passphrase: string, opts: BackupOptions = {}): Promise<MemoryEntry[]> {
  if (file.length < HEADER + 16 || MAGIC.some((b, i) => file[i] !== b)) throw new CorruptBackupError('not a NovaCron memory backup (bad magic or too short)')
  const [version, compression, logN, r, p] = file.subarray(4, 9)
  if (version !== VERSION) throw new CorruptBackupError(`unsupported backup version ${version}`)
  if (compression > COMPRESSION_LZ4) throw new CorruptBackupError(`unknown compression ${compression}`)
  // Bounds keep a forged header from making us spend minutes or gigabytes in scrypt.
  if (logN < 10 || logN > 20 || r < 1 || r > 16 || p < 1 || p > 4) throw new CorruptBackupError('scrypt parameters out of range')
  const header = file.slice(0, HEADER)
  const { key, check } = await deriveKeys(passphrase, file.slice(9, 25), logN, r, p)
  if (!check.every((b, i) => b === file[37 + i])) throw new WrongPassphraseError('wrong passphrase for this backup')
  let body: Uint8Array
  try {
    body = new Uint8Array(await globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv: file.slice(25, 37), additionalData: header }, key, file.slice(HEADER)))
  } catch {
    throw new CorruptBackupError('backup is damaged (authentication failed)')
  }
  let plain = body
  if (compression === COMPRESSION_LZ4) {
    if (opts.compression == null) throw new BackupError('backup is LZ4-compressed but no decompressor was given')
    try { plain = opts.compression.decompress(body, { maxOutputSize: MAX_PLAIN }) } catch (err) {
      throw new CorruptBackupError(`backup does not decompress: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  let doc: unknown
  try { doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain)) } catch {
    throw new CorruptBackupError('backup content is not JSON')
  }
  const entries = (doc as { entries?: unknown } | null)?.entries
  if (!Array.isArray(entries)) throw new CorruptBackupError('backup has no entry list')
  return entries.map((raw, i) => {
    const ns = (raw as { namespace?: unknown } | null)?.namespace
    const k = (raw as { key?: unknown } | null)?.key
    let e: MemoryEntry | null = null
    try { e = readEntry(entryKey(checkNamespace(ns), checkKey(k)), raw) } catch { e = null }
    if (e == null) throw new CorruptBackupError(`backup entry ${i} does not match the schema`)
    checkValue(e.value)
    return e
  })
}

/** Restores a backup into `store` (merging; `replace` clears the store first). All or nothing. */
export async function restoreBackup (store: MemoryStore, file: Uint8Array, passphrase: string, opts: BackupOptions & { replace?: boolean } = {}): Promise<number> {
  const entries = await openBackup(file, passphrase, opts)
  store.putAll(entries, { replace: opts.replace })
  return entries.length
}
