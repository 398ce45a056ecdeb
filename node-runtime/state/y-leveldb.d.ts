// y-leveldb ships types at dist/src but its `exports` map gives none for `import`; the part used here.
declare module 'y-leveldb' {
  import type * as Y from 'yjs'
  export class LeveldbPersistence {
    constructor (location: string, opts?: { Level?: unknown, levelOptions?: object })
    getYDoc (docName: string): Promise<Y.Doc>
    storeUpdate (docName: string, update: Uint8Array): Promise<number>
    flushDocument (docName: string): Promise<void>
    destroy (): Promise<void>
  }
}
