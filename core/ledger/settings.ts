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
  'ledger.maxBatchBytes': { type: 'int', min: 1024, max: 57_344, default: 16_384, doc: 'bytes of entries per microblock' },
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
