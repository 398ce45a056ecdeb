/**
 * The HTTP side of `novacron start`: serves the built app (`dist/app`) and `GET /bootstrap.json`
 * (the bootstrap's peer id and multiaddrs, which a tab needs before it can join, and a few peers
 * it can dial over WebRTC at once instead of waiting for peer discovery), and `GET /metrics`
 * (Prometheus text, docs/metrics.md) when given an exporter.
 *
 * Files are served cross-origin isolated (COOP/COEP, see `ISOLATION`).
 *
 * A tiny static server on `node:http` rather than a framework: it serves one folder of vite
 * output, read-only, and refuses any path that escapes that folder.
 */
import { createServer, type Server } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { PeerHint } from '../../core/net/index.ts'
import { serveMetrics } from '../metrics/server.ts'
import type { PrometheusExport } from '../metrics/prometheus.ts'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream'
}

export interface BootstrapInfo {
  peerId: string
  multiaddrs: string[]
  /** Peers a newcomer can dial at once over WebRTC (the bootstrap's `MeshNode.introductions()`). */
  peers?: PeerHint[]
}

export interface AppServerInit {
  root: string
  bootstrap: () => BootstrapInfo | Promise<BootstrapInfo>
  /** Serves `GET /metrics` when present. */
  metrics?: PrometheusExport
}

/**
 * Cross-origin isolation for every file of the app: a page served so gets `SharedArrayBuffer`,
 * which live migration's control word between the page and a task's Web Worker needs
 * (app/migration/tab-migration.ts). The app loads only same-origin files, so `require-corp`
 * blocks nothing it uses; WebSocket and WebRTC connections are not subject to it.
 */
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }

const NOT_BUILT = '<!doctype html><meta charset="utf-8"><title>NovaCron Edge</title><p>The app is not built. Run <code>npm start</code> (or <code>npm run build</code>) to build <code>dist/app</code>.</p>'

export function createAppServer (init: AppServerInit): Server {
  const root = resolve(init.root)
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (init.metrics != null && serveMetrics(init.metrics, req, res)) return
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return }
    if (url.pathname === '/bootstrap.json') {
      void Promise.resolve().then(init.bootstrap).then(info => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        res.end(JSON.stringify(info))
      }, err => {
        res.writeHead(500, { 'content-type': TYPES['.txt'] }).end(`error: ${(err as Error).message}\n`)
      })
      return
    }
    void serveFile(root, url.pathname).then(found => {
      if (found == null) {
        if (url.pathname === '/' || url.pathname === '/index.html') { res.writeHead(200, { 'content-type': TYPES['.html'], ...ISOLATION }).end(NOT_BUILT); return }
        res.writeHead(404, { 'content-type': TYPES['.txt'] }).end('not found\n')
        return
      }
      res.writeHead(200, { 'content-type': TYPES[extname(found.path)] ?? 'application/octet-stream', 'content-length': found.body.length, ...ISOLATION })
      res.end(req.method === 'HEAD' ? undefined : found.body)
    }, err => {
      res.writeHead(500, { 'content-type': TYPES['.txt'] }).end(`error: ${(err as Error).message}\n`)
    })
  })
}

async function serveFile (root: string, pathname: string): Promise<{ path: string, body: Buffer } | undefined> {
  let rel: string
  try { rel = decodeURIComponent(pathname) } catch { return undefined }
  const path = resolve(root, '.' + normalize(rel === '/' ? '/index.html' : rel))
  if (path !== root && !path.startsWith(root + sep)) return undefined
  try {
    const s = await stat(path)
    const file = s.isDirectory() ? join(path, 'index.html') : path
    return { path: file, body: await readFile(file) }
  } catch {
    return undefined
  }
}

/** Listens on host:port; rejects with the raw listen error (EADDRINUSE, EACCES, ...). */
export async function listen (server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => { server.off('listening', onListening); reject(err) }
    const onListening = (): void => { server.off('error', onError); resolve() }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
  const addr = server.address()
  return typeof addr === 'object' && addr != null ? addr.port : port
}

export async function close (server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>(resolve => server.close(() => { resolve() }))
}
