/**
 * `novacron decompress`: LZ4 frame(s) on stdin -> the original bytes on stdout, streamed a block
 * at a time. Reads frames from the `lz4` tool (any level, block checksums, linked blocks,
 * concatenated and skippable frames). Corrupt input ends with one line on stderr
 * (`novacron decompress: not a valid LZ4 frame: <what>`, node-runtime/cli/errors.ts) and exit code 1.
 */
import { decompressStream, initCoreWasm } from '../../../core-wasm/index.ts'
import { num, type Command } from '../args.ts'
import { bytesOf, refuseTerminal, writeAll } from './compress.ts'

export const command: Command = {
  name: 'decompress',
  summary: 'Decompress an LZ4 frame from stdin to stdout',
  description: 'Accepts standard LZ4 frames (as written by `lz4` or `novacron compress`). Every checksum\n' +
    'present is verified; a corrupt or truncated frame is an error (exit code 1).',
  options: [
    { name: 'max-output', type: 'integer', min: 0, value: '<bytes>', description: 'Fail rather than write more than this many bytes (default: no limit)' }
  ],
  examples: ['novacron decompress < snapshot.lz4 > snapshot.bin', 'lz4 -9 -c data.bin | novacron decompress > copy.bin'],
  async run (args, io) {
    refuseTerminal(io, 'an LZ4 frame')
    await initCoreWasm()
    const max = num(args, 'max-output')
    await writeAll(io.stdout, decompressStream(bytesOf(io.stdin), max === undefined ? {} : { maxOutputSize: max }))
    return 0
  }
}
