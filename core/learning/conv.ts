/**
 * A 2-D convolution that trains on every tfjs backend, including tfjs-backend-wasm 4.22, which
 * registers `Conv2D` and `Conv2DBackpropInput` but no `Conv2DBackpropFilter` kernel (so the stock
 * `tf.conv2d` gradient throws there). Forward and input gradient use the native kernels (fast,
 * XNNPACK on wasm); the FILTER gradient is computed as an im2col product:
 *
 *   patches[b·i·j, (di·k + dj)·Cin + c] = xPadded[b, s·i + di, s·j + dj, c]     (k·k strided slices)
 *   dW = reshape(patchesᵀ · reshape(dy, [b·Ho·Wo, Cout]), [k, k, Cin, Cout])
 *
 * which is exactly what Conv2DBackpropFilter computes. Only NHWC, square kernels, equal strides,
 * no dilation, `'same'` padding (TensorFlow's rule: total pad = max((out−1)·s + k − in, 0), the
 * smaller half before) — what the MNIST CNN uses. test/learning/conv.test.ts checks value and both
 * gradients against `tf.conv2d` on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs'

/** TensorFlow's 'same' padding for one spatial axis: [before, after]. */
function samePad (size: number, k: number, s: number): [number, number] {
  const out = Math.ceil(size / s)
  const total = Math.max((out - 1) * s + k - size, 0)
  const before = Math.floor(total / 2)
  return [before, total - before]
}

/** im2col filter gradient of a 'same' NHWC convolution (see the module doc). */
function filterGrad (x: tf.Tensor4D, dy: tf.Tensor4D, k: number, s: number): tf.Tensor4D {
  const [b, h, w, cin] = x.shape
  const [, ho, wo, cout] = dy.shape
  const xp = tf.pad(x, [[0, 0], samePad(h, k, s), samePad(w, k, s), [0, 0]])
  const cols: tf.Tensor4D[] = []
  for (let di = 0; di < k; di++) {
    for (let dj = 0; dj < k; dj++) {
      cols.push(tf.stridedSlice(xp, [0, di, dj, 0], [b, di + (ho - 1) * s + 1, dj + (wo - 1) * s + 1, cin], [1, s, s, 1]) as tf.Tensor4D)
    }
  }
  const patches = tf.reshape(tf.concat(cols, 3), [b * ho * wo, k * k * cin]) as tf.Tensor2D
  const g = tf.matMul(patches, tf.reshape(dy, [b * ho * wo, cout]) as tf.Tensor2D, true, false)
  return tf.reshape(g, [k, k, cin, cout])
}

/**
 * `tf.conv2d(x, filter, stride, 'same')` with a gradient that needs no `Conv2DBackpropFilter`.
 * `filter` is [k, k, Cin, Cout] with k odd or even; `x` is NHWC. With `inputGradient: false` the
 * gradient returned for `x` is zero instead of a transposed convolution: for a first layer, whose
 * input is data, that skips work nothing uses.
 */
export function conv2dSame (x: tf.Tensor4D, filter: tf.Tensor4D, stride: number, opts: { inputGradient?: boolean } = {}): tf.Tensor4D {
  const inputGradient = opts.inputGradient ?? true
  const k = filter.shape[0]
  if (filter.shape[1] !== k) throw new RangeError(`conv2dSame: square kernels only (got ${filter.shape[0]}x${filter.shape[1]})`)
  // customGrad's typings take variadic Tensor inputs; the two we pass are NHWC input and filter
  const op = tf.customGrad(((xi: tf.Tensor, fi: tf.Tensor, save: tf.GradSaveFunc) => {
    const x4 = xi as tf.Tensor4D
    const f4 = fi as tf.Tensor4D
    save([x4, f4])
    return {
      value: tf.conv2d(x4, f4, stride, 'same'),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): tf.Tensor[] => {
        const g = dy as tf.Tensor4D
        const [xs, fs] = saved as [tf.Tensor4D, tf.Tensor4D]
        return [
          inputGradient ? tf.conv2dTranspose(g, fs, xs.shape, stride, 'same') : tf.zerosLike(xs),
          filterGrad(xs, g, k, stride)
        ]
      }
    }
  }) as unknown as Parameters<typeof tf.customGrad>[0])
  return op(x, filter) as tf.Tensor4D
}
