/**
 * A tiny element builder for the page's views. The page is small and re-renders whole sections
 * on each state change, so a framework would add weight without adding clarity.
 */

type Attrs = Record<string, string | number | boolean | undefined>
type Child = Node | string | null | undefined | false

function apply (el: Element, attrs: Attrs, children: Child[]): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children) {
    if (c == null || c === false) continue
    el.append(typeof c === 'string' ? document.createTextNode(c) : c)
  }
}

/** Creates an HTML element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  apply(el, attrs, children)
  return el
}

const SVG_NS = 'http://www.w3.org/2000/svg'

/** Creates an SVG element with attributes and children. */
export function s<K extends keyof SVGElementTagNameMap> (tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag)
  apply(el, attrs, children)
  return el
}

/** Shortens a peer id for display: the tail is what differs between ids (`…Bnetx5y`). */
export function shortId (peerId: string, tail = 8): string {
  return peerId.length <= tail + 1 ? peerId : `…${peerId.slice(-tail)}`
}

/**
 * A form control with its label (every field has one, for screen readers and for people): the
 * label text sits above the control, or is visually hidden with `hidden: true` where the
 * placeholder and the row already say what the field is.
 */
export function field (text: string, control: HTMLElement, opts: { hidden?: boolean, grow?: boolean } = {}): HTMLLabelElement {
  return h('label', { class: `field${opts.grow === true ? ' grow' : ''}` }, h('span', { class: opts.hidden === true ? 'sr-only' : 'field-label' }, text), control)
}

/** An error's message in words, without the class name (`IssueNotFoundError: …` reads as code). */
export function errorWords (err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.charAt(0).toUpperCase() + text.slice(1)
}
