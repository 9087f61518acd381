import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../src/backend/gradients.js';
import { impalaLoss } from '../src/vtrace/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients(); // tfjs-core's Node bundle registers no gradients by itself
});

/**
 * Tiny case, N = 2 steps, A = 2.
 * logits row 0 = [0, 0] → π = [.5, .5]; row 1 = [ln 3, 0] → π = [.75, .25].
 * actions [0, 1] → log π(a) = [ln .5, ln .25] = [−0.693147, −1.386294].
 * pg advantages [2, 1]: pgLoss = −(2·ln .5 + 1·ln .25) = 4 ln 2 = 2.7725887.
 * values [1, 0], vs [2, 1]: baselineLoss = ½·(1² + 1²) = 1.
 * entropies: ln 2 = 0.6931472 and −(.75 ln .75 + .25 ln .25) = 0.5623351 → entropyLoss = −1.2554823.
 * total = 2.7725887 + 0.5·1 + 0.01·(−1.2554823) = 3.2600339.
 */
const LN3 = Math.log(3);
const H1 = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));

describe('IMPALA loss terms', () => {
  it('match the hand-computed numbers', () => {
    tf.tidy(() => {
      const terms = impalaLoss({
        logits: tf.tensor2d([
          [0, 0],
          [LN3, 0],
        ]),
        values: tf.tensor1d([1, 0]),
        actions: Int32Array.from([0, 1]),
        vs: Float32Array.from([2, 1]),
        pgAdvantages: Float32Array.from([2, 1]),
      });
      expect(terms.pgLoss.dataSync()[0]).toBeCloseTo(4 * Math.LN2, 5);
      expect(terms.baselineLoss.dataSync()[0]).toBeCloseTo(1, 6);
      expect(terms.entropyLoss.dataSync()[0]).toBeCloseTo(-(Math.LN2 + H1), 5);
      expect(H1).toBeCloseTo(0.5623351, 6);
      expect(terms.total.dataSync()[0]).toBeCloseTo(4 * Math.LN2 + 0.5 + 0.01 * -(Math.LN2 + H1), 5);
      expect(terms.total.dataSync()[0]).toBeCloseTo(3.2600339, 5);
    });
  });

  it('costs are configurable', () => {
    tf.tidy(() => {
      const terms = impalaLoss({
        logits: tf.tensor2d([
          [0, 0],
          [LN3, 0],
        ]),
        values: tf.tensor1d([1, 0]),
        actions: Int32Array.from([0, 1]),
        vs: Float32Array.from([2, 1]),
        pgAdvantages: Float32Array.from([2, 1]),
        baselineCost: 1,
        entropyCost: 0,
      });
      expect(terms.total.dataSync()[0]).toBeCloseTo(4 * Math.LN2 + 1, 5);
    });
  });

  it('gradients: vs and advantages are constants even when given as tensors of the net', () => {
    tf.tidy(() => {
      const logits = tf.variable(
        tf.tensor2d([
          [0, 0],
          [LN3, 0],
        ]),
      );
      const values = tf.variable(tf.tensor1d([1, 0]));
      const { grads } = tf.variableGrads(() => {
        // vs built from the values in the graph: must not carry gradient
        const vs = tf.add(values, 1) as tf.Tensor1D;
        const adv = tf.mul(values, 2) as tf.Tensor1D;
        return impalaLoss({ logits, values, actions: Int32Array.from([0, 1]), vs, pgAdvantages: adv }).total;
      }, [logits, values]);
      // ∂/∂V of 0.5·0.5·Σ(vs − V)² with vs constant = −0.5·(vs − V) = −0.5 each
      expect(Array.from(grads[values.name].dataSync())).toEqual([-0.5, -0.5]);
      // ∂pg/∂logits = −adv·(onehot − π); adv = 2V = [2, 0]; row 0: −2·([1,0] − [.5,.5]) = [−1, 1]
      // ∂(0.01·Σπ log π)/∂z_j = 0.01·π_j(log π_j + H) = 0 for the uniform row 0
      const g = grads[logits.name].arraySync() as number[][];
      expect(g[0][0]).toBeCloseTo(-1, 5);
      expect(g[0][1]).toBeCloseTo(1, 5);
      // row 1 has adv 0, only entropy: 0.01·π_j(log π_j + H1)
      expect(g[1][0]).toBeCloseTo(0.01 * 0.75 * (Math.log(0.75) + H1), 6);
      expect(g[1][1]).toBeCloseTo(0.01 * 0.25 * (Math.log(0.25) + H1), 6);
    });
  });

  it('rejects mismatched sizes', () => {
    tf.tidy(() => {
      expect(() =>
        impalaLoss({
          logits: tf.tensor2d([[0, 0]]),
          values: tf.tensor1d([1]),
          actions: Int32Array.from([0]),
          vs: Float32Array.from([1, 2]),
          pgAdvantages: Float32Array.from([1]),
        }),
      ).toThrow(/vs has 2 entries, expected N = 1/);
    });
  });
});
