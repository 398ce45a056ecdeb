/**
 * A task's result as bytes: what a worker stores as a blob and what replicas vote on (the blob id,
 * SHA-256 of these bytes, is the `output` of a `job.result` entry). Canonical, so honest replicas
 * that saw the same behaviour produce the same hash:
 *
 *   taskResult := varUint(1) • varInt(exitCode) • varString(error) • varUint8Array(stdout) • varUint8Array(stderr)
 *
 * `error` is the typed sandbox error's name ('' when the module ran to an exit code): a trap or an
 * invalid module is a result too — every honest replica gets the same one.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { JobError } from './errors.ts'

export interface TaskResult {
  exitCode: number
  /** typed error name, '' when the task exited normally */
  error: string
  stdout: Uint8Array
  stderr: Uint8Array
}

export class MalformedTaskResultError extends JobError {
  static override name = 'MalformedTaskResultError'
  override name = 'MalformedTaskResultError'
}

export function encodeTaskResult (r: TaskResult): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1)
  encoding.writeVarInt(e, r.exitCode)
  encoding.writeVarString(e, r.error)
  encoding.writeVarUint8Array(e, r.stdout)
  encoding.writeVarUint8Array(e, r.stderr)
  return encoding.toUint8Array(e)
}

export function decodeTaskResult (bytes: Uint8Array): TaskResult {
  const d = decoding.createDecoder(bytes)
  try {
    if (decoding.readVarUint(d) !== 1) throw new MalformedTaskResultError('unknown task result version')
    const exitCode = decoding.readVarInt(d)
    const error = decoding.readVarString(d)
    const take = (): Uint8Array => {
      const n = decoding.readVarUint(d)
      if (n > d.arr.length - d.pos) throw new MalformedTaskResultError('truncated task result')
      return decoding.readUint8Array(d, n)
    }
    const stdout = take()
    const stderr = take()
    if (decoding.hasContent(d)) throw new MalformedTaskResultError('trailing bytes after a task result')
    return { exitCode, error, stdout, stderr }
  } catch (err) {
    if (err instanceof MalformedTaskResultError) throw err
    throw new MalformedTaskResultError('truncated or malformed task result')
  }
}
