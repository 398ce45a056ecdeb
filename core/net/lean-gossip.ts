/**
 * Gossipsub options for an ordinary peer (`leanGossip` in config.ts, on by default; a hub takes
 * `hub-gossip.ts` instead).
 *
 * The mesh's idle gossip is small and steady: a topology keep-alive per peer every 5 s, an address
 * announcement every 10 s, the ledger's records and state entries when something happens. With the
 * stock options each peer forwarded every message to 6–12 topic-mesh peers, sent an IDONTWANT to
 * each of them for every message of 512 bytes or more it received (topology announcements listing
 * a dozen neighbours are over that), and IHAVE gossip to 6 more peers per topic every heartbeat —
 * most of a peer's WebRTC sends in an idle mesh of 16, and most of its CPU (docs/mesh.md, "The idle
 * mesh's sends"). What stays: every message still reaches every subscriber — the author sends it to
 * all its topic peers (`floodPublish`, unchanged), each receiver forwards it to a mesh of D, and
 * IHAVE gossip repairs what a mesh missed.
 */

/** Gossipsub options (`@libp2p/gossipsub` 17 `GossipsubOpts`) merged into an ordinary peer's. */
export const LEAN_GOSSIP = {
  /** topic mesh degree: 4 (stock 6), grafting below 3 (4), pruning above 6 (12) */
  D: 4,
  Dlo: 3,
  Dhi: 6,
  /** peers kept by score when pruning (stock 4): at most D */
  Dscore: 2,
  /** IHAVE gossip to at least 3 peers per topic and heartbeat (stock 6) */
  Dlazy: 3,
  /**
   * IDONTWANT only for messages of 16 KiB or more (stock 512 B), as on the hub: for the mesh's
   * 0.2–4 KiB messages the IDONTWANT to every mesh peer costs more sends than the duplicates it
   * spares (each dropped by its fast message id before any signature check, fast-msg-id.ts)
   */
  idontwantMinDataSize: 16 * 1024
} as const
