/**
 * The models trained by the federated engine, written functionally on tfjs ops: parameters are a
 * list of `tf.Variable`s with fixed shapes, and the wire/aggregation view of a model is ONE flat
 * `Float32Array` in that order. Weights are initialised from our seeded `Rng` (Glorot uniform), not
 * from tfjs's own RNG, so the same seed gives bit-identical starting weights on every backend —
 * which is what lets the browser test compare a WebGPU run against a wasm/cpu run.
 *
 * Two MNIST models: `mlp` (784-64-10, ~51k params, fast on wasm) and `cnn` (two strided 5x5/3x3
 * convolutions, `filters` channels, default 16 and 32, then an optional dense hidden layer and the
 * output layer: 20,746 params by default). Both end in logits; the loss is softmax
 * cross-entropy. tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel, so the convolutions
 * go through `conv2dSame` (conv.ts: native forward, im2col filter gradient) and the `cnn` trains
 * on every backend, wasm included.
 */
import * as tf from '@tensorflow/tfjs'
import { conv2dSame } from './conv.ts'
import { LearningConfigError } from './errors.ts'
import { shuffle, type Rng } from './rng.ts'
import { shiftImage, type Dataset } from './data.ts'

export type ModelKind = 'mlp' | 'cnn'

export interface ModelSpec {
  kind: ModelKind
  /** Flat input size (784 for MNIST). */
  inputDim: number
  classes: number
  /** Hidden units of the MLP; for the CNN, units of an optional dense layer before the output. @default 64 (MLP), 0 (CNN: none) */
  hidden?: number
  /** CNN output channels of its two strided convolutions (5x5 stride 2, 3x3 stride 2). @default [16, 32] */
  filters?: [number, number]
}

export interface ParamShape { name: string, shape: number[], fanIn: number, fanOut: number, bias: boolean }

export function paramShapes (spec: ModelSpec): ParamShape[] {
  if (spec.kind === 'mlp') {
    const h = spec.hidden ?? 64
    return [
      { name: 'w1', shape: [spec.inputDim, h], fanIn: spec.inputDim, fanOut: h, bias: false },
      { name: 'b1', shape: [h], fanIn: spec.inputDim, fanOut: h, bias: true },
      { name: 'w2', shape: [h, spec.classes], fanIn: h, fanOut: spec.classes, bias: false },
      { name: 'b2', shape: [spec.classes], fanIn: h, fanOut: spec.classes, bias: true }
    ]
  }
  const side = Math.round(Math.sqrt(spec.inputDim))
  if (side * side !== spec.inputDim || side % 4 !== 0) throw new LearningConfigError(`cnn needs a square input with side divisible by 4 (got ${spec.inputDim})`)
  const [f1, f2] = spec.filters ?? [16, 32]
  const flat = (side / 4) * (side / 4) * f2
  const hidden = spec.hidden ?? 0
  const convs: ParamShape[] = [
    { name: 'c1', shape: [5, 5, 1, f1], fanIn: 25, fanOut: 25 * f1, bias: false },
    { name: 'cb1', shape: [f1], fanIn: 25, fanOut: 25 * f1, bias: true },
    { name: 'c2', shape: [3, 3, f1, f2], fanIn: 9 * f1, fanOut: 9 * f2, bias: false },
    { name: 'cb2', shape: [f2], fanIn: 9 * f1, fanOut: 9 * f2, bias: true }
  ]
  if (hidden > 0) {
    return [...convs,
      { name: 'w3', shape: [flat, hidden], fanIn: flat, fanOut: hidden, bias: false },
      { name: 'b3', shape: [hidden], fanIn: flat, fanOut: hidden, bias: true },
      { name: 'w4', shape: [hidden, spec.classes], fanIn: hidden, fanOut: spec.classes, bias: false },
      { name: 'b4', shape: [spec.classes], fanIn: hidden, fanOut: spec.classes, bias: true }]
  }
  return [...convs,
    { name: 'w3', shape: [flat, spec.classes], fanIn: flat, fanOut: spec.classes, bias: false },
    { name: 'b3', shape: [spec.classes], fanIn: flat, fanOut: spec.classes, bias: true }]
}

/**
 * Backends on which `kind` can be trained. Every one since `conv2dSame` supplies the filter
 * gradient that tfjs-backend-wasm lacks; kept so callers still ask before training.
 */
export function trainableOn (_kind: ModelKind, _backend: string): boolean {
  return true
}

export function paramCount (spec: ModelSpec): number {
  return paramShapes(spec).reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0)
}

/** Glorot-uniform weights, zero biases, from the seeded stream. */
export function initParams (spec: ModelSpec, rng: Rng): Float32Array {
  const out = new Float32Array(paramCount(spec))
  let off = 0
  for (const p of paramShapes(spec)) {
    const size = p.shape.reduce((x, y) => x * y, 1)
    if (!p.bias) {
      const limit = Math.sqrt(6 / (p.fanIn + p.fanOut))
      for (let i = 0; i < size; i++) out[off + i] = (rng.next() * 2 - 1) * limit
    }
    off += size
  }
  return out
}

