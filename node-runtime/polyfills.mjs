/**
 * Node 20 polyfills for libp2p 3.x, which assumes Node 22.
 *
 * Loaded before anything imports libp2p: by `bin/novacron.mjs`, by the test runner (`--import`) and
 * by the benchmark runner. Plain JavaScript so it runs before the TypeScript loader is registered.
 */
import { createRequire } from 'node:module'

if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

// @libp2p/websockets dials with the global WebSocket; Node 20 has one only behind a flag.
// `ws` is an EventEmitter: an 'error' with no listener throws and kills the process. libp2p stops
// listening for 'error' once a dial is aborted or the socket is open (a browser WebSocket never
// throws), so a bootstrap that resets a connection (ECONNRESET) would crash a Node peer. Keep one
// no-op listener; errors still reach libp2p's listeners and are followed by 'close'.
//
// Loaded on first use (a getter that replaces itself): `ws` costs a short command such as
// `novacron issues list` tens of milliseconds at start-up, and only the mesh commands use it.
// `require` rather than `import`: Node would run its CommonJS export lexer over ws's files.
function nodeWebSocket () {
  const { WebSocket: WsWebSocket } = createRequire(import.meta.url)('ws')
  return class NodeWebSocket extends WsWebSocket {
    constructor (...args) {
      super(...args)
      this.on('error', () => {})
    }
  }
}
if (typeof globalThis.WebSocket !== 'function') {
  Object.defineProperty(globalThis, 'WebSocket', {
    configurable: true,
    enumerable: false,
    get () {
      const WebSocket = nodeWebSocket()
      Object.defineProperty(globalThis, 'WebSocket', { value: WebSocket, writable: true, configurable: true, enumerable: false })
      return WebSocket
    },
    set (value) {
      Object.defineProperty(globalThis, 'WebSocket', { value, writable: true, configurable: true, enumerable: false })
    }
  })
}
