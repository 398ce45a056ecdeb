/** The shared CLI option parser: conversion, bounds, choices, and errors that name the flag. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseCommandArgs, UsageError, type Command } from '../../node-runtime/cli/args.ts'
import { renderCommandHelp } from '../../node-runtime/cli/help.ts'

const cmd: Command = {
  name: 'demo',
  summary: 'demo command',
  options: [
    { name: 'port', type: 'integer', description: 'port', default: 9000, min: 1, max: 65535 },
    { name: 'mode', type: 'string', description: 'mode', choices: ['a', 'b'], default: 'a' },
    { name: 'rate', type: 'number', description: 'rate' },
    { name: 'json', type: 'boolean', description: 'json output' },
    { name: 'tag', type: 'list', description: 'tags' }
  ],
  positionals: [{ name: 'file', description: 'a file' }]
}

test('defaults apply and values convert', () => {
  const a = parseCommandArgs(cmd, ['--rate', '0.5', '--json', '--tag', 'x', '--tag', 'y', 'pos'])
  assert.equal(a.options.port, 9000)
  assert.equal(a.options.mode, 'a')
  assert.equal(a.options.rate, 0.5)
  assert.equal(a.options.json, true)
  assert.deepEqual(a.options.tag, ['x', 'y'])
  assert.deepEqual(a.positionals, ['pos'])
})

for (const [argv, flag] of [
  [['--port', 'abc'], '--port'],
  [['--port', '1.5'], '--port'],
  [['--port', '70000'], '--port'],
  [['--port', '0'], '--port'],
  [['--mode', 'c'], '--mode'],
  [['--bogus'], '--bogus']
] as const) {
  test(`rejects ${argv.join(' ')} naming ${flag}`, () => {
    assert.throws(() => parseCommandArgs(cmd, [...argv]), (err: unknown) => err instanceof UsageError && err.name === 'UsageError' && err.message.includes(flag))
  })
}

test('help lists every option with its default', () => {
  const help = renderCommandHelp(cmd)
  for (const o of cmd.options) assert.ok(help.includes(`--${o.name}`), o.name)
  assert.ok(help.includes('(default: 9000)'))
})

test('stray positional arguments are usage errors naming the argument; a variadic last positional takes the rest', () => {
  assert.throws(() => parseCommandArgs({ name: 'compress', summary: '', options: [] }, ['/nonexistent.txt']),
    (err: unknown) => err instanceof UsageError && /unexpected argument '\/nonexistent.txt': this command takes no arguments/.test(err.message))
  const one: Command = { name: 'show', summary: '', options: [], positionals: [{ name: 'id', description: '', required: true }] }
  assert.throws(() => parseCommandArgs(one, ['a', 'b']), (err: unknown) => err instanceof UsageError && /unexpected argument 'b': this command takes <id>/.test(err.message))
  const many: Command = { ...one, positionals: [{ name: 'id', description: '', required: true, variadic: true }] }
  assert.deepEqual(parseCommandArgs(many, ['a', 'b', 'c']).positionals, ['a', 'b', 'c'])
  assert.match(renderCommandHelp(many), /Usage: novacron show <id>\.\.\. \[options\]/)
})
