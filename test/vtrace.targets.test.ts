import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { vtraceFlat, vtraceFromLogits, type VtraceOptions } from '../src/vtrace/index.js';
import { Rng } from '../src/util/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Hand-computed example, T = 2, B = 1, A = 2.
 * μ = softmax([0, 0]) = [.5, .5] at both steps.
 * π_0 = softmax([ln 3, 0]) = [.75, .25], π_1 = softmax([0, ln 3]) = [.25, .75]; actions 0, 0
 *   → ρ_0 = .75/.5 = 1.5, ρ_1 = .25/.5 = 0.5.
 * r = [1, 2], γ = [.9, .9], V = [0.5, 1.0], bootstrap V(x_2) = 2.
 */
const example = {
  behaviourLogits: [[[0, 0]], [[0, 0]]],
  targetLogits: [[[Math.log(3), 0]], [[0, Math.log(3)]]],
  actions: [[0], [0]],
  rewards: [[1], [2]],
  discounts: [[0.9], [0.9]],
  values: [[0.5], [1.0]],
  bootstrapValue: [2],
};

describe('V-trace, hand-computed 2-step example', () => {
  it('defaults ρ̄ = c̄ = ρ̄_pg = 1, λ = 1', () => {
    // δ_1 = min(1, .5)·(2 + .9·2 − 1) = .5·2.8 = 1.4          → vs_1 = 1 + 1.4 = 2.4
    // δ_0 = min(1, 1.5)·(1 + .9·1 − .5) = 1.4
    // vs_0 − V_0 = δ_0 + γ_0·c_0·(vs_1 − V_1) = 1.4 + .9·1·1.4 = 2.66 → vs_0 = 3.16
    // A_1 = min(1, .5)·(2 + .9·2 − 1) = 1.4
    // A_0 = min(1, 1.5)·(1 + .9·vs_1 − .5) = 1 + 2.16 − .5 = 2.66
    const out = vtraceFromLogits(example);
    expect(out.vs[0][0]).toBeCloseTo(3.16, 12);
    expect(out.vs[1][0]).toBeCloseTo(2.4, 12);
    expect(out.pgAdvantages[0][0]).toBeCloseTo(2.66, 12);
    expect(out.pgAdvantages[1][0]).toBeCloseTo(1.4, 12);
  });

  it('ρ̄ unclipped (null): δ_0 uses ρ_0 = 1.5', () => {
    // δ_0 = 1.5·1.4 = 2.1; vs_0 − V_0 = 2.1 + .9·1·1.4 = 3.36 → vs_0 = 3.86; vs_1 unchanged (ρ_1 < 1)
    const out = vtraceFromLogits({ ...example, clipRhoThreshold: null });
    expect(out.vs[0][0]).toBeCloseTo(3.86, 12);
    expect(out.vs[1][0]).toBeCloseTo(2.4, 12);
  });

  it('c̄ unclipped (null): the trace through step 0 uses c_0 = 1.5', () => {
    // vs_0 − V_0 = 1.4 + .9·1.5·1.4 = 3.29 → vs_0 = 3.79
    const out = vtraceFromLogits({ ...example, clipCThreshold: null });
    expect(out.vs[0][0]).toBeCloseTo(3.79, 12);
  });

  it('ρ̄_pg = 2: A_0 = min(2, 1.5)·2.66', () => {
    const out = vtraceFromLogits({ ...example, clipPgRhoThreshold: 2 });
    expect(out.pgAdvantages[0][0]).toBeCloseTo(1.5 * 2.66, 12);
    expect(out.pgAdvantages[1][0]).toBeCloseTo(1.4, 12);
  });

  it('λ = 0.5: c_0 = .5·min(1, 1.5); advantage bootstraps on λ·vs + (1 − λ)·V', () => {
    // vs_0 − V_0 = 1.4 + .9·.5·1.4 = 2.03 → vs_0 = 2.53
    // A_0 = 1·(1 + .9·(.5·2.4 + .5·1.0) − .5) = 1 + 1.53 − .5 = 2.03
    const out = vtraceFromLogits({ ...example, lambda: 0.5 });
    expect(out.vs[0][0]).toBeCloseTo(2.53, 12);
    expect(out.vs[1][0]).toBeCloseTo(2.4, 12);
    expect(out.pgAdvantages[0][0]).toBeCloseTo(2.03, 12);
    expect(out.pgAdvantages[1][0]).toBeCloseTo(1.4, 12);
  });

  it('on-policy with γ = 1, λ = 1 gives the n-step return', () => {
    const out = vtraceFromLogits({ ...example, targetLogits: example.behaviourLogits, discounts: [[1], [1]] });
    expect(out.vs[0][0]).toBeCloseTo(1 + 2 + 2, 12);
    expect(out.vs[1][0]).toBeCloseTo(2 + 2, 12);
  });
});

