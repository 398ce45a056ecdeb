/**
 * The network the federated rounds run over: per-link RTT and bandwidth between every pair of
 * clients (device-to-device) and between each client and the round's coordinator (the root).
 * On the live mesh these come from measured pings and transfer rates; the simulator generates them
 * with a documented, seeded model so TCS-FEEL has something real to optimise:
 *
 * - clients are placed uniformly at random in the unit square, the root at its centre;
 * - a link of length d has bandwidth `peakMbps / (1 + (d / 0.25)²)` (D2D peak 50 Mbit/s, client→root
 *   peak 20 Mbit/s: the shared uplink is the bottleneck, as in FEEL settings) and
 *   RTT `5 ms + 120 ms · d` (each ×(1 + 0.2·N(0,1)) clipped to ≥ 0.5×, independent per link);
 * - compute speed (local SGD steps per second) is log-normal around 60 steps/s (σ = 0.5).
 */
import type { Rng } from './rng.ts'

export interface Link { rttMs: number, mbps: number }

export interface Topology {
  /** links[i][j]: client i -> client j (symmetric). */
  links: Link[][]
  /** rootLinks[i]: client i -> root. */
  rootLinks: Link[]
  /** Local SGD steps per second of each client. */
  stepsPerSec: number[]
  positions: Array<[number, number]>
}

/** Seconds to move `bytes` over `link`: half an RTT plus serialisation. */
export function transferSeconds (link: Link, bytes: number): number {
  return link.rttMs / 2000 + (bytes * 8) / (link.mbps * 1e6)
}

function jitter (rng: Rng): number {
  return Math.max(0.5, 1 + 0.2 * rng.normal())
}

export function generateTopology (clients: number, rng: Rng): Topology {
  const positions: Array<[number, number]> = Array.from({ length: clients }, () => [rng.next(), rng.next()])
  const link = (d: number, peak: number): Link => ({
    rttMs: (5 + 120 * d) * jitter(rng),
    mbps: peak / (1 + (d / 0.25) ** 2) * jitter(rng)
  })
  const links: Link[][] = Array.from({ length: clients }, () => new Array<Link>(clients))
  for (let i = 0; i < clients; i++) {
    links[i][i] = { rttMs: 0, mbps: Infinity }
    for (let j = i + 1; j < clients; j++) {
      const d = Math.hypot(positions[i][0] - positions[j][0], positions[i][1] - positions[j][1])
      links[i][j] = links[j][i] = link(d, 50)
    }
  }
  const rootLinks = positions.map(p => link(Math.hypot(p[0] - 0.5, p[1] - 0.5), 20))
  const stepsPerSec = positions.map(() => 60 * Math.exp(0.5 * rng.normal()))
  return { links, rootLinks, stepsPerSec, positions }
}
