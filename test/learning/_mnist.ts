/** Shared fixture for the learning tests: the wasm backend and a small, balanced MNIST slice. */
import { balancedSample, createRng, trainTestSplit, type Dataset } from '../../core/learning/index.ts'
import { setupNodeBackend } from '../../node-runtime/learning/backend.ts'
import { loadMnist } from '../../node-runtime/learning/mnist.ts'

export async function smallMnist (trainPerClass: number, testPerClass: number, seed = 1): Promise<{ train: Dataset, test: Dataset, backend: string }> {
  const { backend } = await setupNodeBackend()
  const all = await loadMnist()
  const { train, test } = trainTestSplit(all, 0.2, createRng(seed))
  return { train: balancedSample(train, trainPerClass, createRng(seed + 1)), test: balancedSample(test, testPerClass, createRng(seed + 2)), backend }
}
