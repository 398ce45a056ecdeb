/**
 * A tab joins live training with Node peers: `novacron start` (the ledger's only replica:
 * `ledger.maxReplicas` 1, so the test is about learning), 2 `novacron learn` peers on MNIST shards
 * and 1 real Chromium tab that presses "Join mesh training" in its Learning panel with the same
 * task settings. Every round needs 3 updates (`--min-updates 3` of 3 learners), so a committed
 * round has the tab's update among the aggregated ones: the test checks that it is listed as a
 * participant of every committed round, that the tab and the Node peers hold the same committed
 * hash, and that the panel shows the rounds with "this tab: yes". The tab trains on shard 2/3 of
 * all 10,000 bundled digits (the Node peers on shards 0/3 and 1/3 of the same partition). Before
 * joining: an out-of-range setting, a bad shard and a missing file are errors by their field, and a
 * malformed CSV picked in the panel fails the join with the file's `DataSourceError`. Takes
 * docs/screenshots/learning-live.png of the panel when NOVACRON_SCREENSHOTS=1.
 */
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { LiveStatus } from '../../core/learning/live/index.ts'
import type { ModelStatus } from '../../node-runtime/learning/live-peer.ts'
import { launchChromium, openTab } from '../_support/chromium.ts'
import { LedgerCluster } from '../_support/ledger-cluster.ts'
import { modelStatus, startLearner, startLearningBoot, type Learner } from '../_support/learners.ts'
import { cleanup } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

const root = new URL('../..', import.meta.url).pathname
const DEADLINE = 300_000
const ROUNDS = 2
// the task: the tab's form and the Node peers' flags must agree (hidden, seed, deadline, min updates)
const TASK = { hidden: '32', seed: '4', deadlineMs: '90000', minUpdates: '3' }

