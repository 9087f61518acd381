/**
 * Global gradient-norm clipping, as tf.clip_by_global_norm: with n = sqrt(Σ_i ||g_i||²),
 * every g_i becomes g_i · c / max(n, c), so the whole gradient keeps its direction and has norm ≤ c.
 * The norm is read back asynchronously (a GPU backend has no synchronous read); TrainStep reads it
 * together with its other statistics, in its one read-back per update.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Σ_i ||g_i||² as a scalar tensor (caller disposes it); nothing is read back. A sum of a stack, not
 * tf.addN: the WebGPU AddN kernel binds every input at once and fails past 7 of them (its default
 * limit of 8 storage buffers), while Concat splits its inputs into groups.
 */
export function squaredGlobalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  if (grads.length === 0) return tf.scalar(0);
  return tf.tidy(() => tf.sum(tf.stack(grads.map((g) => tf.sum(tf.square(g))))));
}

/** c / max(n, c): the factor that brings a gradient of global norm n down to at most c. */
export function clipScale(norm: number, clipNorm: number): number {
  if (!(clipNorm > 0)) throw new RangeError(`clipByGlobalNorm: clipNorm must be > 0, got ${clipNorm}`);
  return clipNorm / Math.max(norm, clipNorm);
}

/** Multiplies every gradient by `scale` (new tensors; the caller disposes them). */
export function scaleGradients(grads: readonly tf.Tensor[], scale: number): tf.Tensor[] {
  return grads.map((g) => tf.tidy(() => (scale === 1 ? tf.clone(g) : tf.mul(g, scale))));
}

export async function globalNorm(grads: readonly tf.Tensor[]): Promise<number> {
  const sq = squaredGlobalNorm(grads);
  try {
    return Math.sqrt((await sq.data())[0]);
  } finally {
    sq.dispose();
  }
}

/** Returns new clipped tensors (caller disposes them) and the norm before clipping. */
export async function clipByGlobalNorm(grads: readonly tf.Tensor[], clipNorm: number): Promise<{ grads: tf.Tensor[]; norm: number }> {
  clipScale(1, clipNorm); // fail on a bad clipNorm before reading anything back
  const norm = await globalNorm(grads);
  return { grads: scaleGradients(grads, clipScale(norm, clipNorm)), norm };
}
