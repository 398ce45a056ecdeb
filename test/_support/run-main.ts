/**
 * Runs the `novacron` CLI in this process (`main` with captured stdout/stderr and an empty stdin):
 * for tests of a command's help and usage errors, where a child process would only add start-up time.
 */
import { PassThrough } from 'node:stream'
import { main } from '../../node-runtime/cli/main.ts'

export async function runMain (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
  const code = await main(args, { stdout, stderr, stdin: new PassThrough() })
  return { code, stdout: out, stderr: err }
}
