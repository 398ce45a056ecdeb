/**
 * Entry point of the `novacron` CLI: dispatches to a command, prints help and the version, turns
 * usage errors into a clear message and exit code 2 and any other failure into one line and exit
 * code 1 (errors.ts).
 *
 * Global flags, accepted anywhere: `--debug` (a failure also prints its stack; the peer commands
 * log state problems), `--version`. `novacron help <command> [<subcommand>]` is `--help` spelled
 * the other way round. Commands come from the table in registry.ts and load lazily.
 */
import { parseCommandArgs, UsageError, type CliIO, type Command } from './args.ts'
import { errorJson, errorText } from './errors.ts'
import { renderCommandHelp } from './help.ts'
import { packageVersion } from './package-root.ts'
import { commands, loadCommand } from './registry.ts'
import { escapeForTerminal, safeJson } from './escape.ts'

function globalHelp (): string {
  const width = Math.max(...commands.map(c => c.name.length))
  return [
    'Usage: novacron <command> [options]',
    '',
    'NovaCron Edge: a browser-native, Byzantine-tolerant peer-to-peer compute mesh.',
    '',
    'Commands:',
    ...commands.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --version   Print the version',
    '  --debug     On failure, print the stack too',
    '',
    "Run 'novacron help <command>' or 'novacron <command> --help' for a command's options."
  ].join('\n') + '\n'
}

function isModuleMissing (err: unknown): boolean {
  return err instanceof Error && 'code' in err && (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND')
}

export async function main (argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  const debug = argv.includes('--debug') || process.env.NOVACRON_DEBUG != null
  if (argv.includes('--debug')) process.env.NOVACRON_DEBUG ??= '1'
  argv = argv.filter(a => a !== '--debug')
  let [name, ...rest] = argv
  if (name === '--version' || name === '-V') {
    io.stdout.write(`novacron ${packageVersion()}\n`)
    return 0
  }
  if (name === 'help' && rest.length > 0) {
    // `help <command> [<subcommand>]` -> `<command> [<subcommand>] --help`
    ;[name, ...rest] = [...rest, '--help']
  }
  if (name == null || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(globalHelp())
    return name == null ? 2 : 0
  }
  const entry = commands.find(c => c.name === name)
  if (entry == null) {
    io.stderr.write(`novacron: unknown command '${name}'\n\n${globalHelp()}`)
    return 2
  }
  let command: Command
  try {
    command = await loadCommand(entry.name)
  } catch (err) {
    if (isModuleMissing(err)) {
      io.stderr.write(`novacron: command '${name}' is not available in this build\n`)
      return 2
    }
    throw err
  }
  return await runCommand(command, rest, io, 'novacron', debug)
}

async function runCommand (command: Command, argv: string[], io: CliIO, prefix: string, debug: boolean): Promise<number> {
  if (command.subcommands != null) {
    const [subName, ...subArgs] = argv
    if (subName == null || subName === '--help' || subName === '-h') {
      io.stdout.write(renderCommandHelp(command, prefix))
      return subName == null ? 2 : 0
    }
    const sub = command.subcommands.find(s => s.name === subName || (s.aliases ?? []).includes(subName))
    if (sub == null) {
      io.stderr.write(`${prefix} ${command.name}: unknown subcommand '${subName}'\n\n${renderCommandHelp(command, prefix)}`)
      return 2
    }
    return await runCommand(sub, subArgs, io, `${prefix} ${command.name}`, debug)
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(renderCommandHelp(command, prefix))
    return 0
  }
  const json = argv.includes('--json')
  try {
    const args = parseCommandArgs(command, argv)
    if (command.run == null) throw new UsageError('this command has nothing to run')
    return await command.run(args, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(json
        ? safeJson(errorJson(err)) + '\n'
        : `${prefix} ${command.name}: ${escapeForTerminal(err.message)}\nRun '${prefix} ${command.name} --help' for usage.\n`)
      return 2
    }
    // Any other failure: one line a person can act on; the class name only in --json, the stack on request.
    // an error's text can quote a peer's data (an id, a reason from a running peer)
    io.stderr.write(json ? safeJson(errorJson(err)) + '\n' : `${prefix} ${command.name}: ${escapeForTerminal(errorText(err))}\n`)
    if (debug) io.stderr.write(`${err instanceof Error ? err.stack ?? '' : String(err)}\n`)
    return 1
  }
}
