/**
 * Builds the browser app (index.html + app/) into dist/app, which `novacron start` serves.
 *
 * libp2p ships browser entry points through package.json `browser` fields (e.g. @libp2p/webrtc
 * swaps its node-datachannel transport for the browser's RTCPeerConnection), which Vite follows
 * for a client build, so no Node-only module reaches the bundle. libp2p uses top-level await and
 * modern syntax: target ES2022.
 */
import { readFileSync } from 'node:fs'
import { defineConfig } from 'vite'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }

export default defineConfig({
  root: '.',
  base: '/',
  publicDir: false,
  // the build a tab announces in its version handshake (core/net/wire-version.ts)
  define: { __NOVACRON_BUILD__: JSON.stringify(pkg.version) },
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // the libp2p stack alone is ~550 kB minified; one chunk loads fastest for a page that needs all of it
    chunkSizeWarningLimit: 2048
  },
  // the learning panel's worker imports tfjs and its backends: ES module workers (Chromium, Firefox
  // and Safari all run them), so its chunks load like the page's
  worker: { format: 'es' },
  server: { host: '127.0.0.1' }
})
