/**
 * V-trace off-policy targets and policy-gradient advantages (Espeholt et al. 2018, IMPALA §4), as in
 * DeepMind's scalable_agent `vtrace.py`, with rlax's λ:
 *
 *   ρ_t = π(a_t|x_t) / μ(a_t|x_t)                       (from target and behaviour logits)
 *   δ_t = min(ρ̄, ρ_t) · (r_t + γ_t V(x_{t+1}) − V(x_t))
 *   c_t = λ · min(c̄, ρ_t)
 *   v_s − V(x_s) = δ_s + γ_s c_s (v_{s+1} − V(x_{s+1}))   (backwards from v_T = V(x_T) = bootstrap)
 *   A_t = min(ρ̄_pg, ρ_t) · (r_t + γ_t (λ v_{t+1} + (1 − λ) V(x_{t+1})) − V(x_t))
 *
 * With λ = 1 this is exactly IMPALA's; the (1 − λ) mixture in the advantage is rlax's
 * `vtrace_td_error_and_advantage`. A threshold of null disables that clipping.
 *
 * Everything is time-major: index [t, b] is t·B + b. Arithmetic is float64 in plain JS.
 */

export interface VtraceOptions {
  /** ρ̄ (default 1); null = no clipping. */
  readonly clipRhoThreshold?: number | null;
  /** ρ̄ for the policy-gradient advantage (default 1); null = no clipping. */
  readonly clipPgRhoThreshold?: number | null;
  /** c̄ (default 1); null = no clipping. */
  readonly clipCThreshold?: number | null;
  /** λ in [0, 1] (default 1). */
  readonly lambda?: number;
}

type Numbers = ArrayLike<number>;

export interface VtraceFlatInput extends VtraceOptions {
  readonly T: number;
  readonly B: number;
  readonly A: number;
  /** [T, B, A] flat. */
  readonly behaviourLogits: Numbers;
  /** [T, B, A] flat. */
  readonly targetLogits: Numbers;
  /** [T, B] flat, integers in 0..A−1. */
  readonly actions: Numbers;
  /** [T, B] flat: γ·(1 − done_t). */
  readonly discounts: Numbers;
  readonly rewards: Numbers;
  /** [T, B] flat: V(x_t) from the target (learner) network. */
  readonly values: Numbers;
  /** [B]: V(x_T). */
  readonly bootstrapValue: Numbers;
}

export interface VtraceFlatOutput {
  /** [T, B] flat v_s targets. */
  readonly vs: Float32Array;
  /** [T, B] flat policy-gradient advantages. */
  readonly pgAdvantages: Float32Array;
  /** [T, B] flat log ρ_t, for diagnostics. */
  readonly logRhos: Float32Array;
}

export interface VtraceFromLogRhosInput extends VtraceOptions {
  readonly T: number;
  readonly B: number;
  readonly logRhos: Numbers;
  readonly discounts: Numbers;
  readonly rewards: Numbers;
  readonly values: Numbers;
  readonly bootstrapValue: Numbers;
}

export class VtraceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VtraceInputError';
  }
}

function checkLength(name: string, a: Numbers, n: number, dims: string): void {
  if (a == null || a.length !== n) {
    throw new VtraceInputError(`vtrace: ${name} must hold ${dims} = ${n} numbers, got ${a == null ? 'nothing' : a.length}`);
  }
}

function threshold(name: string, v: number | null | undefined): number {
  if (v === null) return Infinity;
  if (v === undefined) return 1;
  if (!(v > 0)) throw new VtraceInputError(`vtrace: ${name} must be a positive number or null (no clipping), got ${v}`);
  return v;
}

function checkDims(T: number, B: number): void {
  if (!Number.isInteger(T) || T < 1 || !Number.isInteger(B) || B < 1) {
    throw new VtraceInputError(`vtrace: T and B must be positive integers, got T=${T}, B=${B}`);
  }
}

