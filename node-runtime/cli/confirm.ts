/**
 * Asking before a change that every peer gets and nobody can undo (`issues delete`, `memory
 * clear`): on a terminal the question is asked on stderr and only `y`/`yes` goes on; without a
 * terminal (a script, a pipe) the command needs `--yes`, so nothing is deleted by accident.
 */
import { UsageError, type CliIO } from './args.ts'

export const YES_OPTION = { name: 'yes', short: 'y', type: 'boolean', description: 'Do not ask for confirmation' } as const

export async function confirm (io: CliIO, question: string, yes: boolean): Promise<boolean> {
  if (yes) return true
  if ((io.stdin as NodeJS.ReadStream).isTTY !== true) throw new UsageError(`${question} Add --yes to confirm (stdin is not a terminal to ask on)`, '--yes')
  io.stderr.write(`${question} [y/N] `)
  const { createInterface } = await import('node:readline') // only when asking: not at every command's start-up
  const rl = createInterface({ input: io.stdin, terminal: false })
  const answer = await new Promise<string>(resolve => {
    rl.once('line', resolve)
    rl.once('close', () => resolve(''))
  })
  rl.close()
  return /^y(es)?$/i.test(answer.trim())
}
