/**
 * In-process blob peers for unit tests of the blob service and its users: each peer's service
 * handler is called directly by the others' requests (no libp2p: the unit under test is the blob
 * layer, not the mesh; test/blobs/transfer.test.ts runs it over real connections).
 */
import { createBlobService, type BlobComponents, type BlobService, type BlobServiceInit, type BlobStore } from '../../core/blobs/index.ts'
import type { RequestHandler } from '../../core/net/index.ts'

export function blobNet (): { of: (peer: string, store: BlobStore, init?: BlobServiceInit) => BlobService } {
  const handlers = new Map<string, RequestHandler>()
  return {
    of (peer, store, init = {}) {
      const components: BlobComponents = {
        handle: async (_protocol, handler) => { handlers.set(peer, handler) },
        unhandle: async () => { handlers.delete(peer) },
        request: async (to, protocol, payload) => {
          const h = handlers.get(to)
          if (h == null) throw new Error(`no peer ${to}`)
          return await h(payload, { peerId: peer, protocol })
        }
      }
      return createBlobService(components, { ...init, store })
    }
  }
}