/** Core recursion on given log importance weights; returns float64 vs and advantages. */
export function vtraceFromLogRhos(input: VtraceFromLogRhosInput): { vs: Float64Array; pgAdvantages: Float64Array } {
  const { T, B, logRhos, discounts, rewards, values, bootstrapValue } = input;
  checkDims(T, B);
  const n = T * B;
  checkLength('logRhos', logRhos, n, 'T·B');
  checkLength('discounts', discounts, n, 'T·B');
  checkLength('rewards', rewards, n, 'T·B');
  checkLength('values', values, n, 'T·B');
  checkLength('bootstrapValue', bootstrapValue, B, 'B');
  const rhoBar = threshold('clipRhoThreshold', input.clipRhoThreshold);
  const pgRhoBar = threshold('clipPgRhoThreshold', input.clipPgRhoThreshold);
  const cBar = threshold('clipCThreshold', input.clipCThreshold);
  const lambda = input.lambda ?? 1;
  if (!(lambda >= 0 && lambda <= 1)) throw new VtraceInputError(`vtrace: lambda must be in [0, 1], got ${lambda}`);

  const vs = new Float64Array(n);
  const adv = new Float64Array(n);
  for (let b = 0; b < B; b++) {
    // backwards: acc = v_{t+1} − V(x_{t+1}); zero past the end (v_T = V(x_T))
    let acc = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * B + b;
      const rho = Math.exp(logRhos[i]);
      const vNext = t + 1 < T ? values[i + B] : bootstrapValue[b];
      const delta = Math.min(rhoBar, rho) * (rewards[i] + discounts[i] * vNext - values[i]);
      acc = delta + discounts[i] * lambda * Math.min(cBar, rho) * acc;
      vs[i] = values[i] + acc;
    }
    for (let t = 0; t < T; t++) {
      const i = t * B + b;
      const rho = Math.exp(logRhos[i]);
      const vNext = t + 1 < T ? values[i + B] : bootstrapValue[b];
      const vsNext = t + 1 < T ? vs[i + B] : bootstrapValue[b];
      const q = rewards[i] + discounts[i] * (lambda * vsNext + (1 - lambda) * vNext);
      adv[i] = Math.min(pgRhoBar, rho) * (q - values[i]);
    }
  }
  return { vs, pgAdvantages: adv };
}

/** log π(a|x) − log μ(a|x) for every [t, b], from flat logits. */
export function logRhosFromLogits(T: number, B: number, A: number, behaviourLogits: Numbers, targetLogits: Numbers, actions: Numbers): Float64Array {
  checkDims(T, B);
  if (!Number.isInteger(A) || A < 1) throw new VtraceInputError(`vtrace: A (number of actions) must be a positive integer, got ${A}`);
  checkLength('behaviourLogits', behaviourLogits, T * B * A, 'T·B·A');
  checkLength('targetLogits', targetLogits, T * B * A, 'T·B·A');
  checkLength('actions', actions, T * B, 'T·B');
  const out = new Float64Array(T * B);
  for (let i = 0; i < T * B; i++) {
    const a = actions[i];
    if (!Number.isInteger(a) || a < 0 || a >= A) {
      throw new VtraceInputError(`vtrace: actions[${Math.floor(i / B)}][${i % B}] = ${a} is not an integer in 0..${A - 1}`);
    }
    out[i] = logSoftmaxAt(targetLogits, i * A, A, a) - logSoftmaxAt(behaviourLogits, i * A, A, a);
  }
  return out;
}

/** log softmax(row)[a] of the row at logits[offset .. offset + A), stable. */
export function logSoftmaxAt(logits: Numbers, offset: number, A: number, a: number): number {
  let max = -Infinity;
  for (let j = 0; j < A; j++) max = Math.max(max, logits[offset + j]);
  let sum = 0;
  for (let j = 0; j < A; j++) sum += Math.exp(logits[offset + j] - max);
  return logits[offset + a] - max - Math.log(sum);
}

/** V-trace on flat time-major typed arrays (the learner's path). */
export function vtraceFlat(input: VtraceFlatInput): VtraceFlatOutput {
  const { T, B, A } = input;
  const logRhos = logRhosFromLogits(T, B, A, input.behaviourLogits, input.targetLogits, input.actions);
  const { vs, pgAdvantages } = vtraceFromLogRhos({ ...input, logRhos });
  return { vs: Float32Array.from(vs), pgAdvantages: Float32Array.from(pgAdvantages), logRhos: Float32Array.from(logRhos) };
}
