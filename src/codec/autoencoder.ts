/**
 * MAHPPO's channel reduction (§2.2) as tfjs ops on explicit variables: a 1×1 conv ch → ch′ on the
 * actor (encoder) and ch′ → ch on the learner (decoder). A [f] vector feature is treated as a 1×1 map
 * with f channels, where the 1×1 conv is a dense layer. The training-time quantiser is in
 * training-ops.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { convBias } from '../backend/relu-ops.js';
import { Rng } from '../util/rng.js';
import { featureGrid } from './spec.js';

export interface ConvWeights {
  /** [1, 1, in, out]. */
  readonly kernel: tf.Tensor4D;
  /** [out]. */
  readonly bias: tf.Tensor1D;
}

/** Per-sample shape → the 4-D shape the 1×1 conv sees. */
function asMap(shape: readonly number[]): [number, number, number] {
  if (shape.length === 3) return [shape[0], shape[1], shape[2]];
  const { channels } = featureGrid(shape);
  return [1, 1, channels];
}

/** Runs a 1×1 conv on a batch of features of per-sample shape `shape`; returns [n, h, w, out]. */
export function conv1x1(x: tf.Tensor, shape: readonly number[], w: ConvWeights): tf.Tensor4D {
  return tf.tidy(() => {
    const [h, wd, c] = asMap(shape);
    const x4 = tf.reshape(x, [-1, h, wd, c]) as tf.Tensor4D;
    return convBias(x4, w.kernel, w.bias, 1, 'valid');
  });
}

/** Glorot-uniform kernel and zero bias for a 1×1 conv in → out, from a seeded RNG. */
export function initConv1x1(inCh: number, outCh: number, seed: number): ConvWeights {
  const rng = new Rng(seed);
  const limit = Math.sqrt(6 / (inCh + outCh));
  const k = new Float32Array(inCh * outCh);
  for (let i = 0; i < k.length; i++) k[i] = (2 * rng.random() - 1) * limit;
  return { kernel: tf.tensor4d(k, [1, 1, inCh, outCh]), bias: tf.zeros([outCh]) };
}

/**
 * Identity-like weights: the encoder keeps the first `outCh` channels, the decoder puts them back
 * (the rest decode to 0). With outCh = inCh the pair is the identity.
 */
export function selectConv1x1(inCh: number, outCh: number): ConvWeights {
  const k = new Float32Array(inCh * outCh);
  for (let i = 0; i < Math.min(inCh, outCh); i++) k[i * outCh + i] = 1;
  return { kernel: tf.tensor4d(k, [1, 1, inCh, outCh]), bias: tf.zeros([outCh]) };
}