/**
 * Reference: the paper's definition written as an explicit sum, not the backward recursion:
 * v_s = V_s + Σ_{t ≥ s} (Π_{i=s}^{t−1} γ_i c_i) δ_t.
 */
function referenceVtrace(
  T: number,
  B: number,
  A: number,
  mu: number[],
  pi: number[],
  actions: number[],
  disc: number[],
  rew: number[],
  val: number[],
  boot: number[],
  o: Required<{ [K in keyof VtraceOptions]: number }>,
) {
  const softmax = (l: number[], off: number): number[] => {
    const e = l.slice(off, off + A).map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  const vs: number[] = new Array(T * B);
  const adv: number[] = new Array(T * B);
  const rho = (i: number): number => softmax(pi, i * A)[actions[i]] / softmax(mu, i * A)[actions[i]];
  const V = (t: number, b: number): number => (t < T ? val[t * B + b] : boot[b]);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) {
      let sum = 0;
      let coef = 1;
      for (let t = s; t < T; t++) {
        const i = t * B + b;
        const delta = Math.min(o.clipRhoThreshold, rho(i)) * (rew[i] + disc[i] * V(t + 1, b) - V(t, b));
        sum += coef * delta;
        coef *= disc[i] * o.lambda * Math.min(o.clipCThreshold, rho(i));
      }
      vs[s * B + b] = V(s, b) + sum;
    }
    for (let s = 0; s < T; s++) {
      const i = s * B + b;
      const vsNext = s + 1 < T ? vs[i + B] : boot[b];
      const q = rew[i] + disc[i] * (o.lambda * vsNext + (1 - o.lambda) * V(s + 1, b));
      adv[i] = Math.min(o.clipPgRhoThreshold, rho(i)) * (q - V(s, b));
    }
  }
  return { vs, adv };
}

