/**
 * V-trace on tensors: the same targets and advantages as vtraceFlat (vtrace.ts has the formulas),
 * computed by the backend, so that a learner on a GPU never has to read the network's outputs back
 * in the middle of an update. Float32 throughout (vtraceFlat is float64; they agree to ~1e-6).
 *
 * The outputs are constants for the loss, as the stop_gradient in scalable_agent: the logits and
 * values are detached first (a new tensor on the same data, not on the gradient tape), so the
 * backward pass never walks the T-step recursion.
 */
import * as tf from '@tensorflow/tfjs-core';
import { logSoftmaxAt, type VtraceOptions, VtraceInputError } from './vtrace.js';

export interface VtraceTensorInput extends VtraceOptions {
  readonly T: number;
  readonly B: number;
  /** [T·B, A] logits of the current network (may be in a gradient graph). */
  readonly targetLogits: tf.Tensor2D;
  /** [T·B] V(x_t) of the current network (may be in a gradient graph). */
  readonly values: tf.Tensor1D;
  /** [B] V(x_T). */
  readonly bootstrapValue: tf.Tensor1D;
  /** [T·B·A] flat behaviour logits, time-major. */
  readonly behaviourLogits: Float32Array;
  /** [T·B] actions, integers in 0..A−1. */
  readonly actions: Int32Array;
  /** [T·B] γ·(1 − done_t). */
  readonly discounts: Float32Array;
  readonly rewards: Float32Array;
}

export interface VtraceTensorOutput {
  /** [T·B] v_s targets. */
  readonly vs: tf.Tensor1D;
  /** [T·B] policy-gradient advantages. */
  readonly pgAdvantages: tf.Tensor1D;
  /** [T·B] log ρ_t. */
  readonly logRhos: tf.Tensor1D;
}

/**
 * A tensor on the same data with no history: gradients do not flow through it. This is what tfjs's
 * own Reshape kernel does (one more reference to the backend's buffer, a new tensor around it), minus
 * the tape record.
 */
function detached<R extends tf.Rank>(x: tf.Tensor<R>): tf.Tensor<R> {
  tf.backend().incRef(x.dataId);
  return tf.engine().makeTensorFromDataId(x.dataId, x.shape, x.dtype) as tf.Tensor<R>;
}

function bound(name: string, v: number | null | undefined): number {
  if (v === null) return Infinity;
  if (v === undefined) return 1;
  if (!(v > 0)) throw new VtraceInputError(`vtrace: ${name} must be a positive number or null (no clipping), got ${v}`);
  return v;
}

/** Row t of the result is row t + d of x ([T, B]), zeros past the end. */
function shiftUp(x: tf.Tensor, d: number, T: number, B: number): tf.Tensor {
  return tf.pad(tf.slice(x, [d, 0], [T - d, B]), [
    [0, d],
    [0, 0],
  ]);
}

/**
 * y_t = x_t + a_t · y_{t+1} backwards from y_T = 0, for [T, B] tensors, in ⌈log₂ T⌉ rounds of a few
 * ops each (Kogge–Stone doubling: after the round with stride d, y_t has summed x_t..x_{t+2d−1} and
 * A_t is the product a_t·…·a_{t+2d−1}) rather than T rounds: the learner's update pays per op,
 * and this recursion is the v_s − V(x_s) of V-trace.
 */
export function suffixLinearScan(x: tf.Tensor, a: tf.Tensor, T: number, B: number): tf.Tensor {
  return tf.tidy(() => {
    let y = x;
    let A = a;
    for (let d = 1; d < T; d *= 2) {
      y = tf.add(y, tf.mul(A, shiftUp(y, d, T, B)));
      if (2 * d < T) A = tf.mul(A, shiftUp(A, d, T, B));
    }
    return y;
  });
}

/** Call inside tf.tidy or a gradient function; the outputs are new tensors. */
export function vtraceTensors(input: VtraceTensorInput): VtraceTensorOutput {
  const { T, B, actions, discounts, rewards, behaviourLogits } = input;
  const n = T * B;
  const [rows, A] = input.targetLogits.shape;
  if (rows !== n || input.values.size !== n || input.bootstrapValue.size !== B) {
    throw new VtraceInputError(
      `vtrace: targetLogits [${input.targetLogits.shape.join(', ')}], values [${input.values.size}] and bootstrapValue [${input.bootstrapValue.size}] must be [T·B, A], [T·B] and [B] with T=${T}, B=${B}`,
    );
  }
  for (const [name, a, len] of [
    ['behaviourLogits', behaviourLogits, n * A],
    ['actions', actions, n],
    ['discounts', discounts, n],
    ['rewards', rewards, n],
  ] as const) {
    if (a.length !== len) throw new VtraceInputError(`vtrace: ${name} must hold ${len} numbers, got ${a.length}`);
  }
  const rhoBar = bound('clipRhoThreshold', input.clipRhoThreshold);
  const pgRhoBar = bound('clipPgRhoThreshold', input.clipPgRhoThreshold);
  const cBar = bound('clipCThreshold', input.clipCThreshold);
  const lambda = input.lambda ?? 1;
  if (!(lambda >= 0 && lambda <= 1)) throw new VtraceInputError(`vtrace: lambda must be in [0, 1], got ${lambda}`);
  // log μ(a_t|x_t) is known on the host; only log π needs the backend
  const logMu = new Float32Array(n);
  for (let i = 0; i < n; i++) logMu[i] = logSoftmaxAt(behaviourLogits, i * A, A, actions[i]);

  return tf.tidy(() => {
    const logits = detached(input.targetLogits);
    const values = tf.reshape(detached(input.values), [T, B]);
    const bootstrap = tf.reshape(detached(input.bootstrapValue), [1, B]);
    const logPiA = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(actions, 'int32'), A)), 1);
    const logRhos = tf.sub(logPiA, tf.tensor1d(logMu)) as tf.Tensor1D;
    const rho = tf.reshape(tf.exp(logRhos), [T, B]);
    const clippedRho = new Map<number, tf.Tensor>(); // min(c, ρ) for each threshold c, computed once
    const clip = (c: number): tf.Tensor => {
      if (c === Infinity) return rho;
      if (!clippedRho.has(c)) clippedRho.set(c, tf.minimum(rho, c));
      return clippedRho.get(c)!;
    };
    const disc = tf.tensor2d(discounts, [T, B]);
    const r = tf.tensor2d(rewards, [T, B]);
    const next = (x: tf.Tensor): tf.Tensor => (T > 1 ? tf.concat([tf.slice(x, [1, 0], [T - 1, B]), bootstrap], 0) : bootstrap);
    const vNext = next(values);
    const deltas = tf.mul(clip(rhoBar), tf.sub(tf.add(r, tf.mul(disc, vNext)), values));
    const coefs = tf.mul(disc, lambda === 1 ? clip(cBar) : tf.mul(lambda, clip(cBar)));
    // v_s − V(x_s) = δ_s + γ_s c_s (v_{s+1} − V(x_{s+1})), backwards from zero past the end
    const acc = suffixLinearScan(deltas, coefs, T, B);
    const vs = tf.add(values, acc);
    const q = tf.add(r, tf.mul(disc, lambda === 1 ? next(vs) : tf.add(tf.mul(lambda, next(vs)), tf.mul(1 - lambda, vNext))));
    const adv = tf.mul(clip(pgRhoBar), tf.sub(q, values));
    return { vs: tf.reshape(vs, [n]) as tf.Tensor1D, pgAdvantages: tf.reshape(adv, [n]) as tf.Tensor1D, logRhos };
  });
}
