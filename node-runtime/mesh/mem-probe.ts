/**
 * Debug-only memory probe for long-lived peers (issue 21): with `NOVACRON_MEMLOG_MS=<ms>` set, a
 * `novacron start` / `novacron peer` process writes one JSON line to stderr every <ms>:
 * `{"memlog":{t, rss, heapUsed, heapTotal, external, arrayBuffers, stats}}` (bytes; `stats` is
 * `MeshNode.streamStats()`). The soak benchmark and test read RSS from /proc instead; this is the
 * tool that found the cause (docs/mesh.md, "Long-lived peers").
 */
import type { MeshNode } from '../../core/net/index.ts'

/** Starts the probe when the variable is set; returns the function that stops it. */
export function startMemProbe (node: MeshNode, write: (line: string) => void, env: NodeJS.ProcessEnv = process.env): () => void {
  const ms = Number(env.NOVACRON_MEMLOG_MS)
  if (!Number.isFinite(ms) || ms <= 0) return () => {}
  const sample = async (): Promise<void> => {
    const m = process.memoryUsage()
    const pcs: Array<{ open?: number, closed?: number }> = []
    for (const c of node.libp2p.getConnections()) {
      const pc = (c as unknown as { muxer?: { peerConnection?: RTCPeerConnection } }).muxer?.peerConnection
      if (pc == null) continue
      const report = await pc.getStats()
      const p = report.get('P') as { dataChannelsOpened?: number, dataChannelsClosed?: number } | undefined
      pcs.push({ open: p?.dataChannelsOpened, closed: p?.dataChannelsClosed })
    }
    write(JSON.stringify({ memlog: { t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, stats: node.streamStats(), pcs } }) + '\n')
  }
  const run = (): void => { sample().catch(err => { write(`memlog failed: ${String(err)}\n`) }) }
  const timer = setInterval(run, ms)
  timer.unref()
  run()
  return () => { clearInterval(timer) }
}