describe('V-trace vs the reference loop on random inputs', () => {
  const settings = [
    { clipRhoThreshold: 1, clipPgRhoThreshold: 1, clipCThreshold: 1, lambda: 1 },
    { clipRhoThreshold: 2, clipPgRhoThreshold: 1.5, clipCThreshold: 0.8, lambda: 0.9 },
    { clipRhoThreshold: 0.5, clipPgRhoThreshold: 3, clipCThreshold: 1.2, lambda: 0.3 },
  ];
  settings.forEach((o, k) => {
    it(`ρ̄=${o.clipRhoThreshold} ρ̄_pg=${o.clipPgRhoThreshold} c̄=${o.clipCThreshold} λ=${o.lambda}`, () => {
      const rng = new Rng(100 + k);
      const [T, B, A] = [7, 3, 4];
      const u = (lo: number, hi: number): number => lo + (hi - lo) * rng.random();
      const mu = Array.from({ length: T * B * A }, () => u(-2, 2));
      const pi = Array.from({ length: T * B * A }, () => u(-2, 2));
      const actions = Array.from({ length: T * B }, () => rng.int(A));
      const disc = Array.from({ length: T * B }, () => (rng.random() < 0.15 ? 0 : 0.95));
      const rew = Array.from({ length: T * B }, () => u(-1, 1));
      const val = Array.from({ length: T * B }, () => u(-2, 2));
      const boot = Array.from({ length: B }, () => u(-2, 2));
      const ref = referenceVtrace(T, B, A, mu, pi, actions, disc, rew, val, boot, o);

      const nest3 = (f: number[]) => Array.from({ length: T }, (_, t) => Array.from({ length: B }, (_, b) => f.slice((t * B + b) * A, (t * B + b + 1) * A)));
      const nest2 = (f: number[]) => Array.from({ length: T }, (_, t) => f.slice(t * B, (t + 1) * B));
      const nested = vtraceFromLogits({
        behaviourLogits: nest3(mu),
        targetLogits: nest3(pi),
        actions: nest2(actions),
        discounts: nest2(disc),
        rewards: nest2(rew),
        values: nest2(val),
        bootstrapValue: boot,
        ...o,
      });
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          expect(nested.vs[t][b]).toBeCloseTo(ref.vs[t * B + b], 10);
          expect(nested.pgAdvantages[t][b]).toBeCloseTo(ref.adv[t * B + b], 10);
        }
      }
      // the flat typed-array path used by the learner agrees (float32 output)
      const flat = vtraceFlat({
        T,
        B,
        A,
        behaviourLogits: Float32Array.from(mu),
        targetLogits: Float32Array.from(pi),
        actions: Int32Array.from(actions),
        discounts: Float32Array.from(disc),
        rewards: Float32Array.from(rew),
        values: Float32Array.from(val),
        bootstrapValue: Float32Array.from(boot),
        ...o,
      });
      for (let i = 0; i < T * B; i++) {
        expect(flat.vs[i]).toBeCloseTo(ref.vs[i], 4);
        expect(flat.pgAdvantages[i]).toBeCloseTo(ref.adv[i], 4);
      }
      // and tensors are accepted in place of nested arrays
      // vtraceFromLogits returns plain arrays (no tensors escape), so tidy only cleans up the inputs.
      let viaTensors: ReturnType<typeof vtraceFromLogits> | undefined;
      tf.tidy(() => {
        viaTensors = vtraceFromLogits({
          behaviourLogits: tf.tensor3d(nest3(mu)),
          targetLogits: tf.tensor3d(nest3(pi)),
          actions: tf.tensor2d(nest2(actions), [T, B], 'int32'),
          discounts: tf.tensor2d(nest2(disc)),
          rewards: tf.tensor2d(nest2(rew)),
          values: tf.tensor2d(nest2(val)),
          bootstrapValue: tf.tensor1d(boot),
          ...o,
        });
      });
      expect(viaTensors!.vs[T - 1][B - 1]).toBeCloseTo(ref.vs[T * B - 1], 4);
      expect(viaTensors!.pgAdvantages[0][0]).toBeCloseTo(ref.adv[0], 4);
    });
  });
});

describe('V-trace input checks', () => {
  it('names the bad field and the expected shape', () => {
    expect(() => vtraceFromLogits({ ...example, rewards: [[1], [2], [3]] })).toThrow(/rewards has shape \[3, 1\], expected \[2, 1\]/);
    expect(() => vtraceFromLogits({ ...example, actions: [[0], [2]] })).toThrow(/actions\[1\]\[0\] = 2 is not an integer in 0\.\.1/);
    expect(() => vtraceFromLogits({ ...example, bootstrapValue: [1, 2] })).toThrow(/bootstrapValue/);
    expect(() => vtraceFromLogits({ ...example, lambda: 1.5 })).toThrow(/lambda must be in \[0, 1\]/);
    expect(() => vtraceFromLogits({ ...example, clipRhoThreshold: 0 })).toThrow(/clipRhoThreshold must be a positive number or null/);
    expect(() => vtraceFromLogits({ ...example, values: [[1], [2, 3]] })).toThrow(/ragged/);
  });
});
