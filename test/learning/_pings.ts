/**
 * A fake mesh for the ping rules (late-start.test.ts, late-update.test.ts): links as given, and
 * every ping held until the test settles it (`echo` or `silent`); `flush` lets the settled pings'
 * callbacks run.
 */
import type { LearningMesh } from '../../core/learning/live/ports.ts'

export interface Ping { peer: string, timeoutMs: number, echo: () => void, silent: () => void }

export function fakePingMesh (links: Array<{ peerId: string, rttMs?: number, limited: boolean }>): { mesh: Pick<LearningMesh, 'links' | 'ping'>, pings: Ping[] } {
  const pings: Ping[] = []
  return {
    pings,
    mesh: {
      links: () => links,
      ping: async (peer, timeoutMs) => await new Promise<number>((resolve, reject) => {
        pings.push({ peer, timeoutMs, echo: () => { resolve(1) }, silent: () => { reject(new Error(`no echo within ${timeoutMs} ms`)) } })
      })
    }
  }
}

/** lets settled promises' callbacks run */
export async function flush (): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise(resolve => setImmediate(resolve))
}
