#!/usr/bin/env node
// The `novacron` command: installs the Node 20 polyfills, registers the TypeScript loader, runs the CLI.
import '../node-runtime/polyfills.mjs'
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../node-runtime/cli/main.ts')
const code = await main(process.argv.slice(2))
process.exitCode = code
