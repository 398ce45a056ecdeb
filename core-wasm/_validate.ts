/**
 * Argument checks at the loader's public boundary (noble-style small asserts): TypeError for a
 * wrong type, RangeError for a wrong size or value. The WASM side trusts what passes these.
 */

export function assertBytes (value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array (got ${describe(value)})`)
}

export function assertInteger (value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number (got ${describe(value)})`)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}] (got ${value})`)
  }
}

export function assertNumber (value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number (got ${describe(value)})`)
  if (Number.isNaN(value) || value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}] (got ${value})`)
}

export function assertBoolean (value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean (got ${describe(value)})`)
}

export function assertOptions (value: unknown, name: string): void {
  if (value !== undefined && (typeof value !== 'object' || value === null)) throw new TypeError(`${name} must be an object (got ${describe(value)})`)
}

function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return value.constructor?.name ?? 'an object'
  return typeof value
}
