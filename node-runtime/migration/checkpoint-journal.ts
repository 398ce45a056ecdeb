/**
 * The Node peer's checkpoint journal (core/migration/service.ts `CheckpointJournal`): the ids of
 * the checkpoint blobs this peer stored, kept or fetched, in one small file of the data dir
 * (`<data-dir>/migration/checkpoints`, one id a line), rewritten whole through a temporary file
 * and a rename on each change (a checkpoint every 30 s per task: a few lines, rarely written). A
 * restarted peer reads it to drop the checkpoint blobs its ledger never recorded. Lines that are
 * not blob ids (a torn or edited file) are ignored.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { CheckpointJournal } from '../../core/migration/service.ts'

const ID_RE = /^[0-9a-f]{64}$/

export class FileCheckpointJournal implements CheckpointJournal {
  private readonly ids = new Set<string>()

  constructor (readonly file: string) {
    mkdirSync(dirname(file), { recursive: true })
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    for (const line of text.split('\n')) if (ID_RE.test(line)) this.ids.add(line)
  }

  list (): string[] { return [...this.ids] }

  add (id: string): void {
    if (!ID_RE.test(id) || this.ids.has(id)) return
    this.ids.add(id)
    this.write()
  }

  remove (id: string): void {
    if (this.ids.delete(id)) this.write()
  }

  private write (): void {
    const tmp = `${this.file}.tmp`
    writeFileSync(tmp, [...this.ids].map(id => `${id}\n`).join(''))
    renameSync(tmp, this.file)
  }
}
