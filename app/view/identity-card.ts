/**
 * This tab's own peer id, shown whole and copyable, with a note on whether it survived a reload
 * and the bootstrap address the tab joined through.
 */
import type { IdentityOrigin } from '../identity.ts'
import { h } from './dom.ts'

const ORIGIN_TEXT: Record<IdentityOrigin, string> = {
  tab: 'This tab’s own identity, kept across reloads: reloading keeps the same peer id.',
  browser: 'This browser’s saved identity: reloading this tab keeps the same peer id. Other tabs get their own.',
  new: 'New identity generated and saved for this tab: reloading keeps the same peer id.',
  'new-in-use': 'Another open tab uses this browser’s saved identity, so this tab is a peer of its own with a new id. Reloading keeps it.',
  ephemeral: 'This browser refused to store the identity: this peer id lasts only until the page is closed or reloaded.'
}

export function renderIdentity (root: HTMLElement, peerId: string, origin: IdentityOrigin, bootstrapAddr: string): void {
  const code = h('code', { class: 'peer-id', 'data-testid': 'self-peer-id', title: 'This tab’s libp2p peer id' }, peerId)
  const copy = h('button', { type: 'button', class: 'secondary', 'data-testid': 'copy-peer-id' }, 'Copy')
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(peerId).then(() => {
      copy.textContent = 'Copied'
      setTimeout(() => { copy.textContent = 'Copy' }, 1500)
    }, () => {
      // Clipboard access can be refused (e.g. an unfocused tab): select the text for a manual copy.
      const range = document.createRange()
      range.selectNodeContents(code)
      getSelection()?.removeAllRanges()
      getSelection()?.addRange(range)
    })
  })
  root.replaceChildren(
    h('div', { class: 'identity-row' }, code, copy),
    h('p', { class: 'hint', 'data-testid': 'identity-origin', 'data-origin': origin }, ORIGIN_TEXT[origin]),
    h('p', { class: 'hint' }, 'Joined the mesh through the bootstrap at ', h('code', { 'data-testid': 'bootstrap-addr' }, bootstrapAddr), '.')
  )
}
