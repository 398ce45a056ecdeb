/**
 * Send a line of text to every peer of the mesh, and read what others sent. The form is built
 * once (so typing is never interrupted by a re-render); only the message list re-renders.
 */
import type { BroadcastEntry } from '../mesh-state.ts'
import { h, shortId } from './dom.ts'

export interface BroadcastBox {
  renderList: (entries: readonly BroadcastEntry[]) => void
}

/** Longest message the box sends (the mesh enforces its own limit as well). */
export const MAX_BROADCAST_CHARS = 500

export function mountBroadcastBox (root: HTMLElement, send: (text: string) => Promise<void>): BroadcastBox {
  const input = h('input', {
    type: 'text',
    name: 'message',
    placeholder: 'Say something to every peer…',
    maxlength: MAX_BROADCAST_CHARS,
    autocomplete: 'off',
    'data-testid': 'broadcast-input',
    'aria-label': 'Broadcast message'
  })
  const button = h('button', { type: 'submit', 'data-testid': 'broadcast-send' }, 'Broadcast')
  const error = h('p', { class: 'error', 'data-testid': 'broadcast-error', hidden: true })
  const form = h('form', { class: 'broadcast-form' }, input, button)
  const list = h('ol', { class: 'broadcasts', 'data-testid': 'broadcast-list' })
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const text = input.value.trim()
    if (text === '') return
    button.disabled = true
    error.hidden = true
    send(text).then(() => {
      input.value = ''
    }, (err: Error) => {
      error.textContent = `Not sent: ${err.message}`
      error.hidden = false
    }).finally(() => {
      button.disabled = false
      input.focus()
    })
  })
  root.replaceChildren(form, error, list)
  return {
    renderList (entries) {
      if (entries.length === 0) {
        list.replaceChildren(h('li', { class: 'empty' }, 'No broadcasts yet.'))
        return
      }
      list.replaceChildren(...[...entries].reverse().map(e => h('li', { 'data-testid': 'broadcast-item', 'data-from': e.from, class: e.own ? 'own' : '' },
        h('span', { class: 'meta' },
          h('code', { title: e.from }, e.own ? 'you' : shortId(e.from, 8)),
          h('time', { datetime: new Date(e.at).toISOString() }, new Date(e.at).toLocaleTimeString())),
        h('span', { class: 'text' }, e.text))))
    }
  }
}
