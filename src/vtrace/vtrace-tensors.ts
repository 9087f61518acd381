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
    const clip = (x: tf.Tensor, c: number): tf.Tensor => (c === Infinity ? x : tf.minimum(x, c));
    const disc = tf.tensor2d(discounts, [T, B]);
    const r = tf.tensor2d(rewards, [T, B]);
    const next = (x: tf.Tensor): tf.Tensor => (T > 1 ? tf.concat([tf.slice(x, [1, 0], [T - 1, B]), bootstrap], 0) : bootstrap);
    const vNext = next(values);
    const deltas = tf.unstack(tf.mul(clip(rho, rhoBar), tf.sub(tf.add(r, tf.mul(disc, vNext)), values)));
    const coefs = tf.unstack(tf.mul(disc, tf.mul(lambda, clip(rho, cBar))));
    // v_s − V(x_s) = δ_s + γ_s c_s (v_{s+1} − V(x_{s+1})), backwards from zero past the end
    const acc: tf.Tensor[] = new Array<tf.Tensor>(T);
    acc[T - 1] = deltas[T - 1];
    for (let t = T - 2; t >= 0; t--) acc[t] = tf.add(deltas[t], tf.mul(coefs[t], acc[t + 1]));
    const vs = tf.add(values, tf.stack(acc));
    const q = tf.add(r, tf.mul(disc, tf.add(tf.mul(lambda, next(vs)), tf.mul(1 - lambda, vNext))));
    const adv = tf.mul(clip(rho, pgRhoBar), tf.sub(q, values));
    return { vs: tf.reshape(vs, [n]) as tf.Tensor1D, pgAdvantages: tf.reshape(adv, [n]) as tf.Tensor1D, logRhos };
  });
}
