/**
 * The page's nav bar: one link per section, the mesh's own sections first, then one per panel of
 * app/panels/index.ts, so a panel added to that list appears here without touching this file.
 * Panel sections are created at once (with a "starts once joined" note) so every link has a
 * target before the panels mount; the link of the section in view is marked `aria-current`.
 */
import { h } from './view/dom.ts'

export interface NavEntry {
  /** The id of the section the link scrolls to. */
  id: string
  title: string
}

/** The mesh view's sections, in page order (ids from index.html). */
export const MESH_SECTIONS: readonly NavEntry[] = [
  { id: 'mesh', title: 'Mesh' },
  { id: 'peer', title: 'This peer' },
  { id: 'broadcast-section', title: 'Broadcast' }
]

/** The section id of a panel (its card is `#panel-<id>`). */
export function panelSectionId (panelId: string): string { return `panel-${panelId}` }

export function renderNav (root: HTMLElement, entries: readonly NavEntry[]): void {
  const links = entries.map(e => h('a', { href: `#${e.id}`, 'data-testid': `nav-${e.id}`, 'data-section': e.id }, e.title))
  root.replaceChildren(h('ul', {}, ...links.map(a => h('li', {}, a))))
  if (typeof IntersectionObserver !== 'function') return
  // mark the section nearest the top of the viewport as current
  const visible = new Map<string, number>()
  const observer = new IntersectionObserver(items => {
    for (const it of items) {
      const id = (it.target as HTMLElement).id
      if (it.isIntersecting) visible.set(id, it.boundingClientRect.top)
      else visible.delete(id)
    }
    const first = entries.find(e => visible.has(e.id))?.id
    for (const a of links) {
      if (a.dataset.section === first) a.setAttribute('aria-current', 'true')
      else a.removeAttribute('aria-current')
    }
  }, { rootMargin: '-20% 0px -60% 0px' })
  for (const e of entries) {
    const el = document.getElementById(e.id)
    if (el != null) observer.observe(el)
  }
}
