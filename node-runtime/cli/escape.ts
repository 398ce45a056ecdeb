/**
 * Safe terminal output for text that came from peers (issue titles, comments, memory values,
 * broadcast lines): `escapeForTerminal` turns every character a terminal may act on into visible
 * text, so a peer cannot move the cursor, retitle the window, ring the bell, hide text or reorder
 * a line.
 *
 * Escaped: C0 controls (U+0000–U+001F, ESC and BEL among them; tab and newline too — callers that
 * print several lines split first), DEL (U+007F), C1 controls (U+0080–U+009F, which some terminals
 * read as CSI/OSC), the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) and
 * marks (U+200E, U+200F, U+061C) used for "Trojan Source" reordering, and the line and paragraph
 * separators (U+2028, U+2029). C0/DEL/C1 become `\xHH`, tab/newline/CR `\t` `\n` `\r`, the rest `\u{HHHH}`.
 *
 * `safeJson` is `JSON.stringify` with the same characters escaped as `\uHHHH` inside strings (JSON
 * already escapes C0): still valid JSON, same value, nothing a terminal acts on.
 */

// C0, DEL, C1, ALM, LRM/RLM, LS/PS, bidi embeddings/overrides and isolates
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' }

function hex (c: string, width: number): string {
  return c.charCodeAt(0).toString(16).toUpperCase().padStart(width, '0')
}

/** `text` with every character a terminal may interpret replaced by a visible escape. */
export function escapeForTerminal (text: string): string {
  return text.replace(UNSAFE, c => NAMED[c] ?? (c.charCodeAt(0) <= 0x9f ? `\\x${hex(c, 2)}` : `\\u{${hex(c, 4)}}`))
}

// what JSON.stringify leaves raw: DEL, C1 and the Unicode controls above
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** `JSON.stringify(value, null, space)` with nothing a terminal acts on (see the module comment). */
export function safeJson (value: unknown, space?: number): string {
  return (JSON.stringify(value, null, space) ?? 'null').replace(UNSAFE_IN_JSON, c => `\\u${hex(c, 4)}`)
}

/** Escapes JSON Lines text (e.g. an export) that was produced by `JSON.stringify`. */
export function safeJsonLines (text: string): string {
  return text.replace(UNSAFE_IN_JSON, c => `\\u${hex(c, 4)}`)
}

/** Multi-line text with every line through `escapeForTerminal` (line breaks kept). */
export function safeText (text: string): string {
  return text.split('\n').map(escapeForTerminal).join('\n')
}
