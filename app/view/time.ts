/**
 * Durations in words a person reads at a glance ("in 10 min", "2 h"), not raw seconds ("in 598
 * s"). Below a minute, seconds; below an hour, whole minutes (rounded); then hours, then days.
 * Pure, so it is tested without a page.
 */

/** A non-negative duration in words: `45 s`, `10 min`, `2 h 5 min`, `3 days`. */
export function duration (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const min = Math.round(s / 60)
  if (min < 60) return `${min} min`
  const h = Math.floor(min / 60)
  const rest = min % 60
  if (h < 24) return rest === 0 ? `${h} h` : `${h} h ${rest} min`
  const d = Math.round(h / 24)
  return d === 1 ? '1 day' : `${d} days`
}

/** When `at` is, from `now`: `in 10 min`, `now`, or `5 s ago`. */
export function relative (at: number, now: number): string {
  const delta = at - now
  if (Math.abs(delta) < 500) return 'now'
  return delta > 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`
}
