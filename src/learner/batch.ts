/**
 * The learner's unit of training data: B unrolls of length T, time-major (TrainBatch); how assembled
 * unrolls are stacked into one (stackUnrolls), and how columns b0..b1−1 are cut out of it and turned
 * into V-trace inputs (sliceBatchColumns): float observations, rewards (optionally clipped to
 * [-1, 1]) and discounts γ·(1 − done_t).
 */
import type { Unroll } from './trajectory-assembler.js';

/** A batch of B unrolls of length T, time-major. */
export interface TrainBatch {
  /** [T+1, B, H, W, C] uint8 observations x_0..x_T. */
  readonly obs: Uint8Array;
  /** [T, B] actions a_t. */
  readonly actions: Int32Array;
  /** [T, B] rewards r_t (after a_t). */
  readonly rewards: Float32Array;
  /** [T, B] 1 if the episode ended after step t, else 0. */
  readonly dones: Uint8Array;
  /** [T, B, A] logits of the behaviour policy μ that chose a_t. */
  readonly behaviourLogits: Float32Array;
}

export interface BatchDims {
  readonly T: number;
  readonly B: number;
  readonly A: number;
  /** H·W·C of one observation. */
  readonly obsSize: number;
}

export interface BatchChunk {
  /** Columns in this chunk. */
  readonly Bc: number;
  /** [T+1, Bc, H, W, C] raw observation values as float32. */
  readonly obs: Float32Array;
  readonly behaviourLogits: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly discounts: Float32Array;
}

/**
 * Columns b0..b1−1 of `batch`. `obsInto`, when given with the right length, receives the observations
 * instead of a fresh array (a 76 MB IMPALA batch costs ~100 ms of page faults when newly allocated each
 * update); the caller must be done with the previous contents, including any tensor sharing them.
 */
export function sliceBatchColumns(
  batch: TrainBatch,
  dims: BatchDims,
  b0: number,
  b1: number,
  discount: number,
  rewardClip: 'none' | 'unit',
  obsInto?: Float32Array,
): BatchChunk {
  const { T, B, A, obsSize: S } = dims;
  if (!(Number.isInteger(b0) && Number.isInteger(b1) && b0 >= 0 && b0 < b1 && b1 <= B)) {
    throw new RangeError(`sliceBatchColumns: columns ${b0}..${b1 - 1} are not inside 0..${B - 1}`);
  }
  const Bc = b1 - b0;
  const obs = obsInto?.length === (T + 1) * Bc * S ? obsInto : new Float32Array((T + 1) * Bc * S);
  for (let t = 0; t <= T; t++) obs.set(batch.obs.subarray((t * B + b0) * S, (t * B + b1) * S), t * Bc * S);
  const behaviourLogits = new Float32Array(T * Bc * A);
  const actions = new Int32Array(T * Bc);
  const rewards = new Float32Array(T * Bc);
  const discounts = new Float32Array(T * Bc);
  for (let t = 0; t < T; t++) {
    behaviourLogits.set(batch.behaviourLogits.subarray((t * B + b0) * A, (t * B + b1) * A), t * Bc * A);
    for (let b = 0; b < Bc; b++) {
      const src = t * B + b0 + b;
      const dst = t * Bc + b;
      actions[dst] = batch.actions[src];
      const r = batch.rewards[src];
      rewards[dst] = rewardClip === 'unit' ? Math.max(-1, Math.min(1, r)) : r;
      discounts[dst] = batch.dones[src] ? 0 : discount;
    }
  }
  return { Bc, obs, behaviourLogits, actions, rewards, discounts };
}

/** Stacks B unrolls (each [T+1] obs, [T] steps) into one time-major TrainBatch. */
export function stackUnrolls(unrolls: readonly Unroll[], T: number, A: number, S: number): TrainBatch {
  const B = unrolls.length;
  const obs = new Uint8Array((T + 1) * B * S);
  const actions = new Int32Array(T * B);
  const rewards = new Float32Array(T * B);
  const dones = new Uint8Array(T * B);
  const behaviourLogits = new Float32Array(T * B * A);
  unrolls.forEach((u, b) => {
    for (let t = 0; t <= T; t++) obs.set(u.obs.subarray(t * S, (t + 1) * S), (t * B + b) * S);
    for (let t = 0; t < T; t++) {
      actions[t * B + b] = u.actions[t];
      rewards[t * B + b] = u.rewards[t];
      dones[t * B + b] = u.dones[t];
      behaviourLogits.set(u.logits.subarray(t * A, (t + 1) * A), (t * B + b) * A);
    }
  });
  return { obs, actions, rewards, dones, behaviourLogits };
}
