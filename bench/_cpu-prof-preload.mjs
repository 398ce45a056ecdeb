/**
 * Scratch preload (issue 15): a CPU profile of a peer process over a window its benchmark picks.
 * Node 20 refuses `--cpu-prof` in NODE_OPTIONS but takes `--import`, so a benchmark starts chosen
 * peers with `NODE_OPTIONS=--import <this file>` and `NOVACRON_CPU_PROF_DIR=<dir>`; the first
 * SIGUSR2 starts V8's sampling profiler (inspector, in process), the next one stops it and writes
 * `<dir>/<pid>-<ms>.cpuprofile`. Main thread only (workers get no signals); nothing happens
 * without the variable. Read with bench/_cpu-profile-split.ts.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { isMainThread } from 'node:worker_threads'

const dir = process.env.NOVACRON_CPU_PROF_DIR
if (dir != null && dir !== '' && isMainThread) {
  const session = new Session()
  session.connect()
  const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (err, res) => err != null ? reject(err) : resolve(res)))
  let running = false
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true
      void post('Profiler.enable').then(() => post('Profiler.setSamplingInterval', { interval: Number(process.env.NOVACRON_CPU_PROF_INTERVAL_US ?? 500) })).then(() => post('Profiler.start'))
    } else {
      running = false
      void post('Profiler.stop').then(({ profile }) => {
        writeFileSync(`${dir}/${process.pid}-${Date.now()}.cpuprofile`, JSON.stringify(profile))
        process.stderr.write(`cpu profile written for ${process.pid}\n`)
      })
    }
  })
}
