/** The gossipsub topics the mesh itself owns (its codecs: mesh-codec.ts and discovery-codec.ts). */
export const TOPOLOGY_TOPIC = 'novacron/topology/1'
export const BROADCAST_TOPIC = 'novacron/broadcast/1'
/** Gossipsub topic of pubsub peer discovery for this mesh (not the global one). */
export const DISCOVERY_TOPIC = 'novacron._peer-discovery._p2p._pubsub'