export interface TrainOptions {
  epochs: number
  /** @default 32 */
  batchSize?: number
  /** Learning rate (of the first epoch when `finalLearningRate` is set). @default 0.1 */
  learningRate?: number
  /** Local optimiser: plain minibatch SGD or Adam (β1 0.9, β2 0.999). @default 'sgd' */
  optimizer?: 'sgd' | 'adam'
  /**
   * Cosine decay, per epoch, from `learningRate` (first epoch) towards this value (reached after the
   * last epoch). @default learningRate (constant)
   */
  finalLearningRate?: number
  /**
   * Data augmentation for square images: each training image is shifted by a seeded random
   * (dx, dy) in [−s, s]² pixels, zero fill. @default 0 (none)
   */
  augmentShift?: number
  /** Stop after this many steps even if epochs remain (for quick browser/test runs). */
  maxSteps?: number
  /** Called after each epoch (1-based), e.g. to evaluate held-out accuracy as training goes. */
  onEpoch?: (epoch: number) => void | Promise<void>
  /**
   * Hands the event loop back (one macrotask) between steps once this many ms of steps ran since
   * the last time: a peer that trains on its main thread (a Node learner on the wasm backend) keeps
   * answering its streams meanwhile. The steps and their order are the same, so the weights are too.
   * @default undefined (steps back to back, the event loop held for a whole epoch)
   */
  yieldMs?: number
}

export interface Metrics { loss: number, accuracy: number }

/**
 * Changes an optimiser's learning rate between steps. `SGDOptimizer` has `setLearningRate`; tfjs 4.22's
 * `AdamOptimizer` has none but reads its (protected) `learningRate` field on every step, so it is set
 * directly — recreating the optimiser instead would throw away Adam's moment estimates.
 */
function setLearningRate (opt: tf.Optimizer, lr: number): void {
  // not `instanceof tf.SGDOptimizer`: tfjs optimisers define Symbol.hasInstance by duck typing, so
  // every optimiser would pass
  const o = opt as unknown as { setLearningRate?: (lr: number) => void, learningRate: number }
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr)
  else o.learningRate = lr
}

/** Cosine decay from `start` (at `t` = 0) to `end` (at `t` = 1): the learning-rate schedule of local and federated training. */
export function cosineDecay (start: number, end: number, t: number): number {
  return end + (start - end) * (1 + Math.cos(Math.PI * t)) / 2
}

/**
 * One model instance bound to the current tfjs backend. In a simulation a single `Trainer` is
 * reused for every client (weights are swapped in and out), which keeps memory flat.
 */
export class Trainer {
  readonly spec: ModelSpec
  readonly shapes: ParamShape[]
  readonly size: number
  private readonly vars: tf.Variable[]

  constructor (spec: ModelSpec, initial: Float32Array) {
    this.spec = spec
    this.shapes = paramShapes(spec)
    this.size = paramCount(spec)
    if (initial.length !== this.size) throw new RangeError(`weights: expected ${this.size} values, got ${initial.length}`)
    let off = 0
    this.vars = this.shapes.map(p => {
      const n = p.shape.reduce((x, y) => x * y, 1)
      const v = tf.variable(tf.tensor(initial.subarray(off, off + n), p.shape, 'float32'), true, undefined, 'float32')
      off += n
      return v
    })
  }

  setWeights (flat: Float32Array): void {
    if (flat.length !== this.size) throw new RangeError(`weights: expected ${this.size} values, got ${flat.length}`)
    let off = 0
    for (let i = 0; i < this.vars.length; i++) {
      const n = this.vars[i].size
      tf.tidy(() => this.vars[i].assign(tf.tensor(flat.subarray(off, off + n), this.shapes[i].shape, 'float32')))
      off += n
    }
  }

  /**
   * The flat weights. Async on purpose: on WebGPU a synchronous readback (`dataSync`) of freshly
   * assigned variables returned stale values in tfjs 4.22 (seen with SwiftShader), `data()` does not.
   */
  async getWeights (): Promise<Float32Array> {
    const out = new Float32Array(this.size)
    let off = 0
    for (const v of this.vars) {
      out.set(await v.data() as Float32Array, off)
      off += v.size
    }
    return out
  }

  /** Logits for a batch `x` of shape [b, inputDim]. */
  private logits (x: tf.Tensor2D): tf.Tensor2D {
    const v = this.vars
    if (this.spec.kind === 'mlp') {
      const h = tf.relu(tf.add(tf.matMul(x, v[0] as tf.Tensor2D), v[1]))
      return tf.add(tf.matMul(h, v[2] as tf.Tensor2D), v[3])
    }
    const side = Math.round(Math.sqrt(this.spec.inputDim))
    const img = tf.reshape(x, [-1, side, side, 1]) as tf.Tensor4D
    const a1 = tf.relu(tf.add(conv2dSame(img, v[0] as tf.Tensor4D, 2, { inputGradient: false }), v[1])) as tf.Tensor4D
    const a2 = tf.relu(tf.add(conv2dSame(a1, v[2] as tf.Tensor4D, 2), v[3]))
    const flat = tf.reshape(a2, [-1, (side / 4) * (side / 4) * (this.spec.filters?.[1] ?? 32)]) as tf.Tensor2D
    if (v.length === 6) return tf.add(tf.matMul(flat, v[4] as tf.Tensor2D), v[5])
    const h = tf.relu(tf.add(tf.matMul(flat, v[4] as tf.Tensor2D), v[5]))
    return tf.add(tf.matMul(h, v[6] as tf.Tensor2D), v[7])
  }

