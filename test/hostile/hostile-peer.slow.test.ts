/** The long hostile-peer run (`npm run test:slow`): more rounds, more slow streams and garbage (see _scenario.ts). */
import { after, test } from 'node:test'
import { cleanupScenario, runScenario } from './_scenario.ts'

after(cleanupScenario)

test('a hostile stock libp2p node, five rounds with 60 slow streams per protocol', async t => {
  await runScenario({ rounds: 5, slowStreams: 60, garbagePerTopic: 50, seed: 1919, maxRssGrowth: 250e6 }, line => { t.diagnostic(line) })
})
