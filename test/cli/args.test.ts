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
  ]
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
