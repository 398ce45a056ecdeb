/**
 * Issue 19's multi-process hostile-peer test: `novacron start` + two `novacron peer` processes and
 * a stock libp2p node that attacks every protocol they advertise and every topic they subscribe
 * to (test/hostile/_scenario.ts); they stay alive, linked, lose no honest issue, keep memory
 * within bounds, count the rejections in /metrics and print the attacker's text escaped.
 * The longer variant is hostile-peer.slow.test.ts.
 */
import { after, test } from 'node:test'
import { cleanupScenario, runScenario } from './_scenario.ts'

after(cleanupScenario)

test('a hostile stock libp2p node cannot crash, partition, starve or corrupt a live mesh', async t => {
  await runScenario({ rounds: 1, slowStreams: 10, garbagePerTopic: 10, seed: 19, maxRssGrowth: 150e6 }, line => { t.diagnostic(line) })
})
