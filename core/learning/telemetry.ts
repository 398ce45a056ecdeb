/**
 * Seeded synthetic mesh telemetry for the product's own models, until the mesh records real
 * traces. Every generator is a documented stochastic model (see docs/learning.md §Telemetry):
 *
 * - `linkTraces`: per link, 1-second samples of throughput (Mbit/s) and RTT (ms). A two-state
 *   Markov regime (clear ↔ congested, switch prob. 0.03 / 0.10 per step) scales a log-normal base
 *   bandwidth by 1 or 0.35; an AR(1) term (φ = 0.9, σ = 0.08) adds drift; RTT = base RTT ×
 *   (1 + 1.5·congestion + 0.3·AR) + |N(0, 2 ms)|.
 * - `peerSessions`: peers with a device class (server / desktop / mobile), tab visibility and
 *   history; remaining lifetime is Weibull(k = 0.8, scale by class, halved when hidden, ×(1 + past
 *   stability)); label = stays ≥ `horizonMin` minutes.
 * - `consensusRuns`: committee size n, quorum q, per-member log-normal delays around a mean RTT;
 *   latency = Σ over 3 phases of the q-th order statistic of member delays + 0.4 ms per member of
 *   processing, ×(1 + load).
 * - `payloadSamples`: real byte payloads of four kinds (random, text-like, sparse model update,
 *   JSON-like) of 1–64 KiB; the caller measures them with the real LZ4 codec.
 */
import { createRng } from './rng.ts'

export interface LinkTrace { throughput: Float32Array, rtt: Float32Array }

export function linkTraces (links: number, steps: number, seed: number): LinkTrace[] {
  const rng = createRng(seed).fork('links')
  return Array.from({ length: links }, (_, l) => {
    const r = rng.fork(l)
    const base = 20 * Math.exp(0.8 * r.normal())
    const baseRtt = 10 + 80 * r.next()
    let congested = false
    let ar = 0
    const throughput = new Float32Array(steps)
    const rtt = new Float32Array(steps)
    for (let t = 0; t < steps; t++) {
      if (r.next() < (congested ? 0.10 : 0.03)) congested = !congested
      ar = 0.9 * ar + 0.08 * r.normal()
      throughput[t] = Math.max(0.1, base * (congested ? 0.35 : 1) * Math.exp(ar))
      rtt[t] = baseRtt * (1 + (congested ? 1.5 : 0) + 0.3 * Math.abs(ar)) + Math.abs(2 * r.normal())
    }
    return { throughput, rtt }
  })
}

export interface PeerSample { features: number[], stays: boolean }
export const DEVICE_CLASSES = ['server', 'desktop', 'mobile'] as const

export function peerSessions (count: number, horizonMin: number, seed: number): PeerSample[] {
  const rng = createRng(seed).fork('peers')
  const scale = { server: 600, desktop: 90, mobile: 20 } // minutes
  return Array.from({ length: count }, () => {
    const cls = DEVICE_CLASSES[rng.int(3)]
    const hidden = rng.next() < (cls === 'mobile' ? 0.5 : 0.2)
    const pastSessions = 1 + rng.int(20)
    const stability = rng.next() // fraction of past sessions that lasted > 1 h
    const uptime = -Math.log(Math.max(rng.next(), 1e-9)) * 30 // minutes already up
    const rttMs = 20 + 100 * rng.next() + (cls === 'mobile' ? 60 : 0)
    const lam = scale[cls] * (hidden ? 0.5 : 1) * (1 + stability)
    const remaining = lam * Math.pow(-Math.log(Math.max(rng.next(), 1e-12)), 1 / 0.8)
    const features = [cls === 'server' ? 1 : 0, cls === 'desktop' ? 1 : 0, cls === 'mobile' ? 1 : 0, hidden ? 1 : 0, Math.log1p(uptime) / 5, stability, Math.log1p(pastSessions) / 3, rttMs / 200]
    return { features, stays: remaining >= horizonMin }
  })
}

export interface ConsensusSample { features: number[], latencyMs: number }

export function consensusRuns (count: number, seed: number): ConsensusSample[] {
  const rng = createRng(seed).fork('consensus')
  return Array.from({ length: count }, () => {
    const n = 4 + rng.int(61)
    const q = Math.floor((2 * n) / 3) + 1
    const meanRtt = 10 + 190 * rng.next()
    const spread = 0.2 + 0.8 * rng.next()
    const load = rng.next()
    let total = 0
    for (let phase = 0; phase < 3; phase++) {
      const d = Array.from({ length: n }, () => meanRtt * Math.exp(spread * rng.normal() - spread * spread / 2)).sort((a, b) => a - b)
      total += d[q - 1]
    }
    const latencyMs = (total + 0.4 * n) * (1 + load)
    return { features: [n / 64, q / 64, meanRtt / 200, spread, load], latencyMs }
  })
}

export type PayloadKind = 'random' | 'text' | 'sparse-update' | 'json'
export const PAYLOAD_KINDS: readonly PayloadKind[] = ['random', 'text', 'sparse-update', 'json']

export function payloadSamples (count: number, seed: number): Array<{ kind: PayloadKind, data: Uint8Array, mbps: number, cpu: number }> {
  const rng = createRng(seed).fork('payloads')
  const words = ['mesh', 'peer', 'block', 'vote', 'round', 'update', 'quorum', 'relay', 'tab', 'node', 'the', 'of', 'and']
  return Array.from({ length: count }, () => {
    const kind = PAYLOAD_KINDS[rng.int(4)]
    const size = 1024 << rng.int(7) // 1..64 KiB
    const data = new Uint8Array(size)
    if (kind === 'random') for (let i = 0; i < size; i++) data[i] = rng.int(256)
    else if (kind === 'text') { let i = 0; while (i < size) { const w = words[rng.int(words.length)]; for (let k = 0; k < w.length && i < size; k++) data[i++] = w.charCodeAt(k); if (i < size) data[i++] = 32 } }
    else if (kind === 'sparse-update') { const dv = new DataView(data.buffer); for (let i = 0; i + 4 <= size; i += 4) if (rng.next() < 0.1) dv.setFloat32(i, rng.normal() * 0.01, true) }
    else { let i = 0; while (i < size) { const s = `{"peer":"${rng.int(50)}","rtt":${rng.int(300)},"ok":${rng.next() < 0.9}},`; for (let k = 0; k < s.length && i < size; k++) data[i++] = s.charCodeAt(k) } }
    return { kind, data, mbps: Math.exp(Math.log(0.5) + rng.next() * Math.log(2000)), cpu: 0.25 + rng.next() * 1.75 }
  })
}

/** Shannon entropy of the byte histogram of `data` (bits per byte, 0..8). */
export function byteEntropy (data: Uint8Array): number {
  const h = new Float64Array(256)
  for (const b of data) h[b]++
  let e = 0
  for (const c of h) if (c > 0) { const p = c / data.length; e -= p * Math.log2(p) }
  return e
}
