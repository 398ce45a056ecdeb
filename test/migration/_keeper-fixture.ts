/**
 * A keeping peer's migration service for unit tests (chunk-index, checkpoint-cap): it takes no
 * checkpoints of its own, its request handler is captured and called as `HOLDER` would call it,
 * and what keeping never uses (outgoing requests, submitting entries) throws if reached.
 */
import type { JobsState } from '../../core/jobs/state.ts'
import { decodeResponse, encodeRequest, type MigrationRequest } from '../../core/migration/protocol-codec.ts'
import { createMigrationService } from '../../core/migration/service.ts'
import type { MigrationComponents, MigrationInit } from '../../core/migration/service-types.ts'

export const HOLDER = '12D3KooWHolderHolderHolderHolderHolderHolderHolder1'
export const KEEPER = '12D3KooWKeeperKeeperKeeperKeeperKeeperKeeperKeeper1'

export type KeeperParts = Pick<MigrationComponents, 'fetchBlob' | 'putBlob'> & Partial<MigrationComponents>

export function keeperService (state: JobsState, parts: KeeperParts, init: MigrationInit = {}): { svc: ReturnType<typeof createMigrationService>, call: (m: MigrationRequest) => Promise<ReturnType<typeof decodeResponse>> } {
  let h: ((req: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array>) | undefined
  const unused = async (): Promise<never> => { throw new Error('not used by this test') }
  const svc = createMigrationService({
    self: KEEPER,
    handle: async (_p, handler) => { h = handler },
    unhandle: async () => {},
    request: unused,
    jobs: { state, submit: unused },
    worker: () => ({ adopt: () => false, capacity: 1, active: [] }),
    instrument: async bytes => ({ bytes, globals: [], originalBytes: bytes.length }),
    peers: () => [],
    ...parts
  }, { checkpointTasks: false, orphanGraceMs: 0, ...init })
  const call = async (m: MigrationRequest): Promise<ReturnType<typeof decodeResponse>> => {
    if (h == null) throw new Error('not started')
    return decodeResponse(await h(encodeRequest(m), { peerId: HOLDER }))
  }
  return { svc, call }
}
