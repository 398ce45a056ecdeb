/** Test-only page that mounts the learning panel alone (the panel needs only the page's base URL). */
import { mountLearningPanel } from '../../../app/learning/panel-view.ts'

const root = document.getElementById('root')
if (root != null) {
  mountLearningPanel(root, { baseUrl: location.href })
    .then(() => { document.body.dataset.mounted = 'true' })
    .catch(err => { root.textContent = `mount failed: ${(err as Error).message}` })
}
