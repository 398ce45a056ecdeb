/**
 * Scratch (issue 21, not in `npm run bench`): heap snapshots of real soak processes. A bootstrap
 * and PEERS `novacron peer` processes (SoakMesh) run with `--heapsnapshot-signal=SIGUSR2`; each
 * gets SIGUSR2 after the warm-up (s0), after an idle stretch (s1), after writes and a settle (s2)
 * and after a second idle stretch (s3). Diff the files with scripts/heap-diff.mjs.
 * Usage: node --import tsx bench/_heap-soak.ts DIR [--peers=2 --warmup-min=3 --idle-min=7 --writes=120 --settle-min=2]
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { SoakMesh } from '../test/_support/soak.ts'
import { stopAll } from '../test/_support/processes.ts'

const dir = process.argv[2]
const arg = (name: string, dflt: number): number => Number(process.argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt)
mkdirSync(dir, { recursive: true })
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}`.trim()
const mesh = new SoakMesh()
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const log: unknown[] = []

async function snap (label: string): Promise<void> {
  const before = new Set(readdirSync(dir))
  for (const p of mesh.processes) {
    p.proc.child.kill('SIGUSR2')
    // one at a time: each snapshot takes the CPU for a while
    let file: string | undefined
    let size = -1
    for (let i = 0; i < 600; i++) {
      await sleep(500)
      file ??= readdirSync(dir).find(f => !before.has(f) && f.includes(`.${p.proc.child.pid}.`))
      if (file == null) continue
      const s = statSync(join(dir, file)).size
      if (s === size && s > 0) break
      size = s
    }
    if (file == null) throw new Error(`no snapshot from ${p.name}`)
    before.add(file)
    const target = join(dir, `${label}-${p.name}.heapsnapshot`)
    if (!existsSync(target)) (await import('node:fs')).renameSync(join(dir, file), target)
    const m = mesh.latest(p)
    log.push({ label, name: p.name, t: new Date().toISOString(), load: os.loadavg()[0], heapUsed: m?.heapUsed, codeMetaUsed: m?.codeMetaUsed, rss: m?.rss })
    console.log(`${label} ${p.name} done (load ${os.loadavg()[0].toFixed(1)})`)
  }
  writeFileSync(join(dir, 'log.json'), JSON.stringify(log, null, 1))
}

try {
  await mesh.start(arg('peers', 2), { probeMs: 15_000, degree: 1 })
  console.log('meshed', new Date().toISOString())
  await sleep(arg('warmup-min', 3) * 60_000)
  await snap('s0')
  await sleep(arg('idle-min', 7) * 60_000)
  await snap('s1')
  const writes = arg('writes', 120)
  for (let w = 0; w < writes; w += 6) {
    const t = Date.now()
    await mesh.write(3, 3)
    await sleep(Math.max(0, 15_000 - (Date.now() - t)))
  }
  console.log('wrote', writes, new Date().toISOString())
  await sleep(arg('settle-min', 2) * 60_000)
  await snap('s2')
  await sleep(arg('idle-min', 7) * 60_000)
  await snap('s3')
} finally {
  await mesh.stop()
  await stopAll()
}
