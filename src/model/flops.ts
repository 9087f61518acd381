/** Effective forward-pass FLOP/s of this device on a network: the cost model's f_d (actors) and f_e (learner). */
import * as tf from '@tensorflow/tfjs-core';
import type { PolicyModel } from './policy-model.js';

/**
 * FLOP/s of full forward passes of `model` at batch n: one warm-up, then at least 3 passes and
 * ~200 ms. Actors report it as f_d; the learner uses it as f_e. Each pass is timed up to its read-back
 * (async: a GPU backend has no synchronous read).
 */
export async function measureForwardFlops(model: PolicyModel, n: number): Promise<number> {
  const x = tf.zeros([n, ...model.inputShape]);
  const run = async (): Promise<void> => {
    const logits = tf.tidy(() => model.forward(x).logits);
    await logits.data();
    logits.dispose();
  };
  try {
    await run();
    const t0 = performance.now();
    let reps = 0;
    while (reps < 3 || performance.now() - t0 < 200) {
      await run();
      reps++;
    }
    const seconds = (performance.now() - t0) / 1000 / reps;
    return (model.layers.reduce((a, l) => a + l.flops, 0) * n) / seconds;
  } finally {
    x.dispose();
  }
}