describe('live learning: 2 Node peers + 1 Chromium tab train one task', { timeout: 900_000 }, () => {
  const cluster = new LedgerCluster()
  const learners: Learner[] = []
  let browser: Browser | undefined
  let tab: Page

  before(async () => {
    const { url } = await startLearningBoot(cluster)
    const flags = ['--data', 'mnist', '--max-train', '500', '--max-test', '300', '--hidden', TASK.hidden, '--seed', TASK.seed, '--deadline', TASK.deadlineMs,
      '--min-updates', TASK.minUpdates, '--rounds', String(ROUNDS), '--min-peers', '3']
    for (let i = 0; i < 2; i++) learners.push(await startLearner(cluster, `learner${i}`, [...flags, '--shard', `${i}/3`]))
    browser = await launchChromium()
    tab = await openTab(browser, url, { name: 'tab', timeout: DEADLINE, width: 1300 })
    await tab.waitForSelector('[data-testid=learning-join]:not([disabled])')
    // out of range: an error by its field, nothing joins
    await tab.fill('[data-testid=learning-live-hidden]', '0')
    await tab.click('[data-testid=learning-join]')
    assert.match(await tab.innerText('[data-testid=learning-live-error-hidden]'), /^Hidden units: .*from 1 to 512/)
    assert.equal(await tab.innerText('[data-testid=learning-live-status]'), 'Not joined.')
    for (const [name, value] of Object.entries({ ...TASK, minLearners: '3', rounds: String(ROUNDS) })) await tab.fill(`[data-testid=learning-live-${name}]`, value)
    // the data: a bad shard and a missing file are errors by field; a malformed CSV fails the join naming the file
    await tab.selectOption('[data-testid=learning-live-data]', 'mnist')
    await tab.fill('[data-testid=learning-live-shard]', '3/3')
    await tab.click('[data-testid=learning-join]')
    assert.match(await tab.innerText('[data-testid=learning-live-error-shard]'), /^Shard: /)
    await tab.selectOption('[data-testid=learning-live-data]', 'file')
    await tab.click('[data-testid=learning-join]')
    assert.match(await tab.innerText('[data-testid=learning-live-error-file]'), /^File: /)
    await tab.setInputFiles('[data-testid=learning-live-file]', { name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b,label\n1,2,0\n3\n') })
    await tab.click('[data-testid=learning-join]')
    await tab.waitForFunction(() => document.querySelector('[data-testid=learning-live-status]')?.textContent?.startsWith('Could not join') === true, undefined, { timeout: DEADLINE })
    assert.match(await tab.innerText('[data-testid=learning-live-status]'), /^Could not join: broken\.csv: line 3: /i, 'the file\'s DataSourceError, naming it')
    await tab.selectOption('[data-testid=learning-live-data]', 'mnist')
    await tab.fill('[data-testid=learning-live-shard]', '2/3')
    await tab.click('[data-testid=learning-join]')
  })
  after(async () => {
    await cleanup(async () => { await browser?.close() }, ...learners.map(l => async () => await l.proc.stop()), async () => { await cluster.stop() })
  })

  test('every committed round aggregates the tab\'s update; one hash on the tab and the Node peers', async () => {
    let nodes: ModelStatus[] = []
    let mine: LiveStatus | undefined
    await waitFor(async () => {
      mine = await tab.evaluate('globalThis.__novacronLearning?.status()') as LiveStatus | undefined
      nodes = await Promise.all(learners.map(modelStatus))
      return mine != null && mine.round === ROUNDS && nodes.every(s => s.round === ROUNDS && s.held)
    }, {
      timeout: DEADLINE,
      interval: 1000,
      message: () => `round ${ROUNDS} on the tab and both Node peers; now tab ${mine?.round ?? 'not joined'} (${mine?.learners.length ?? 0} learners, ${mine?.stats.updatesSent ?? 0} updates sent), nodes ${nodes.map(s => `${s.round} (coordinated ${s.stats.roundsCoordinated}, failed ${s.stats.roundsFailed}, rejected ${JSON.stringify(s.stats.rejected)})`).join('; ')}`
    })
    const s = mine as LiveStatus
    assert.equal(new Set(nodes.map(n => n.task)).size, 1)
    assert.equal(s.task, nodes[0].task, 'the tab and the Node peers are learners of one task')
    assert.equal(new Set([s.hash, ...nodes.map(n => n.hash)]).size, 1, 'one committed hash')
    assert.equal(s.rounds.length, ROUNDS)
    for (const r of s.rounds) {
      assert.ok(r.participants.includes(s.peerId), `round ${r.round}: the tab's update is among the aggregated ones (${r.participants.join(', ')})`)
      assert.equal(r.participants.length, 3)
    }
    assert.ok(s.stats.updatesSent >= ROUNDS, `${s.stats.updatesSent} updates sent by the tab`)
    const text = await tab.innerText('[data-testid=learning-live-status]')
    const rows = Number(/mnist shard 2\/3, (\d+) training/.exec(text)?.[1] ?? 0)
    assert.ok(rows > 1000, `the tab trains on its shard of all the bundled digits: ${text}`)
    assert.ok(s.stats.bytesSent > 0 && s.stats.bytesReceived > 0)
    const backend = await tab.evaluate('globalThis.__novacronLearning.backend') as string
    console.log(`# tab backend ${backend}; rounds coordinated by ${s.rounds.map(r => r.coordinator === s.peerId ? 'tab' : 'node').join(', ')}; tab bytes ${s.stats.bytesSent}/${s.stats.bytesReceived}`)
    // the panel shows the rounds with the tab's contribution
    await tab.waitForSelector(`[data-testid=learning-live-table] tr[data-round="${ROUNDS}"][data-mine="true"]`)
    await tab.waitForSelector(`[data-testid=learning-live-status][data-round="${ROUNDS}"]`)
  })

  test('the Learning panel renders its rounds (NOVACRON_SCREENSHOTS=1 saves docs/screenshots/learning-live.png)', async () => {
    // the last round's accuracy on the tab's held-out digits, then the picture
    await tab.waitForFunction(`globalThis.__novacronLearning.status().rounds.every(r => r.localAccuracy != null)`)
    const png = await tab.locator('#panel-learning').screenshot()
    assert.ok(png.length > 1000, 'the panel rendered')
    if (process.env.NOVACRON_SCREENSHOTS != null) {
      mkdirSync(`${root}docs/screenshots`, { recursive: true })
      writeFileSync(`${root}docs/screenshots/learning-live.png`, png)
    }
  })
})
