/**
 * The IMPALA loss, as in scalable_agent `experiment.py` (sums over T and B, not means):
 *
 *   pgLoss       = −Σ_{t,b} log π(a_t|x_t) · A_t              (A_t = V-trace pg advantage, constant)
 *   baselineLoss = ½ Σ_{t,b} (v_t − V(x_t))²                    (v_t = V-trace target, constant)
 *   entropyLoss  = −Σ_{t,b} H(π(·|x_t)) = Σ Σ_a π log π
 *   total        = pgLoss + baselineCost · baselineLoss + entropyCost · entropyLoss
 *
 * With the DESIGN.md defaults (baseline cost 0.5, entropy cost 0.01) the baseline term is
 * 0.5 · 0.5 · Σ(vs − V)². Because it is a sum, the loss of a batch is the sum of the losses of any
 * split of its columns, which is what makes micro-batching exact.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface ImpalaLossInput {
  /** [N, A] logits of the current (target) network, in the gradient graph; N = T·B. */
  readonly logits: tf.Tensor2D;
  /** [N] values of the current network, in the gradient graph. */
  readonly values: tf.Tensor1D;
  /** [N] actions taken. */
  readonly actions: tf.Tensor1D | Int32Array;
  /** [N] V-trace targets (treated as constants). */
  readonly vs: tf.Tensor1D | Float32Array;
  /** [N] policy-gradient advantages (treated as constants). */
  readonly pgAdvantages: tf.Tensor1D | Float32Array;
  readonly baselineCost?: number;
  readonly entropyCost?: number;
}

export interface ImpalaLossTerms {
  /** Scalar total loss (the one to differentiate). */
  readonly total: tf.Scalar;
  readonly pgLoss: tf.Scalar;
  /** ½ Σ (vs − V)², before the baseline cost. */
  readonly baselineLoss: tf.Scalar;
  /** −Σ H, before the entropy cost. */
  readonly entropyLoss: tf.Scalar;
}

/** Identity whose gradient is zero (tfjs-core has no tf.stopGradient). */
const stopGradientOp = tf.customGrad((...inputs) => {
  const x = inputs[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});
const stopGradient = (x: tf.Tensor): tf.Tensor => stopGradientOp(x);

export const DEFAULT_BASELINE_COST = 0.5;
export const DEFAULT_ENTROPY_COST = 0.01;

/** Build the loss terms; call inside tf.tidy / a gradient function (all results are new tensors). */
export function impalaLoss(input: ImpalaLossInput): ImpalaLossTerms {
  const { logits, values } = input;
  const baselineCost = input.baselineCost ?? DEFAULT_BASELINE_COST;
  const entropyCost = input.entropyCost ?? DEFAULT_ENTROPY_COST;
  const [n, a] = logits.shape;
  if (values.shape[0] !== n) throw new Error(`impalaLoss: values has ${values.shape[0]} entries, logits ${n} rows`);
  return tf.tidy(() => {
    const actions = input.actions instanceof tf.Tensor ? input.actions : tf.tensor1d(input.actions, 'int32');
    const vs = stopGradient(input.vs instanceof tf.Tensor ? input.vs : tf.tensor1d(input.vs));
    const adv = stopGradient(input.pgAdvantages instanceof tf.Tensor ? input.pgAdvantages : tf.tensor1d(input.pgAdvantages));
    for (const [name, t] of [
      ['actions', actions],
      ['vs', vs],
      ['pgAdvantages', adv],
    ] as const) {
      if (t.size !== n) throw new Error(`impalaLoss: ${name} has ${t.size} entries, expected N = ${n} (T·B)`);
    }
    const logPi = tf.logSoftmax(logits);
    const logPiA = tf.sum(tf.mul(logPi, tf.oneHot(tf.cast(actions, 'int32'), a)), 1);
    const pgLoss = tf.neg(tf.sum(tf.mul(logPiA, adv))) as tf.Scalar;
    const baselineLoss = tf.mul(0.5, tf.sum(tf.square(tf.sub(vs, values)))) as tf.Scalar;
    const entropyLoss = tf.sum(tf.mul(tf.exp(logPi), logPi)) as tf.Scalar;
    const total = tf.addN([pgLoss, tf.mul(baselineCost, baselineLoss), tf.mul(entropyCost, entropyLoss)]) as tf.Scalar;
    return { total, pgLoss, baselineLoss, entropyLoss };
  });
}
