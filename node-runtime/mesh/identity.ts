/**
 * A Node peer's identity on disk: `<data-dir>/peer-key.pb`, the libp2p private key in its
 * protobuf encoding (`privateKeyToProtobuf`), created on first use with mode 0600. Keeping it
 * makes a restarted peer come back with the same peer id (and so the same bootstrap multiaddr).
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'

export const KEY_FILE = 'peer-key.pb'

export class IdentityFileError extends Error {
  static override name = 'IdentityFileError'
  override name = 'IdentityFileError'
}

/** Loads the key from `dataDir`, or creates and stores a fresh Ed25519 key there. */
export async function loadOrCreateIdentity (dataDir: string): Promise<PrivateKey> {
  const file = join(dataDir, KEY_FILE)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new IdentityFileError(`cannot read ${file}: ${(err as Error).message}`)
  }
  if (bytes != null) {
    try {
      return privateKeyFromProtobuf(bytes)
    } catch (err) {
      throw new IdentityFileError(`${file} is not a libp2p private key (${(err as Error).message}); move it away to create a new identity`)
    }
  }
  const key = await generateKeyPair('Ed25519')
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  // write-then-rename so a crash never leaves a half-written key behind
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600 })
  await rename(tmp, file)
  return key
}
