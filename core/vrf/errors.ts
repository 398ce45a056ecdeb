/**
 * Errors of the VRF subsystem. Verification failures are not errors (verify returns `null`,
 * RFC 9381's "INVALID"); these are for misuse at the API boundary: wrong sizes, unknown suites.
 */
export class VrfError extends Error {
  static override name = 'VrfError'
  override name = 'VrfError'
}

/** A key or proof of the wrong length was passed to prove/verify/proofToHash. */
export class VrfLengthError extends VrfError {
  static override name = 'VrfLengthError'
  override name = 'VrfLengthError'
}
