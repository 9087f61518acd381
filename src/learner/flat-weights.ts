/**
 * Every variable of a network as one Float32Array, in the model's `variables` order: how weights
 * cross between the learner's main thread and its training worker (one transferable buffer).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PolicyModel } from '../model/index.js';

/** All variables in one read, in a buffer of its own (never a view into a backend's heap), so it can be transferred. */
export async function readFlatWeights(model: PolicyModel): Promise<Float32Array> {
  const flat = tf.tidy(() => tf.concat(model.variables.map((v) => tf.reshape(v, [-1]))));
  const read = (await flat.data()) as Float32Array;
  flat.dispose();
  return read.byteOffset === 0 && read.buffer.byteLength === read.byteLength ? read : read.slice();
}

/** Assigns what readFlatWeights returned (of the same network); `who` names the sender in errors. */
export function writeFlatWeights(model: PolicyModel, data: Float32Array, who: string): void {
  const size = model.variables.reduce((n, v) => n + v.size, 0);
  if (data.length !== size) throw new Error(`${who} sent ${data.length} weights, the network has ${size}`);
  let o = 0;
  for (const v of model.variables) {
    const part = data.subarray(o, o + v.size);
    tf.tidy(() => v.assign(tf.tensor(part, v.shape, 'float32')));
    o += v.size;
  }
}
