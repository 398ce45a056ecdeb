/**
 * Probe (issue 17, learning9): when do surviving `novacron learn` peers see their links to a
 * SIGKILLed learner close? A LedgerCluster bootstrap and `--peers` learners (MNIST, small shards);
 * after round `--drop-at` commits on learner 0 the last learner is SIGKILLed, and every survivor's
 * JSON events (`peer:disconnect`, `members`) are timestamped as they arrive, for `--watch` seconds.
 *
 *   /work/bin/heavy npx tsx bench/_killed-learner-probe.ts [--peers 3] [--drop-at 1] [--watch 40]
 */
import '../node-runtime/polyfills.mjs'
import { writeFileSync } from 'node:fs'
import { LedgerCluster } from '../test/_support/ledger-cluster.ts'
import { modelStatus, startLearner, type Learner } from '../test/_support/learners.ts'
import { waitFor } from '../test/_support/wait.ts'

const argv = process.argv.slice(2)
const flag = (name: string, d: number): number => argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : d
const P = flag('--peers', 3)
const DROP_AT = flag('--drop-at', 1)
const WATCH_S = flag('--watch', 40)
const DROP = flag('--drop', 1)

const cluster = new LedgerCluster()
try {
  const boot = await cluster.startBoot()
  await cluster.op(boot, 'config.set', { key: 'ledger.maxReplicas', value: 1 })
  const flags = ['--data', 'mnist', '--max-train', '300', '--max-test', '200', '--hidden', '16', '--rounds', '30', '--min-peers', String(P),
    '--min-updates', '1', '--deadline', '20000', '--seed', '5']
  const learners: Learner[] = await Promise.all(Array.from({ length: P }, async (_, i) => await startLearner(cluster, `learner${i}`, [...flags, '--shard', `${i}/${P}`], process.env.PROBE_DEBUG != null ? { DEBUG: process.env.PROBE_DEBUG } : {})))
  await waitFor(async () => (await modelStatus(learners[0])).round >= DROP_AT, { timeout: 600_000, interval: 200, message: `round ${DROP_AT}` })
  const victims = learners.slice(P - DROP)
  const survivors = learners.slice(0, P - DROP)
  const marks = survivors.map(l => l.proc.stdout.length)
  const errMarks = survivors.map(l => l.proc.stderr.length)
  const t0 = Date.now()
  for (const v of victims) v.proc.child.kill('SIGKILL')
  console.log(`killed ${victims.map(v => v.peerId.slice(-6)).join(' ')} after round ${DROP_AT}`)
  // per survivor and victim: when it saw the victim's last link close, and the victim leave its members
  const seen = survivors.map(() => victims.map(() => ({ disconnect: null as number | null, leftMembers: null as number | null })))
  while (Date.now() - t0 < WATCH_S * 1000 && seen.some(s => s.some(x => x.disconnect == null))) {
    survivors.forEach((l, i) => {
      const fresh = l.proc.stdout.slice(marks[i])
      marks[i] = l.proc.stdout.length
      for (const line of fresh.split('\n')) {
        if (!line.startsWith('{')) continue
        const e = JSON.parse(line) as { event: string, peerId?: string, members?: string[] }
        victims.forEach((victim, j) => {
          const x = seen[i][j]
          if (e.event === 'peer:disconnect' && e.peerId === victim.peerId && x.disconnect == null) x.disconnect = Date.now() - t0
          if (e.event === 'members' && e.members != null && !e.members.includes(victim.peerId) && x.leftMembers == null) x.leftMembers = Date.now() - t0
        })
      }
    })
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  for (const [i, l] of survivors.entries()) console.log(`${l.peerId.slice(-6)}: ${victims.map((v, j) => `${v.peerId.slice(-6)} unlinked ${seen[i][j].disconnect ?? '-'} left ${seen[i][j].leftMembers ?? '-'}`).join(' · ')}`)
  // each survivor's debug log from the kill on, for a slow case
  if (process.env.PROBE_DEBUG != null) survivors.forEach((l, i) => { writeFileSync(`/tmp/killed-probe-${l.peerId.slice(-6)}.err`, `${victims.map(v => v.peerId).join(' ')} killed at ${new Date(t0).toISOString()}\n${l.proc.stderr.slice(errMarks[i])}`) })
} finally {
  await cluster.stop()
}
process.exit(0)
