/**
 * Releases node-datachannel's native WebRTC threads once every mesh node in this process has
 * stopped.
 *
 * @libp2p/webrtc closes each RTCPeerConnection it finishes with, but a dial that hung and was
 * aborted mid-ICE (the known intermittent hang) can leave a native peer connection behind, and its
 * thread-safe callbacks keep Node's event loop alive forever (js-libp2p#2625). node-datachannel's
 * `cleanup()` closes them all — process-wide, so it is called only when nothing in the process
 * still uses WebRTC (libp2p itself stopped calling it on transport close for that reason, #2498).
 * This is Node-only, hence here and not in core/net.
 */
import { cleanup } from 'node-datachannel'

export function releaseWebRTC (): void {
  cleanup()
}
