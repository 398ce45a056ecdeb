/**
 * WarmArrivals (core/migration/warm-arrivals.ts): workers made ahead for arriving tasks are
 * bounded in number, one per slot, handed to a run once, and released when replaced, expired or
 * stopped. The runner's side (a run taking a warm worker) is in worker-pause.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { WarmSpec, WarmWorker } from '../../core/jobs/runner.ts'
import { WarmArrivals } from '../../core/migration/warm-arrivals.ts'
import { waitFor } from '../_support/wait.ts'

/** a stand-in for the runner's warm workers: counts releases */
function fakeWarm (): { warm: (spec: WarmSpec) => WarmWorker, made: Array<WarmWorker & { released: boolean }> } {
  const made: Array<WarmWorker & { released: boolean }> = []
  return {
    made,
    warm: () => {
      const w = { released: false, based: Promise.resolve(undefined), get spent () { return this.released }, release () { this.released = true } }
      made.push(w)
      return w
    }
  }
}
const spec = (memoryBytes = 1 << 20): WarmSpec => ({ module: new Uint8Array(8), limits: {}, memoryBytes })

test('at most `max` held, one per slot; a run takes one once; stop releases the rest', () => {
  const f = fakeWarm()
  const a = new WarmArrivals(f.warm, { max: 2 })
  a.add('1.0/0/0', spec())
  a.add('1.0/0/0', spec()) // the slot's new offer replaces the first
  assert.equal(f.made.length, 2)
  assert.equal(f.made[0].released, true)
  a.add('1.0/1/0', spec())
  a.add('1.0/2/0', spec()) // over the bound: not made
  a.add('1.0/3/0', spec(0)) // size unknown: not made
  assert.equal(f.made.length, 3)
  assert.equal(a.take('1.0/0/0'), f.made[1])
  assert.equal(a.take('1.0/0/0'), undefined, 'taken once')
  assert.equal(f.made[1].released, false, 'the run owns it now')
  a.stop()
  assert.equal(f.made[2].released, true)
  assert.deepEqual(a.stats, { made: 3, taken: 1, expired: 0 })
})

test('one no run took is released after the TTL', async () => {
  const f = fakeWarm()
  const a = new WarmArrivals(f.warm, { ttlMs: 20 })
  a.add('1.0/0/0', spec())
  await waitFor(() => f.made[0].released, { timeout: 5000, message: 'the unused warm worker released' })
  assert.equal(a.take('1.0/0/0'), undefined)
  assert.equal(a.stats.expired, 1)
})
