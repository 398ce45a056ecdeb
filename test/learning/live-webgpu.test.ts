/**
 * The WebGPU path of mesh training: `novacron start` (the ledger's only replica), 1 `novacron learn`
 * peer and 1 Chromium tab launched with `--enable-unsafe-webgpu` (headless, that is SwiftShader's
 * slow software adapter) that joins from its Learning panel. Every round needs both updates
 * (`--min-updates 2` of 2 learners), so a committed round holds the tab's. The test checks that the
 * tab's training worker chose the `webgpu` backend when the browser offers an adapter, that the
 * tab's update is among the aggregated ones of every committed round, and that the tab and the Node
 * peer hold one hash. Where the machine's Chromium has no adapter at all, the test says so (a
 * diagnostic line, NO WEBGPU ADAPTER) and checks the fallback instead: the worker reports why it
 * skipped webgpu and trained on wasm, webgl or cpu, and the rounds still commit with the tab.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { LiveStatus } from '../../core/learning/live/index.ts'
import type { ModelStatus } from '../../node-runtime/learning/live-peer.ts'
import { launchChromium, openTab } from '../_support/chromium.ts'
import { LedgerCluster } from '../_support/ledger-cluster.ts'
import { modelStatus, startLearner, startLearningBoot, type Learner } from '../_support/learners.ts'
import { cleanup } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

const DEADLINE = 300_000
const ROUNDS = 2
const TASK = { hidden: '16', seed: '6', deadlineMs: '120000', minUpdates: '2' }

describe('live learning: a Chromium tab trains its mesh updates on WebGPU', { timeout: 900_000 }, () => {
  const cluster = new LedgerCluster()
  const learners: Learner[] = []
  let browser: Browser | undefined
  let tab: Page

  before(async () => {
    const { url } = await startLearningBoot(cluster)
    learners.push(await startLearner(cluster, 'node0', ['--data', 'mnist', '--max-train', '400', '--max-test', '300', '--hidden', TASK.hidden, '--seed', TASK.seed,
      '--deadline', TASK.deadlineMs, '--min-updates', TASK.minUpdates, '--rounds', String(ROUNDS), '--min-peers', '2', '--shard', '0/2']))
    browser = await launchChromium({ webgpu: true })
    tab = await openTab(browser, url, { name: 'tab', timeout: DEADLINE, width: 1300 })
    await tab.waitForSelector('[data-testid=learning-join]:not([disabled])')
    for (const [name, value] of Object.entries({ ...TASK, minLearners: '2', rounds: String(ROUNDS) })) await tab.fill(`[data-testid=learning-live-${name}]`, value)
    await tab.click('[data-testid=learning-join]')
  })
  after(async () => {
    await cleanup(async () => { await browser?.close() }, ...learners.map(l => async () => await l.proc.stop()), async () => { await cluster.stop() })
  })

  test('the tab\'s worker trains on webgpu (or, with no adapter, says so and uses the fallback); its update is in every committed round', async (t) => {
    const adapter = await tab.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter: () => Promise<{ info?: { vendor?: string, architecture?: string } } | null> } }).gpu
      const a = await gpu?.requestAdapter()
      return a == null ? null : `${a.info?.vendor ?? ''} ${a.info?.architecture ?? ''}`.trim()
    })
    let nodes: ModelStatus[] = []
    let mine: LiveStatus | undefined
    await waitFor(async () => {
      mine = await tab.evaluate('globalThis.__novacronLearning?.status()') as LiveStatus | undefined
      nodes = await Promise.all(learners.map(modelStatus))
      return mine != null && mine.round === ROUNDS && nodes.every(s => s.round === ROUNDS && s.held)
    }, {
      timeout: DEADLINE,
      interval: 1000,
      message: () => `round ${ROUNDS} on the tab and the Node peer; now tab ${mine?.round ?? 'not joined'} (${mine?.stats.updatesSent ?? 0} updates sent), node ${nodes.map(s => `${s.round} (failed ${s.stats.roundsFailed})`).join('; ')}`
    })
    const backend = await tab.evaluate('globalThis.__novacronLearning.backend') as string
    const text = await tab.evaluate('globalThis.__novacronLearning.backendText') as string
    if (adapter != null) {
      t.diagnostic(`WebGPU adapter "${adapter}": the tab's training worker ran on ${text}`)
      assert.equal(backend, 'webgpu', `the page has a WebGPU adapter (${adapter}), so the worker must train on it`)
    } else {
      t.diagnostic(`NO WEBGPU ADAPTER in this machine's Chromium (--enable-unsafe-webgpu): the WebGPU path was not exercised; checked the fallback instead (${text})`)
      assert.ok(['wasm', 'webgl', 'cpu'].includes(backend), `fallback backend ${backend}`)
    }
    const s = mine as LiveStatus
    assert.equal(s.task, nodes[0].task, 'the tab and the Node peer are learners of one task')
    assert.equal(new Set([s.hash, ...nodes.map(n => n.hash)]).size, 1, 'one committed hash')
    assert.equal(s.rounds.length, ROUNDS)
    for (const r of s.rounds) assert.ok(r.participants.includes(s.peerId), `round ${r.round}: the tab's ${backend} update is among the aggregated ones`)
  })
})
