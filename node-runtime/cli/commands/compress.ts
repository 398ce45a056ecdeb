/**
 * `novacron compress`: stdin -> one standard LZ4 frame on stdout, streamed a block at a time
 * through the WASM core (memory stays at about two blocks for any input size). The output is
 * what `lz4 -d` reads.
 */
import { once } from 'node:events'
import { compressStream, initCoreWasm, type Lz4BlockSize } from '../../../core-wasm/index.ts'
import { UsageError, bool, num, str, type CliIO, type Command } from '../args.ts'

const BLOCK_SIZES: Record<string, Lz4BlockSize> = { '64K': 65536, '256K': 262144, '1M': 1048576, '4M': 4194304 }

/** Bytes from a Node readable (Buffers or strings) as Uint8Arrays. */
export async function * bytesOf (stream: NodeJS.ReadableStream): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk
}

/** Writes every piece, waiting for 'drain' when the destination is full. */
export async function writeAll (out: NodeJS.WritableStream, pieces: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const piece of pieces) {
    if (!out.write(piece)) await once(out, 'drain')
  }
}

export function refuseTerminal (io: CliIO, what: string): void {
  if ((io.stdin as NodeJS.ReadStream).isTTY === true) throw new UsageError(`stdin is a terminal: pipe ${what} in (see --help)`)
}

export const command: Command = {
  name: 'compress',
  summary: 'Compress stdin to an LZ4 frame on stdout',
  description: 'Writes one standard LZ4 frame (readable by `lz4 -d`). Levels 0-2 use the fast greedy\n' +
    'compressor (like `lz4 -1`); 3-12 search hash chains (9 is like `lz4 -9`).',
  options: [
    { name: 'level', short: 'l', type: 'integer', min: 0, max: 12, default: 1, value: '<0-12>', description: 'Compression level' },
    { name: 'block-size', type: 'string', choices: Object.keys(BLOCK_SIZES), default: '256K', value: '<size>', description: 'Block maximum size (lz4 itself defaults to 4M)' },
    { name: 'block-checksum', type: 'boolean', description: 'Add an xxHash32 to every block (like lz4 -BX)' },
    { name: 'no-content-checksum', type: 'boolean', description: 'Omit the xxHash32 of the whole content' }
  ],
  examples: ['novacron compress < snapshot.bin > snapshot.lz4', 'novacron compress --level 9 < model.bin | lz4 -d > copy.bin'],
  async run (args, io) {
    refuseTerminal(io, 'the data to compress')
    await initCoreWasm()
    await writeAll(io.stdout, compressStream(bytesOf(io.stdin), {
      level: num(args, 'level') ?? 1,
      blockSize: BLOCK_SIZES[str(args, 'block-size') ?? '256K'],
      blockChecksum: bool(args, 'block-checksum'),
      contentChecksum: !bool(args, 'no-content-checksum')
    }))
    return 0
  }
}
