/**
 * Polls a condition until it holds or a deadline passes: tests wait on state, never on sleeps.
 * A check that throws is tried again until the deadline, except with a `WaitAbortedError` (e.g. the
 * peer being polled has exited): then there is nothing left to wait for, and it is rethrown at once.
 */

/** Thrown by a check to end the wait at once (the condition can no longer come true). */
export class WaitAbortedError extends Error {
  static override name = 'WaitAbortedError'
  override name = 'WaitAbortedError'
}

export interface WaitOptions {
  /** @default 30000 */
  timeout?: number
  /** @default 50 */
  interval?: number
  /** Describes what was awaited, for the timeout error (a function is called then, to show the state). */
  message?: string | (() => string)
}

export async function waitFor<T> (check: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeout = opts.timeout ?? 30_000
  const interval = opts.interval ?? 50
  const deadline = Date.now() + timeout
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value != null && value !== false) return value as NonNullable<T>
    } catch (err) {
      if (err instanceof WaitAbortedError) throw err
      lastError = err
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      const what = typeof opts.message === 'function' ? opts.message() : opts.message
      throw new Error(`timed out after ${timeout} ms waiting for ${what ?? 'condition'}${why}`)
    }
    await new Promise(resolve => setTimeout(resolve, interval))
  }
}
