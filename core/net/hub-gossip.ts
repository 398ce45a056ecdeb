/**
 * Gossipsub options for a hub: the bootstrap, which every peer keeps a link to (`hubGossip` in
 * config.ts, on by default for role 'bootstrap').
 *
 * Every peer's first link goes to the bootstrap, so gossipsub lists the whole mesh as its topic
 * peers and keeps D–Dhi (6–12) of them in each topic's mesh, forwarding every message to all of
 * those; and for every message of 512 bytes or more it receives it sends an IDONTWANT to each of
 * them (gossipsub v1.2), one WebSocket write each. At n = 20 the saturated bootstrap (relay for
 * every WebRTC dial's signalling, a replica, the newcomers' first chain source) spent 17 % of its
 * time forwarding, 12 % validating before forwarding, 5.5 % on IDONTWANTs and 18 % in `writev`
 * (docs/ledger.md). A smaller mesh there costs the others little: the peers keep their own WebRTC
 * links (`maxPeers`) and their own meshes over them, a newcomer the hub pruned still hears
 * everything through the hub's IHAVE gossip (Dlazy 6 per heartbeat) and its first WebRTC links,
 * and the hub's own messages are flood-published to every peer regardless (`floodPublish`).
 */

/** Gossipsub options (`@libp2p/gossipsub` 17 `GossipsubOpts`) merged into a hub's. */
export const HUB_GOSSIP = {
  /** topic mesh degree: 3 (stock 6), grafting below 2 (4), pruning above 4 (12) */
  D: 3,
  Dlo: 2,
  Dhi: 4,
  /** peers kept by score when pruning, the rest at random (stock 4, above D here) */
  Dscore: 2,
  /** outbound peers kept in the mesh: < Dlo and ≤ D / 2 (stock 2); a hub dials out to nobody */
  Dout: 1,
  /**
   * IDONTWANT only for messages of 16 KiB or more (stock 512 B): the mesh's messages (records,
   * topology, discovery, state updates) are mostly 0.2–4 KiB, where the IDONTWANT write to every
   * mesh peer costs the hub more than the duplicate it would spare (dropped by its fast message id
   * before any signature check, fast-msg-id.ts)
   */
  idontwantMinDataSize: 16 * 1024
} as const
