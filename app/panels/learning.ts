/**
 * The learning panel's entry in the page's panel list: "join mesh training" (app/learning/live-view.ts)
 * above the in-tab simulation (app/learning/panel-view.ts). Both, and tfjs with its backends, are
 * loaded only when the panel mounts, so they never delay the mesh view.
 */
import type { Panel } from './index.ts'

export const learningPanel: Panel = {
  id: 'learning',
  title: 'Federated learning',
  mount: async (root, ctx) => {
    const [{ mountLearningPanel }, { mountLiveLearning }] = await Promise.all([import('../learning/panel-view.ts'), import('../learning/live-view.ts')])
    const live = document.createElement('div')
    live.dataset.testid = 'learning-live'
    const sim = document.createElement('div')
    root.append(live, sim)
    mountLiveLearning(live, ctx)
    await mountLearningPanel(sim, ctx)
  }
}
