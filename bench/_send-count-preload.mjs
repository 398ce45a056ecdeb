/**
 * Scratch preload (issue 15): counts what a peer process sends, for bench/_idle-mesh-probe.ts.
 * Started with `NODE_OPTIONS=--import <this file>` and `NOVACRON_SEND_COUNT_DIR=<dir>`; every
 * second it writes `<dir>/<pid>.json` with running totals:
 * - `dcSends` / `dcBytes`: WebRTC data-channel sends (node-datachannel's polyfill `send`: every
 *   stream's frames on a direct link, whoever sends them);
 * - gossipsub RPCs sent, by what they carry (`rpcs`, `messages`, `ihave`/`ihaveIds`, `iwant`,
 *   `graft`, `prune`, `idontwant`, `subscriptions`), counted only when the process runs
 *   from source (NOVACRON_NO_BUNDLE=1): the bundle holds its own copy of gossipsub (`gossipsub`
 *   false in the file then).
 * Nothing happens without the variable; main thread only.
 */
import { writeFileSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'

const dir = process.env.NOVACRON_SEND_COUNT_DIR
if (dir != null && dir !== '' && isMainThread) {
  const c = { gossipsub: false, dcSends: 0, dcBytes: 0, rpcs: 0, messages: 0, ihave: 0, ihaveIds: 0, iwant: 0, graft: 0, prune: 0, idontwant: 0, subscriptions: 0 }
  const { RTCDataChannel } = await import('node-datachannel/polyfill')
  const send = RTCDataChannel.prototype.send
  RTCDataChannel.prototype.send = function (data) {
    c.dcSends++
    c.dcBytes += data?.byteLength ?? data?.length ?? 0
    return send.call(this, data)
  }
  try {
    // the class is not exported: its module, by file (the same URL the package's index imports)
    const { GossipSub } = await import(new URL('./gossipsub.js', import.meta.resolve('@libp2p/gossipsub')).href)
    const tally = (rpc, copies) => {
      c.rpcs += copies
      if ((rpc.messages?.length ?? 0) > 0) c.messages += rpc.messages.length * copies
      if ((rpc.subscriptions?.length ?? 0) > 0) c.subscriptions += copies
      const ctl = rpc.control
      if (ctl == null) return
      if ((ctl.ihave?.length ?? 0) > 0) { c.ihave += copies; c.ihaveIds += ctl.ihave.reduce((n, h) => n + (h.messageIDs?.length ?? 0), 0) * copies }
      if ((ctl.iwant?.length ?? 0) > 0) c.iwant += copies
      if ((ctl.graft?.length ?? 0) > 0) c.graft += copies
      if ((ctl.prune?.length ?? 0) > 0) c.prune += copies
      if ((ctl.idontwant?.length ?? 0) > 0) c.idontwant += copies
    }
    const sendRpc = GossipSub.prototype.sendRpc
    GossipSub.prototype.sendRpc = function (id, rpc) {
      const ok = sendRpc.call(this, id, rpc)
      if (ok) tally(rpc, 1)
      return ok
    }
    const inBatch = GossipSub.prototype.sendRpcInBatch
    GossipSub.prototype.sendRpcInBatch = function (tosend, rpc) {
      let copies = 0
      for (const id of tosend) if (this.streamsOutbound.has(id)) copies++
      tally(rpc, copies)
      return inBatch.call(this, tosend, rpc)
    }
    c.gossipsub = true
  } catch (err) {
    process.stderr.write(`send-count preload: gossipsub not patched: ${err.message}\n`)
  }
  setInterval(() => { writeFileSync(`${dir}/${process.pid}.json`, JSON.stringify({ t: Date.now(), ...c })) }, 1000).unref()
}
