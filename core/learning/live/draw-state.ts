/**
 * The coordinator draw as each learner follows it (schedule.ts has the rules): a state machine fed
 * the task's committed ledger entries in order. It keeps the learners' join slots and draw keys,
 * collects every entry of slot J (the task's `minUpdates`-th join) for seed₁, knows the seed of
 * the next round, answers who is eligible and in what order, and checks a committed round's draw
 * before the round counts (then moves to the next seed).
 */
import { hexToBytes } from '@noble/hashes/utils.js'
import { checkDraw, coordinatorOrder, firstSeed, nextSeed, type SeedEntry } from './schedule.ts'

export class DrawState {
  /** each learner's join slot, draw key and committed sample count, in join order */
  readonly joins = new Map<string, { slot: number, vrf: Uint8Array, samples: number }>()
  private firstSlot: number | undefined
  private slotEntries: { slot: number, entries: SeedEntry[] } = { slot: -1, entries: [] }
  /** the slots of the rounds whose draw checked, in round order */
  private readonly roundSlots: number[] = []
  /** the seed of round `roundSlots.length + 1` (undefined until slot J was read whole) */
  private seed: Uint8Array | undefined

  constructor (private readonly task: string, private readonly minUpdates: number) {}

  /** Every committed entry, in ledger order (before it is applied): slot J's go into seed₁. */
  read (e: { slot: number, kind: string, author: string, data: Uint8Array }): void {
    if (e.slot !== this.slotEntries.slot) { this.seal(); this.slotEntries = { slot: e.slot, entries: [] } }
    this.slotEntries.entries.push({ kind: e.kind, author: e.author, data: e.data })
  }

  /** The log was read to its end: the last slot read is whole (a block's entries commit together). */
  endOfLog (): void { this.seal() }

  /** A learner's first valid `model.join` of the task. */
  join (author: string, slot: number, vrfHex: string, samples: number): void {
    if (this.joins.has(author)) return
    this.joins.set(author, { slot, vrf: hexToBytes(vrfHex), samples })
    if (this.joins.size === Math.max(1, this.minUpdates)) this.firstSlot = slot
  }

  get ready (): boolean { return this.seed != null }

  /** The seed of the next round (the one after the last checked). */
  get nextRoundSeed (): Uint8Array | undefined { return this.seed }

  /** Learners eligible for round r: joined at a slot ≤ Eᵣ. */
  eligible (round: number): string[] {
    if (this.firstSlot == null) return []
    const limit = round <= 2 ? this.firstSlot : (this.roundSlots[round - 3] ?? -1)
    return [...this.joins.entries()].filter(([, j]) => j.slot <= limit).map(([p]) => p)
  }

  /** The draw order of the next round (empty before seed₁). */
  order (): string[] {
    return this.seed == null ? [] : coordinatorOrder(this.seed, this.eligible(this.roundSlots.length + 1))
  }

  /**
   * Whether round `round` (the next one) committed at `slot` by `coordinator` with proof `drawHex`
   * was drawn: eligible and a valid proof. When it was, the state moves to the round after.
   */
  commit (round: number, slot: number, coordinator: string, drawHex: string): boolean {
    const key = this.joins.get(coordinator)
    if (this.seed == null || key == null || round !== this.roundSlots.length + 1 || !this.eligible(round).includes(coordinator)) return false
    const out = checkDraw(key.vrf, this.task, round, this.seed, hexToBytes(drawHex))
    if (out == null) return false
    this.seed = nextSeed(out)
    this.roundSlots.push(slot)
    return true
  }

  private seal (): void {
    if (this.firstSlot == null || this.seed != null || this.roundSlots.length > 0 || this.slotEntries.slot !== this.firstSlot) return
    this.seed = firstSeed(this.task, this.firstSlot, this.slotEntries.entries)
    this.onSeed?.()
  }

  /** Called once seed₁ is known (the service restarts its takeover clock then). */
  onSeed?: () => void
}
