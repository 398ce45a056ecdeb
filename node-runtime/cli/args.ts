/**
 * Declarative option parsing for every `novacron` command.
 *
 * Each command declares its options once (name, type, default, description); the same table drives
 * parsing, validation and `--help`, so the help text can never drift from what is accepted.
 * Errors are `UsageError`s that name the offending flag.
 */
import { parseArgs } from 'node:util'

export type OptionType = 'string' | 'number' | 'integer' | 'boolean' | 'list'

export interface OptionSpec {
  /** Long name without dashes, e.g. `data-dir`. */
  name: string
  type: OptionType
  description: string
  /** Shown in help and used when the flag is absent. */
  default?: string | number | boolean | string[]
  /** Placeholder shown in help, e.g. `<multiaddr>`. */
  value?: string
  short?: string
  /** For `number`/`integer`: inclusive bounds. */
  min?: number
  max?: number
  /** For `string`: allowed values. */
  choices?: readonly string[]
}

export interface PositionalSpec {
  name: string
  description: string
  required?: boolean
  /** The last positional only: takes every remaining argument (e.g. several ids, comment words). */
  variadic?: boolean
}

export type OptionValue = string | number | boolean | string[] | undefined

export interface ParsedArgs {
  options: Record<string, OptionValue>
  positionals: string[]
}

export interface CliIO {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  stdin: NodeJS.ReadableStream
}

export interface Command {
  name: string
  /** Other names a subcommand answers to (e.g. `memory get` for `memory retrieve`). */
  aliases?: string[]
  /** One line for the command list. */
  summary: string
  /** Longer text printed by `novacron <name> --help`. */
  description?: string
  options: OptionSpec[]
  positionals?: PositionalSpec[]
  /** Subcommands (e.g. `issues create`): when present, the first positional selects one. */
  subcommands?: Command[]
  /** Returns the process exit code. Long-running commands resolve when they are told to stop. */
  run?: (args: ParsedArgs, io: CliIO) => Promise<number>
  /** Usage examples shown in help. */
  examples?: string[]
}

export class UsageError extends Error {
  static override name = 'UsageError'
  override name = 'UsageError'
  constructor (message: string, readonly flag?: string) {
    super(message)
  }
}

/** Parses `argv` against a command's option table; throws `UsageError` naming the flag on bad input. */
export function parseCommandArgs (command: Command, argv: string[]): ParsedArgs {
  const config: Record<string, { type: 'string' | 'boolean', short?: string, multiple?: boolean }> = {}
  for (const opt of command.options) {
    config[opt.name] = {
      type: opt.type === 'boolean' ? 'boolean' : 'string',
      ...(opt.short != null ? { short: opt.short } : {}),
      ...(opt.type === 'list' ? { multiple: true } : {})
    }
  }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true })
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1]
    throw new UsageError(message.replace(/\. To specify a positional.*$/s, ''), flag)
  }
  const options: Record<string, OptionValue> = {}
  for (const opt of command.options) {
    const raw = parsed.values[opt.name]
    options[opt.name] = raw === undefined ? opt.default : convert(opt, raw)
  }
  const positionals = parsed.positionals
  const required = (command.positionals ?? []).filter(p => p.required === true)
  if (command.subcommands == null && positionals.length < required.length) {
    throw new UsageError(`missing <${required[positionals.length].name}>`)
  }
  const specs = command.positionals ?? []
  if (command.subcommands == null && specs.at(-1)?.variadic !== true && positionals.length > specs.length) {
    const stray = positionals[specs.length]
    throw new UsageError(specs.length === 0
      ? `unexpected argument '${stray}': this command takes no arguments, only options`
      : `unexpected argument '${stray}': this command takes ${specs.map(p => `<${p.name}>`).join(' ')}`)
  }
  return { options, positionals }
}

function convert (opt: OptionSpec, raw: string | boolean | Array<string | boolean>): OptionValue {
  const flag = `--${opt.name}`
  if (opt.type === 'boolean') return raw === true
  if (opt.type === 'list') return (Array.isArray(raw) ? raw : [raw]).map(String)
  const text = String(raw)
  if (opt.type === 'string') {
    if (opt.choices != null && !opt.choices.includes(text)) {
      throw new UsageError(`${flag} must be one of ${opt.choices.join(', ')} (got '${text}')`, flag)
    }
    return text
  }
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag} expects a number (got '${text}')`, flag)
  if (opt.type === 'integer' && !Number.isInteger(value)) throw new UsageError(`${flag} expects an integer (got '${text}')`, flag)
  if (opt.min != null && value < opt.min) throw new UsageError(`${flag} must be at least ${opt.min} (got ${value})`, flag)
  if (opt.max != null && value > opt.max) throw new UsageError(`${flag} must be at most ${opt.max} (got ${value})`, flag)
  return value
}

/** Typed accessors so commands need no casts. */
export function str (args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name]
  return typeof v === 'string' ? v : undefined
}
export function num (args: ParsedArgs, name: string): number | undefined {
  const v = args.options[name]
  return typeof v === 'number' ? v : undefined
}
export function bool (args: ParsedArgs, name: string): boolean {
  return args.options[name] === true
}
export function list (args: ParsedArgs, name: string): string[] {
  const v = args.options[name]
  return Array.isArray(v) ? v : []
}
