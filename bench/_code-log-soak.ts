/**
 * Scratch (issue 21, not in `npm run bench`): which functions V8 keeps compiling in a long-lived
 * mesh. A bootstrap and PEERS peers (SoakMesh) run with `--log-code --log-deopt`; each process's V8
 * log lists every code object made, with its time and function. Idle for WARMUP minutes, then 6 CLI
 * writes every 15 s for WRITES minutes. Read the logs with bench/_code-log-read.mjs.
 * Node refuses those flags in NODE_OPTIONS, so put a `node` wrapper first on PATH:
 *   printf '#!/bin/bash\nexec /usr/bin/node --log-code --log-deopt --logfile=DIR/v8-%%p.log "$@"\n' > W/node
 *   PATH=W:$PATH node --import tsx bench/_code-log-soak.ts DIR [--peers=2 --warmup-min=3 --writes-min=8]
 */
import { mkdirSync } from 'node:fs'
import { SoakMesh } from '../test/_support/soak.ts'
import { stopAll } from '../test/_support/processes.ts'

const dir = process.argv[2]
const arg = (name: string, dflt: number): number => Number(process.argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt)
mkdirSync(dir, { recursive: true })
// the children run through a `node` wrapper on PATH that adds --log-code --log-deopt --logfile=DIR/v8-%p.log (not allowed in NODE_OPTIONS)
const mesh = new SoakMesh()
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
try {
  await mesh.start(arg('peers', 2), { probeMs: 60_000, degree: 1 })
  console.log('meshed', new Date().toISOString(), mesh.processes.map(p => `${p.name}=${p.proc.child.pid}`).join(' '))
  await sleep(arg('warmup-min', 3) * 60_000)
  console.log('writes from', new Date().toISOString())
  const end = Date.now() + arg('writes-min', 8) * 60_000
  while (Date.now() < end) {
    const t = Date.now()
    await mesh.write(3, 3)
    await sleep(Math.max(0, 15_000 - (Date.now() - t)))
  }
  console.log('done', new Date().toISOString())
} finally {
  await mesh.stop()
  await stopAll()
}
