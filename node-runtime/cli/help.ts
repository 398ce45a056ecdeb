/** Renders `--help` text from a command's option table. */
import type { Command } from './args.ts'

export function renderCommandHelp (command: Command, prefix = 'novacron'): string {
  const lines: string[] = []
  const path = `${prefix} ${command.name}`
  const pos = (command.positionals ?? []).map(p => `${p.required === true ? `<${p.name}>` : `[${p.name}]`}${p.variadic === true ? '...' : ''}`).join(' ')
  if (command.subcommands != null) {
    lines.push(`Usage: ${path} <subcommand> [options]`, '', command.summary)
    if (command.description != null) lines.push('', command.description)
    lines.push('', 'Subcommands:')
    const width = Math.max(...command.subcommands.map(s => s.name.length))
    for (const sub of command.subcommands) lines.push(`  ${sub.name.padEnd(width)}  ${sub.summary}${(sub.aliases ?? []).length > 0 ? ` (alias: ${(sub.aliases ?? []).join(', ')})` : ''}`)
    lines.push('', `Run '${path} <subcommand> --help' for a subcommand's options.`)
  } else {
    lines.push(`Usage: ${path}${pos === '' ? '' : ' ' + pos} [options]`, '', command.summary)
    if (command.description != null) lines.push('', command.description)
  }
  if ((command.positionals ?? []).length > 0) {
    lines.push('', 'Arguments:')
    for (const p of command.positionals ?? []) lines.push(`  ${p.name.padEnd(24)}  ${p.description}`)
  }
  const opts = command.options.map(o => {
    const left = `${o.short != null ? `-${o.short}, ` : ''}--${o.name}${o.type === 'boolean' ? '' : ` ${o.value ?? `<${o.type === 'list' ? 'value' : o.type}>`}`}`
    const def = o.default === undefined || o.default === false ? '' : ` (default: ${Array.isArray(o.default) ? o.default.join(',') : String(o.default)})`
    const choices = o.choices != null ? ` [${o.choices.join('|')}]` : ''
    return [left, `${o.description}${choices}${def}`] as const
  })
  opts.push(['-h, --help', 'Show this help'])
  const width = Math.max(...opts.map(([l]) => l.length))
  lines.push('', 'Options:')
  for (const [l, r] of opts) lines.push(`  ${l.padEnd(width)}  ${r}`)
  if ((command.examples ?? []).length > 0) {
    lines.push('', 'Examples:')
    for (const e of command.examples ?? []) lines.push(`  ${e}`)
  }
  return lines.join('\n') + '\n'
}
