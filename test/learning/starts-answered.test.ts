/**
 * When a coordinator's own training begins (core/learning/live/coordinator.ts `startsAnswered`):
 * once every `start` is answered; or, once half of them are, as long again as that took (at least
 * STARTS_SLACK_MS); at most OWN_TRAIN_WAIT_MS. Before, a round that selected a killed learner
 * (linked still, its `start` never answered) held the coordinator's own training for the whole
 * OWN_TRAIN_WAIT_MS, and its own update came last (docs/learning.md, "The kill round"). Fake timers
 * and a fake clock; the `start` calls are promises the test settles.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, mock, test } from 'node:test'
import { OWN_TRAIN_WAIT_MS, STARTS_SLACK_MS, startsAnswered } from '../../core/learning/live/coordinator.ts'

interface Call { p: Promise<void>, answer: () => void }

function call (): Call {
  let answer: () => void = () => {}
  const p = new Promise<void>(resolve => { answer = resolve })
  return { p, answer }
}

/** lets every settled promise's callbacks run (setImmediate is not faked) */
async function flush (): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise(resolve => setImmediate(resolve))
}

/** starts waiting on `calls`; `began()` says whether the wait is over */
function waitOn (calls: Call[]): { began: () => boolean } {
  let over = false
  void startsAnswered(calls.map(c => c.p), Date.now).then(() => { over = true })
  return { began: () => over }
}

/** asserts that the wait is still on `ms` - 1 ms from now and over at `ms` */
async function assertBeginsIn (w: { began: () => boolean }, ms: number): Promise<void> {
  mock.timers.tick(ms - 1)
  await flush()
  assert.equal(w.began(), false, `not before ${ms} ms`)
  mock.timers.tick(1)
  await flush()
  assert.equal(w.began(), true, `at ${ms} ms`)
}

beforeEach(() => { mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }) })
afterEach(() => { mock.timers.reset() })

test('every start answered: training begins at once', async () => {
  const calls = [call(), call(), call()]
  const w = waitOn(calls)
  mock.timers.tick(40)
  for (const c of calls) c.answer()
  await flush()
  assert.equal(w.began(), true)
})

test('half answered (a killed learner\'s start never is): as long again as that took, not OWN_TRAIN_WAIT_MS', async () => {
  // 7 others selected, 3 of them killed: the 4th answer (half, rounded up) at 120 ms
  const calls = Array.from({ length: 7 }, call)
  const w = waitOn(calls)
  mock.timers.tick(60)
  calls[0].answer(); calls[1].answer(); calls[2].answer()
  await flush()
  mock.timers.tick(60)
  calls[3].answer()
  await flush()
  // as long again (120 ms) after the half, at 240 ms: not OWN_TRAIN_WAIT_MS
  await assertBeginsIn(w, 120)
})

test('half answered at once: at least STARTS_SLACK_MS more; the rest answering ends the wait sooner', async () => {
  const calls = [call(), call(), call(), call()]
  const w = waitOn(calls)
  calls[0].answer(); calls[1].answer()
  await flush()
  await assertBeginsIn(w, STARTS_SLACK_MS)
  // and when the slower half does answer within the slack, the wait ends with its last answer
  const more = [call(), call(), call(), call()]
  const w2 = waitOn(more)
  for (const c of more.slice(0, 2)) c.answer()
  await flush()
  mock.timers.tick(10)
  for (const c of more.slice(2)) c.answer()
  await flush()
  assert.equal(w2.began(), true)
})

test('fewer than half answered: OWN_TRAIN_WAIT_MS at most', async () => {
  const calls = [call(), call(), call(), call(), call()]
  const w = waitOn(calls)
  calls[0].answer()
  await flush()
  await assertBeginsIn(w, OWN_TRAIN_WAIT_MS)
})

test('no start to wait for: at once', async () => {
  const w = waitOn([])
  await flush()
  assert.equal(w.began(), true)
})
