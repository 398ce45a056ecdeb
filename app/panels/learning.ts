/**
 * The learning panel's entry in the page's panel list. The view (app/learning/panel-view.ts) and
 * tfjs with its backends are loaded only when the panel mounts, so they never delay the mesh view.
 */
import type { Panel } from './index.ts'

export const learningPanel: Panel = {
  id: 'learning',
  title: 'Federated learning',
  mount: async (root, ctx) => {
    const { mountLearningPanel } = await import('../learning/panel-view.ts')
    await mountLearningPanel(root, ctx)
  }
}
