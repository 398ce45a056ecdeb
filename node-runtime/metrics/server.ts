/**
 * The `--metrics-port` server of `novacron peer`: `GET /metrics` (Prometheus text) on 127.0.0.1
 * only, nothing else. (`novacron start` serves the same path on its app port, http-server.ts.)
 */
import { createServer, type Server } from 'node:http'
import type { PrometheusExport } from './prometheus.ts'

/** Answers `GET /metrics` with the export; true when it handled the request. */
export function serveMetrics (exporter: PrometheusExport, req: { method?: string, url?: string }, res: import('node:http').ServerResponse): boolean {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
  if (path !== '/metrics') return false
  if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return true }
  exporter.text().then(text => {
    res.writeHead(200, { 'content-type': exporter.contentType, 'cache-control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : text)
  }, err => {
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`error: ${(err as Error).message}\n`)
  })
  return true
}

export function createMetricsServer (exporter: PrometheusExport): Server {
  return createServer((req, res) => {
    if (!serveMetrics(exporter, req, res)) res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /metrics\n')
  })
}