  private batch (ds: Dataset, rows: number[], shift = 0, rng?: Rng): { x: tf.Tensor2D, y: tf.Tensor2D } {
    const xb = new Float32Array(rows.length * ds.dim)
    const yb = new Float32Array(rows.length * ds.classes)
    const side = Math.round(Math.sqrt(ds.dim))
    rows.forEach((r, j) => {
      const src = ds.x.subarray(r * ds.dim, (r + 1) * ds.dim)
      if (shift > 0 && rng != null) shiftImage(src, xb.subarray(j * ds.dim, (j + 1) * ds.dim), side, rng.int(2 * shift + 1) - shift, rng.int(2 * shift + 1) - shift)
      else xb.set(src, j * ds.dim)
      yb[j * ds.classes + ds.y[r]] = 1
    })
    return { x: tf.tensor2d(xb, [rows.length, ds.dim]), y: tf.tensor2d(yb, [rows.length, ds.classes]) }
  }

  /**
   * Minibatch SGD or Adam over `ds` for `epochs` passes (rows shuffled by `rng`; with
   * `augmentShift`, the shifts come from `rng` too). Returns the mean training loss and the number
   * of steps taken.
   */
  async train (ds: Dataset, opts: TrainOptions, rng: Rng): Promise<{ loss: number, steps: number }> {
    const bs = opts.batchSize ?? 32
    const lr0 = opts.learningRate ?? 0.1
    const lr1 = opts.finalLearningRate ?? lr0
    const shift = opts.augmentShift ?? 0
    if (shift > 0 && Math.round(Math.sqrt(ds.dim)) ** 2 !== ds.dim) throw new LearningConfigError(`augmentShift needs square images (dim ${ds.dim})`)
    const lrAt = (e: number): number => cosineDecay(lr0, lr1, e / opts.epochs)
    const optimizer = opts.optimizer === 'adam' ? tf.train.adam(lr0) : tf.train.sgd(lr0)
    const rows = Array.from({ length: ds.n }, (_, i) => i)
    let steps = 0
    // the loss stays on the backend and is read once at the end: a read per step would stall the
    // pipeline (and on WebGPU each read is a GPU->CPU round trip)
    let lossSum: tf.Tensor = tf.scalar(0)
    let sliceFrom = Date.now()
    try {
      for (let e = 0; e < opts.epochs; e++) {
        if (e > 0 && lr1 !== lr0) setLearningRate(optimizer, lrAt(e))
        shuffle(rng, rows)
        for (let s = 0; s < rows.length; s += bs) {
          if (opts.maxSteps != null && steps >= opts.maxSteps) break
          const { x, y } = this.batch(ds, rows.slice(s, s + bs), shift, rng)
          const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, this.logits(x)) as tf.Scalar, true, this.vars)
          x.dispose()
          y.dispose()
          if (loss != null) {
            const next = tf.add(lossSum, loss)
            lossSum.dispose()
            loss.dispose()
            lossSum = next
          }
          steps++
          if (opts.yieldMs != null && Date.now() - sliceFrom >= opts.yieldMs) {
            await new Promise(resolve => setTimeout(resolve, 0))
            sliceFrom = Date.now()
          }
        }
        await opts.onEpoch?.(e + 1)
      }
      const total = (await lossSum.data())[0]
      return { loss: steps > 0 ? total / steps : Number.NaN, steps }
    } finally {
      lossSum.dispose()
      optimizer.dispose()
    }
  }

  /** Mean cross-entropy and accuracy over `ds`, in chunks to bound memory. */
  async evaluate (ds: Dataset, chunk = 1000): Promise<Metrics> {
    let lossSum = 0
    let correct = 0
    const rows = Array.from({ length: ds.n }, (_, i) => i)
    for (let s = 0; s < ds.n; s += chunk) {
      const { x, y } = this.batch(ds, rows.slice(s, s + chunk))
      const [l, c] = tf.tidy(() => {
        const logits = this.logits(x)
        const loss = tf.sum(tf.losses.softmaxCrossEntropy(y, logits, undefined, 0, tf.Reduction.NONE))
        const hit = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'float32'))
        return [loss, hit]
      })
      lossSum += (await l.data())[0]
      correct += (await c.data())[0]
      l.dispose(); c.dispose(); x.dispose(); y.dispose()
    }
    return { loss: lossSum / ds.n, accuracy: correct / ds.n }
  }

  dispose (): void {
    for (const v of this.vars) v.dispose()
  }
}
