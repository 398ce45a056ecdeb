/** Per-process figures for benchmarks that run peer processes: CPU time from /proc. */
import { readFileSync } from 'node:fs'

/** utime + stime of a process in ms (0 when it is gone). */
export function cpuMs (pid: number | undefined): number {
  if (pid == null) return 0
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 1000 / 100 // utime + stime in clock ticks (100 Hz)
  } catch { return 0 }
}
