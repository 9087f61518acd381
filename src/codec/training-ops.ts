/**
 * The codec's training-time ops, each written so that its gradient is one pass over the feature.
 * Built naively from generic tfjs ops the straight-through quantiser, the reconstruction loss and
 * the range read-back cost the learner as much again as the network (bench/train-step.ts --codec):
 * the gradient of tf.mean fills a ones tensor of the feature's size in JavaScript and copies it to
 * the backend, and reading the feature back to find its extremes copies and scans it in JavaScript.
 * Where the backend registers the codec kernels (../backend/codec-kernels.ts; the native backend
 * does) each op is one pass; elsewhere the same arithmetic runs as generic tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EXTREMES, FAKE_QUANT, SCALED_DIFFERENCE, SQUARED_ERROR_SUMS } from '../backend/codec-kernels.js';

const hasKernel = (name: string): boolean => tf.getKernel(name, tf.getBackend()) !== undefined;

/** Rounds to the quantiser's grid (clamped to its range) forward, identity backward. */
export const fakeQuantize = (x: tf.Tensor, scale: number, offset: number, bits: number): tf.Tensor => {
  const levels = (1 << bits) - 1;
  const op = tf.customGrad((...inputs) => {
    const v = inputs[0] as tf.Tensor;
    const value = hasKernel(FAKE_QUANT)
      ? (tf.engine().runKernel(FAKE_QUANT, { x: v }, { scale, offset, levels }) as tf.Tensor)
      : tf.tidy(() => tf.add(tf.mul(tf.clipByValue(tf.round(tf.mul(tf.sub(v, offset), 1 / scale)), 0, levels), scale), offset));
    return { value, gradFunc: (dy: tf.Tensor) => tf.clone(dy) };
  });
  return op(x);
};

/**
 * mean‖a − b‖² / (mean‖b‖² + 1e-8), the gradient flowing to `a` only (b is the target, held
 * constant): ∂/∂a = 2(a − b) / (N (mean‖b‖² + 1e-8)). b is read inside the op rather than passed
 * to it, so the tape sees no use of b and gives it no (zero) gradient to add up.
 */
export const relativeSquaredError = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => {
  if (a.size !== b.size) throw new RangeError(`relativeSquaredError: ${a.size} values against ${b.size}`);
  const n = a.size;
  const native = hasKernel(SQUARED_ERROR_SUMS) && hasKernel(SCALED_DIFFERENCE);
  const op = tf.customGrad((...args) => {
    const [x, save] = args as unknown as [tf.Tensor, tf.GradSaveFunc];
    const target = tf.reshape(b, x.shape);
    if (native) {
      const sums = tf.engine().runKernel(SQUARED_ERROR_SUMS, { a: x, b: target }) as tf.Tensor1D;
      const [value, energy] = tf.tidy(() => {
        const e = tf.add(tf.div(tf.slice(sums, 1, 1), n), 1e-8);
        return [tf.reshape(tf.div(tf.div(tf.slice(sums, 0, 1), n), e), []), e];
      });
      sums.dispose();
      save([x, target, energy]);
      return {
        value,
        gradFunc: (dy: tf.Tensor, [xs, ts, e]: tf.Tensor[]) => {
          const k = tf.div(tf.mul(tf.reshape(dy, [1]), 2 / n), e);
          const g = tf.engine().runKernel(SCALED_DIFFERENCE, { a: xs, b: ts, k }) as tf.Tensor;
          k.dispose();
          return g;
        },
      };
    }
    const d = tf.sub(x, target);
    const energy = tf.tidy(() => tf.add(tf.div(tf.sum(tf.square(target)), n), 1e-8));
    const value = tf.tidy(() => tf.div(tf.div(tf.sum(tf.square(d)), n), energy)) as tf.Scalar;
    save([d, energy]);
    return { value, gradFunc: (dy: tf.Tensor, [ds, e]: tf.Tensor[]) => tf.mul(ds, tf.div(tf.mul(dy, 2 / n), e)) };
  });
  return op(a) as tf.Scalar;
};

/** The smallest and largest value of a non-empty tensor, read back as two numbers (not the whole tensor). */
export function tensorExtremes(x: tf.Tensor): [number, number] {
  if (x.size === 0) throw new RangeError('tensorExtremes: the tensor is empty');
  const t = hasKernel(EXTREMES)
    ? (tf.engine().runKernel(EXTREMES, { x }) as tf.Tensor)
    : tf.tidy(() => tf.concat([tf.reshape(tf.min(x), [1]), tf.reshape(tf.max(x), [1])]));
  const [lo, hi] = t.dataSync();
  t.dispose();
  return [lo, hi];
}
