/**
 * This tab's own peer id, shown whole and copyable, with a note on whether it survived a reload
 * and the bootstrap address the tab joined through.
 */
import type { IdentityOrigin } from '../identity.ts'
import { h } from './dom.ts'

const ORIGIN_TEXT: Record<IdentityOrigin, string> = {
  restored: 'Identity restored from this browser’s storage: reloading keeps the same peer id.',
  new: 'New identity generated and saved in this browser: reloading keeps the same peer id.',
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
