/**
 * How the migration service sends one request of `/novacron/migration/1.6.0`: over a direct link.
 * A peer reached only through the relay (a tab that just joined, before the mesh dialled it)
 * refuses migration requests on that limited link, and the relay's data and time limits could not
 * carry a snapshot anyway. A request refused so — at once, the stream never opens, nothing was
 * sent — is sent again after dialling a direct link, trying for `DIRECT_WAIT_MS` (the tab's WebRTC
 * addresses may not be known yet); a link that is still only relayed then gives `NoDirectLinkError`.
 */
import { NoDirectLinkError } from './errors.ts'
import { MIGRATION_PROTOCOL } from './protocol-codec.ts'
import type { MigrationComponents } from './service-types.ts'

/** a `final` carries the snapshot's stdout and stderr (each up to the task's output cap) and the recipe */
export const MAX_FRAME = 48 * 1024 * 1024
/** how long a request refused on a relayed link keeps trying for a direct one */
export const DIRECT_WAIT_MS = 20_000

export type MigrationRequester = (peer: string, payload: Uint8Array, opts: { timeoutMs: number, maxFrameSize?: number }) => Promise<Uint8Array>

export function directRequester (c: Pick<MigrationComponents, 'request'>): MigrationRequester {
  const limited = (err: unknown): boolean => err instanceof Error && err.name === 'LimitedConnectionError'
  return async (peer, payload, opts) => {
    try {
      return await c.request(peer, MIGRATION_PROTOCOL, payload, opts)
    } catch (err) {
      if (!limited(err)) throw err
    }
    try {
      return await c.request(peer, MIGRATION_PROTOCOL, payload, { ...opts, direct: true, directWaitMs: DIRECT_WAIT_MS })
    } catch (err) {
      if (limited(err)) throw new NoDirectLinkError(`no direct link to ${peer} opened within ${DIRECT_WAIT_MS} ms (only the relay links us, and it carries no migration): ${(err as Error).message}`)
      throw err
    }
  }
}
