/**
 * ProBFT consensus (and the PBFT baseline) as a pure state machine, its codec, quorum sizing,
 * and the seeded simulator that runs it. See README.md in this folder for the exact rules.
 */
export { Replica, createReplica } from './replica.ts'
export type { ReplicaInit, ReplicaComponents, Action, ReplicaStats, SlotCertificate } from './replica.ts'
export {
  readMessage, MSG_HEADER, MSG_PROPOSE, MSG_PREPARE, MSG_COMMIT, MSG_VIEW_CHANGE, MSG_NEW_VIEW, MSG_DECISION, MSG_DECISION_REQUEST
} from './codec.ts'
export type { Message, Header, Propose, Vote, ViewChange, NewView, Decision, DecisionRequest } from './codec.ts'
export { ConsensusError, MessageDecodeError, UnknownMessageTypeError, NonCanonicalEncodingError, ConsensusConfigError } from './errors.ts'
export { createConsensusCrypto, memoizeVerification, deriveReplicaKeys, vrfAlpha, nobleSignatures, PHASE_PREPARE, PHASE_COMMIT } from './crypto.ts'
export type { AsyncSignatureCheck, ConsensusCrypto, ConsensusCryptoInit, MemoizedCrypto, ReplicaKeys, PublicIdentity, SignatureVerifier, VerificationStats } from './crypto.ts'
export { webCryptoEd25519 } from './webcrypto-ed25519.ts'
export { signaturesOf } from './signatures-of.ts'
export type { SignedTriple } from './signatures-of.ts'
export { solveProbft, evalProbft, pbftQuorum, sampleSizeFor } from './quorum.ts'
export type { QuorumMath, ProbftParams, ProbftSizing } from './quorum.ts'
export { leaderOf, checkCertificate, checkVote } from './validate.ts'
export type { ValidationContext } from './validate.ts'
export type { Protocol, RejectReason } from './validate.ts'
export type { Evidence } from './state.ts'
export { simulate } from './sim/simulate.ts'
export type { SimOptions, SimResult } from './sim/simulate.ts'
export { STRATEGIES } from './sim/adversary.ts'
export type { Strategy } from './sim/adversary.ts'
