/**
 * The table of `novacron` commands. Summaries live here so that `novacron --help` lists every
 * command without importing heavy modules (libp2p, tfjs); a command's module,
 * `./commands/<name>.ts`, is loaded only when it runs and exports `command: Command` (./args.ts).
 */
import type { Command } from './args.ts'

export interface CommandEntry {
  name: string
  summary: string
}

export const commands: CommandEntry[] = [
  { name: 'start', summary: 'Start the bootstrap/relay peer and serve the app (what `npm start` runs)' },
  { name: 'peer', summary: 'Start a headless peer that joins a mesh' },
  { name: 'compress', summary: 'Compress stdin to an LZ4 frame on stdout' },
  { name: 'decompress', summary: 'Decompress an LZ4 frame from stdin to stdout' },
  { name: 'sim', summary: 'Run a seeded consensus simulation (ProBFT or PBFT)' },
  { name: 'issues', summary: 'Work with the shared issue board' },
  { name: 'memory', summary: 'Work with the shared memory store' },
  { name: 'fl-sim', summary: 'Run a seeded federated-learning simulation' },
  { name: 'learn', summary: 'Join federated training on the mesh as a Node peer' },
  { name: 'model', summary: 'The model the mesh committed: status, export, predict, verify' },
  { name: 'ledger', summary: 'Inspect and use the mesh ledger of a peer' },
  { name: 'config', summary: 'Get or set mesh settings through the ledger' },
  { name: 'job', summary: 'Run WebAssembly (WASI) jobs in the sandbox' }
]

export async function loadCommand (name: string): Promise<Command> {
  const mod = await import(`./commands/${name}.ts`) as { command: Command }
  return mod.command
}
