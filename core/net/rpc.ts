/**
 * Request/response over libp2p streams: one stream per call, one frame each way.
 *
 * The requester opens a stream, sends one request frame and closes its write side; the responder
 * reads until the requester's end, runs the handler, sends one response frame and closes. Both
 * sides bound everything a remote controls: frame size (`FrameTooLargeError` before buffering),
 * extra or partial frames (`MalformedMessageError` / `TruncatedFrameError`) and time
 * (`RequestTimeoutError`, the stream is aborted). A failing handler becomes an error response
 * (`RemoteError` at the caller); nothing a remote sends can throw into the responder's event loop.
 */
import { decodeResponse, encodeFrame, encodeResponse, FrameDecoder } from './frame-codec.ts'
import { MalformedMessageError, RemoteError, RequestTimeoutError, TruncatedFrameError } from './errors.ts'
import type { Stream } from '@libp2p/interface'

export interface RequestContext {
  /** The requesting peer. */
  peerId: string
  protocol: string
}

export type RequestHandler = (request: Uint8Array, context: RequestContext) => Uint8Array | Promise<Uint8Array>

export interface RequestOptions {
  /** @default the node's `requestTimeoutMs` */
  timeoutMs?: number
  /** @default the node's `maxFrameSize` */
  maxFrameSize?: number
  signal?: AbortSignal
  /**
   * when the peer is linked only through the relay (requests are refused on limited links), dial a
   * direct WebRTC link to it first, within the timeout @default false
   */
  direct?: boolean
  /**
   * with `direct`: how long to keep trying for the direct link (redialling as the dialer allows,
   * e.g. while the peer's WebRTC addresses are not known yet) before the request goes on over what
   * there is; bounded by the request's timeout @default 0 (one try)
   */
  directWaitMs?: number
}

/** Reads exactly one frame that ends the stream's readable side. */
export async function readSingleFrame (stream: AsyncIterable<Uint8Array | { subarray: () => Uint8Array }>, maxFrameSize: number): Promise<Uint8Array> {
  const decoder = new FrameDecoder(maxFrameSize)
  const frames: Uint8Array[] = []
  for await (const chunk of stream) {
    frames.push(...decoder.push(chunk instanceof Uint8Array ? chunk : chunk.subarray()))
    if (frames.length > 1 || (frames.length === 1 && decoder.buffered > 0)) throw new MalformedMessageError('more than one frame on a request/response stream')
  }
  decoder.end()
  if (frames.length === 0) throw new TruncatedFrameError('stream ended before a frame arrived')
  return frames[0]
}

/** Runs `work` with a deadline: on expiry aborts `stream` and rejects with `RequestTimeoutError`. */
export async function withTimeout<T> (stream: Stream | undefined, protocol: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const err = new RequestTimeoutError(protocol, timeoutMs)
      stream?.abort(err)
      reject(err)
    }, timeoutMs)
  })
  try {
    return await Promise.race([work(), expired])
  } finally {
    clearTimeout(timer)
  }
}

/** Requester side, on an already-open stream. */
export async function exchange (stream: Stream, payload: Uint8Array, maxFrameSize: number): Promise<Uint8Array> {
  const frame = encodeFrame(payload, maxFrameSize)
  if (!stream.send(frame)) await stream.onDrain()
  await stream.close()
  const response = decodeResponse(await readSingleFrame(stream, maxFrameSize))
  if (!response.ok) throw new RemoteError(response.message)
  return response.payload
}

/**
 * Responder side: serves one request on `stream`. Never throws; returns the error it handled (if
 * any) so the caller can log and count it against the peer.
 */
export async function serve (stream: Stream, handler: RequestHandler, context: RequestContext, maxFrameSize: number, timeoutMs: number): Promise<Error | undefined> {
  try {
    await withTimeout(stream, context.protocol, timeoutMs, async () => {
      const request = await readSingleFrame(stream, maxFrameSize)
      let response: Uint8Array
      try {
        const payload = await handler(request, context)
        response = encodeResponse({ ok: true, payload })
        if (response.length > maxFrameSize) response = encodeResponse({ ok: false, message: `response of ${response.length} bytes exceeds the maximum frame size` })
      } catch (err) {
        response = encodeResponse({ ok: false, message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })
      }
      if (!stream.send(encodeFrame(response, maxFrameSize))) await stream.onDrain()
      await stream.close()
    })
    return undefined
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    if (stream.status === 'open') stream.abort(e)
    return e
  }
}
