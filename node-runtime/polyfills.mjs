/**
 * Node 20 polyfills for libp2p 3.x, which assumes Node 22.
 *
 * Loaded before anything imports libp2p: by `bin/novacron.mjs`, by the test runner (`--import`) and
 * by the benchmark runner. Plain JavaScript so it runs before the TypeScript loader is registered.
 */
import { WebSocket as WsWebSocket } from 'ws'

if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

// @libp2p/websockets dials with the global WebSocket; Node 20 has one only behind a flag.
if (typeof globalThis.WebSocket !== 'function') {
  globalThis.WebSocket = WsWebSocket
}
