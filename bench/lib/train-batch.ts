import type { Rng } from '../../src/util/rng.js';

/**
 * A seeded random training batch (T+1 observations, T actions, rewards, dones and behaviour logits
 * per column) for timing train steps: MinAtar-like sparse 0/1 planes or full-range pixels.
 */
export function randomTrainBatch(rng: Rng, T: number, B: number, A: number, obsSize: number, minatar: boolean) {
  return {
    obs: Uint8Array.from({ length: (T + 1) * B * obsSize }, () => (minatar ? (rng.random() < 0.1 ? 1 : 0) : rng.int(256))),
    actions: Int32Array.from({ length: T * B }, () => rng.int(A)),
    rewards: Float32Array.from({ length: T * B }, () => (rng.random() < 0.05 ? 1 : 0)),
    dones: Uint8Array.from({ length: T * B }, () => (rng.random() < 0.01 ? 1 : 0)),
    behaviourLogits: Float32Array.from({ length: T * B * A }, () => rng.normal() * 0.1),
  };
}
