/**
 * SHA-256 of a snapshot, as lowercase hex, through WebCrypto (`crypto.subtle`, in tabs and in
 * Node alike): a snapshot is as large as the task's memory, and the native digest runs at memory
 * speed where a JavaScript one (noble) takes seconds for 256 MiB — time that is all downtime.
 */
export async function snapshotDigest (bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  let out = ''
  for (const b of d) out += b.toString(16).padStart(2, '0')
  return out
}
