/**
 * The settings a committed `config {key, value}` entry may change, as one typed table: the CLI
 * validates a value against it before submitting, and every peer validates again when it applies
 * the entry (a refused entry is recorded with the same reason everywhere). Integers only for now.
 */
export interface IntSetting { type: 'int', min: number, max: number, default: number, doc: string }
export type Setting = IntSetting

export const SETTINGS: Readonly<Record<string, Setting>> = Object.freeze({
  'mesh.maxPeers': { type: 'int', min: 1, max: 64, default: 8, doc: 'direct WebRTC links each peer aims for' },
  'ledger.maxReplicas': { type: 'int', min: 1, max: 64, default: 16, doc: 'replicas per epoch; further joins stay followers' },
  'ledger.maxBatchBytes': { type: 'int', min: 1024, max: 57_344, default: 36_864, doc: 'bytes of entries per microblock' },
  // min: the old fixed block, so a microblock of the largest size always fits one block
  'ledger.maxBlockBytes': { type: 'int', min: 61_440, max: 258_048, default: 258_048, doc: 'bytes of microblocks a leader proposes in one block (at most the epoch\'s cap: 252 KiB up to n = 15, less above)' },
  'ledger.removeAfterMs': { type: 'int', min: 2000, max: 600_000, default: 15_000, doc: 'silence after which a replica is probed; removal is asked after 3 unanswered probes (core/ledger/liveness.ts)' }
})

export type SettingKey = keyof typeof SETTINGS

/** Why `value` is not valid for `key`, or null when it is. */
export function checkSetting (key: string, value: unknown): string | null {
  const s = Object.prototype.hasOwnProperty.call(SETTINGS, key) ? SETTINGS[key] : undefined
  if (s == null) return `unknown setting ${JSON.stringify(key)} (known: ${Object.keys(SETTINGS).join(', ')})`
  if (typeof value !== 'number' || !Number.isInteger(value)) return `${key} must be an integer`
  if (value < s.min || value > s.max) return `${key} must be in [${s.min}, ${s.max}] (got ${value})`
  return null
}

export function settingDefault (key: string): unknown {
  return Object.prototype.hasOwnProperty.call(SETTINGS, key) ? SETTINGS[key].default : undefined
}
