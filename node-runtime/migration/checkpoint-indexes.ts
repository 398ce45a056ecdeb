/**
 * The Node peer's chunk indexes of the checkpoints it holds (core/migration/service.ts
 * `CheckpointIndexStore`), one file per checkpoint blob under `<data-dir>/migration/chunk-index/`,
 * named by the blob's id, holding the encoded index (core/migration/chunk-index.ts: 40 bytes per
 * 8 KiB of the task's memory). Written through a temporary file and a rename, so a crash leaves no
 * half-written index under its real name; leftovers are removed at open. What is read back is
 * checked by its reader (the codec's checksum and the blob id inside), never trusted as is.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CheckpointIndexStore } from '../../core/migration/service.ts'

const ID_RE = /^[0-9a-f]{64}$/

export class FileCheckpointIndexes implements CheckpointIndexStore {
  constructor (readonly dir: string) {
    mkdirSync(dir, { recursive: true })
    for (const name of readdirSync(dir)) if (!ID_RE.test(name)) rmSync(join(dir, name), { force: true, recursive: true }) // a crash's temporary file
  }

  list (): string[] { return readdirSync(this.dir).filter(name => ID_RE.test(name)) }

  read (id: string): Uint8Array | undefined {
    if (!ID_RE.test(id)) return undefined
    try {
      return new Uint8Array(readFileSync(join(this.dir, id)))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  write (id: string, bytes: Uint8Array): void {
    if (!ID_RE.test(id)) throw new TypeError(`not a blob id: ${id}`)
    const tmp = join(this.dir, `${id}.tmp`)
    writeFileSync(tmp, bytes)
    renameSync(tmp, join(this.dir, id))
  }

  remove (id: string): void {
    if (ID_RE.test(id)) rmSync(join(this.dir, id), { force: true })
  }
}
