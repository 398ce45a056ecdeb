/**
 * The live protocol's request/response plumbing for one `LiveLearning` (service.ts): every request
 * and answer on `/novacron/learning/live/1.1.0` goes through here and is counted in its stats
 * (bytes and messages per type, undecodable ones as `malformed`). A `refuse` answer to a call is a
 * `LiveRoundError`; an undecodable request is answered with a refusal naming why.
 */
import { LiveDecodeError, LiveRoundError } from '../errors.ts'
import { LIVE_PROTOCOL, readMessage, writeMessage, type Limits, type LiveMessage } from './codec.ts'
import type { LearningMesh } from './ports.ts'
import type { LiveStats } from './status.ts'

export class LiveRpc {
  constructor (private readonly mesh: LearningMesh, private readonly limits: Limits, private readonly stats: LiveStats, private readonly timeoutMs: number) {}

  count (dir: 'sent' | 'received', m: LiveMessage | string, bytes: number): void {
    const type = typeof m === 'string' ? m : m.type
    if (dir === 'sent') {
      this.stats.bytesSent += bytes; this.stats.messagesSent[type] = (this.stats.messagesSent[type] ?? 0) + 1
      this.stats.bytesSentByType[type] = (this.stats.bytesSentByType[type] ?? 0) + bytes
    } else {
      this.stats.bytesReceived += bytes; this.stats.messagesReceived[type] = (this.stats.messagesReceived[type] ?? 0) + 1
    }
  }

  /** `directWaitMs`: dial a direct link to `peer` first when it has only the relayed one (LearningMesh.request) */
  async call (peer: string, m: LiveMessage, maxAnswer: number, directWaitMs?: number): Promise<LiveMessage> {
    const payload = writeMessage(m)
    this.count('sent', m, payload.length)
    const opts = { maxFrameSize: Math.max(maxAnswer, payload.length, 1024), timeoutMs: this.timeoutMs }
    const bytes = await this.mesh.request(peer, LIVE_PROTOCOL, payload, directWaitMs != null ? { ...opts, directWaitMs } : opts)
    let a: LiveMessage
    try { a = readMessage(bytes, this.limits) } catch (err) {
      this.count('received', 'malformed', bytes.length)
      throw err
    }
    this.count('received', a, bytes.length)
    if (a.type === 'refuse') throw new LiveRoundError(`${peer} refused: ${a.reason}`)
    return a
  }

  answer (m: LiveMessage): Uint8Array {
    const bytes = writeMessage(m)
    this.count('sent', m, bytes.length)
    return bytes
  }

  /** A request decoded and counted, or (undecodable: counted as malformed) the refusal to answer with. */
  readRequest (req: Uint8Array): { message: LiveMessage } | { refusal: Uint8Array } {
    let m: LiveMessage
    try { m = readMessage(req, this.limits) } catch (err) {
      this.stats.malformed++
      this.count('received', 'malformed', req.length)
      return { refusal: this.answer({ type: 'refuse', reason: err instanceof LiveDecodeError ? err.message : 'malformed' }) }
    }
    this.count('received', m, req.length)
    return { message: m }
  }
}
