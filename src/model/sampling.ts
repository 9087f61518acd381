import type { Rng } from '../util/rng.js';

/**
 * Draws one action per row from softmax(logits) (rows of length A), with the seeded generator.
 * Done in JS on the logits the network already returned: n·A is tiny next to the forward pass.
 */
export function sampleFromLogits(logits: Float32Array, n: number, numActions: number, rng: Rng, out = new Int32Array(n)): Int32Array {
  if (logits.length < n * numActions) {
    throw new RangeError(`sampleFromLogits: ${logits.length} logits for ${n} rows of ${numActions} actions`);
  }
  for (let i = 0; i < n; i++) {
    const o = i * numActions;
    let max = -Infinity;
    for (let a = 0; a < numActions; a++) if (logits[o + a] > max) max = logits[o + a];
    let sum = 0;
    for (let a = 0; a < numActions; a++) sum += Math.exp(logits[o + a] - max);
    let u = rng.random() * sum;
    let chosen = numActions - 1;
    for (let a = 0; a < numActions; a++) {
      u -= Math.exp(logits[o + a] - max);
      if (u < 0) {
        chosen = a;
        break;
      }
    }
    out[i] = chosen;
  }
  return out;
}

/** The most probable action per row (ties go to the lowest index). */
export function argmaxRows(logits: Float32Array, n: number, numActions: number, out = new Int32Array(n)): Int32Array {
  for (let i = 0; i < n; i++) {
    const o = i * numActions;
    let best = 0;
    for (let a = 1; a < numActions; a++) if (logits[o + a] > logits[o + best]) best = a;
    out[i] = best;
  }
  return out;
}
