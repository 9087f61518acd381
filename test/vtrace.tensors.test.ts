import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../src/backend/gradients.js';
import { Rng } from '../src/util/rng.js';
import { vtraceFlat } from '../src/vtrace/vtrace.js';
import { suffixLinearScan, vtraceTensors, type VtraceTensorInput } from '../src/vtrace/vtrace-tensors.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients();
});

type HostInput = Omit<VtraceTensorInput, 'targetLogits' | 'values' | 'bootstrapValue'> & {
  A: number;
  targetLogits: Float32Array;
  values: Float32Array;
  bootstrapValue: Float32Array;
};

/** Runs vtraceTensors on host arrays and reads the results back. */
async function run(h: HostInput): Promise<{ vs: Float32Array; adv: Float32Array; logRhos: Float32Array }> {
  const out = tf.tidy(() => {
    const r = vtraceTensors({
      ...h,
      targetLogits: tf.tensor2d(h.targetLogits, [h.T * h.B, h.A]),
      values: tf.tensor1d(h.values),
      bootstrapValue: tf.tensor1d(h.bootstrapValue),
    });
    return [r.vs, r.pgAdvantages, r.logRhos];
  });
  const [vs, adv, logRhos] = (await Promise.all(out.map((t) => t.data()))) as Float32Array[];
  tf.dispose(out);
  return { vs, adv, logRhos };
}

/** The hand-computed 2-step example of vtrace.targets.test.ts: ρ_0 = 1.5, ρ_1 = 0.5. */
const example: HostInput = {
  T: 2,
  B: 1,
  A: 2,
  behaviourLogits: Float32Array.from([0, 0, 0, 0]),
  targetLogits: Float32Array.from([Math.log(3), 0, 0, Math.log(3)]),
  actions: Int32Array.from([0, 0]),
  rewards: Float32Array.from([1, 2]),
  discounts: Float32Array.from([0.9, 0.9]),
  values: Float32Array.from([0.5, 1.0]),
  bootstrapValue: Float32Array.from([2]),
};

describe('V-trace on tensors, hand-computed 2-step example', () => {
  it('defaults: vs = (3.16, 2.4), advantages (2.66, 1.4), log ρ = (ln 1.5, ln 0.5)', async () => {
    const r = await run(example);
    expect(r.vs[0]).toBeCloseTo(3.16, 5);
    expect(r.vs[1]).toBeCloseTo(2.4, 5);
    expect(r.adv[0]).toBeCloseTo(2.66, 5);
    expect(r.adv[1]).toBeCloseTo(1.4, 5);
    expect(r.logRhos[0]).toBeCloseTo(Math.log(1.5), 6);
    expect(r.logRhos[1]).toBeCloseTo(Math.log(0.5), 6);
  });

  it('ρ̄ and c̄ unclipped, ρ̄_pg = 2, λ = 0.5 give the hand values', async () => {
    expect((await run({ ...example, clipRhoThreshold: null })).vs[0]).toBeCloseTo(3.86, 5);
    expect((await run({ ...example, clipCThreshold: null })).vs[0]).toBeCloseTo(3.79, 5);
    expect((await run({ ...example, clipPgRhoThreshold: 2 })).adv[0]).toBeCloseTo(1.5 * 2.66, 5);
    const l = await run({ ...example, lambda: 0.5 });
    expect(l.vs[0]).toBeCloseTo(2.53, 5);
    expect(l.adv[0]).toBeCloseTo(2.03, 5);
  });

  it('T = 1: the bootstrap value is the only next value', async () => {
    // δ_0 = min(1, 1.5)·(1 + .9·2 − .5) = 2.3 → vs_0 = 2.8; A_0 = 2.3
    const r = await run({
      ...example,
      T: 1,
      behaviourLogits: example.behaviourLogits.subarray(0, 2),
      targetLogits: example.targetLogits.subarray(0, 2),
      actions: example.actions.subarray(0, 1),
      rewards: example.rewards.subarray(0, 1),
      discounts: example.discounts.subarray(0, 1),
      values: example.values.subarray(0, 1),
    });
    expect(r.vs[0]).toBeCloseTo(2.8, 5);
    expect(r.adv[0]).toBeCloseTo(2.3, 5);
  });
});

describe('suffix linear scan y_t = x_t + a_t·y_{t+1}', () => {
  it('by hand: x = (1, 2, 3), a = ½ → y = (2.75, 3.5, 3)', async () => {
    const y = tf.tidy(() => suffixLinearScan(tf.tensor2d([1, 2, 3], [3, 1]), tf.fill([3, 1], 0.5), 3, 1));
    expect(Array.from(await y.data())).toEqual([2.75, 3.5, 3]);
    y.dispose();
  });

  it('equals the sequential loop for every T from 1 to 20 (powers of two and not), zeros in a included', async () => {
    const rng = new Rng(7);
    for (let T = 1; T <= 20; T++) {
      const B = 3;
      const x = Float32Array.from({ length: T * B }, () => rng.normal());
      const a = Float32Array.from({ length: T * B }, () => (rng.random() < 0.2 ? 0 : rng.random()));
      const want = new Float64Array(T * B);
      for (let b = 0; b < B; b++) {
        let acc = 0;
        for (let t = T - 1; t >= 0; t--) want[t * B + b] = acc = x[t * B + b] + a[t * B + b] * acc;
      }
      const y = tf.tidy(() => suffixLinearScan(tf.tensor2d(x, [T, B]), tf.tensor2d(a, [T, B]), T, B));
      const got = await y.data();
      y.dispose();
      for (let i = 0; i < T * B; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    }
  });
});

describe('V-trace on tensors agrees with vtraceFlat (float64) on random inputs', () => {
  const settings = [
    { clipRhoThreshold: 1, clipPgRhoThreshold: 1, clipCThreshold: 1, lambda: 1 },
    { clipRhoThreshold: 2, clipPgRhoThreshold: 1.5, clipCThreshold: 0.8, lambda: 0.9 },
    { clipRhoThreshold: null, clipPgRhoThreshold: null, clipCThreshold: null, lambda: 0.3 },
  ];
  settings.forEach((o, k) => {
    it(`ρ̄=${o.clipRhoThreshold} ρ̄_pg=${o.clipPgRhoThreshold} c̄=${o.clipCThreshold} λ=${o.lambda}`, async () => {
      const rng = new Rng(300 + k);
      const [T, B, A] = [9, 4, 5];
      const u = (n: number, lo: number, hi: number): Float32Array => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.random());
      const h: HostInput = {
        T,
        B,
        A,
        behaviourLogits: u(T * B * A, -2, 2),
        targetLogits: u(T * B * A, -2, 2),
        actions: Int32Array.from({ length: T * B }, () => rng.int(A)),
        discounts: Float32Array.from({ length: T * B }, () => (rng.random() < 0.15 ? 0 : 0.95)),
        rewards: u(T * B, -1, 1),
        values: u(T * B, -2, 2),
        bootstrapValue: u(B, -2, 2),
        ...o,
      };
      const ref = vtraceFlat(h);
      const r = await run(h);
      for (let i = 0; i < T * B; i++) {
        expect(r.vs[i]).toBeCloseTo(ref.vs[i], 4);
        expect(r.adv[i]).toBeCloseTo(ref.pgAdvantages[i], 4);
        expect(r.logRhos[i]).toBeCloseTo(ref.logRhos[i], 5);
      }
    });
  });
});

describe('V-trace on tensors is a constant for the gradient', () => {
  it('d Σ vs / d V = 0 although vs is computed from V (the stop_gradient of scalable_agent)', () => {
    const v = tf.variable(tf.tensor1d([0.5, 1.0]));
    const { grads } = tf.variableGrads(() => {
      const r = vtraceTensors({ ...example, targetLogits: tf.tensor2d(example.targetLogits, [2, 2]), values: v, bootstrapValue: tf.tensor1d([2]) });
      // the loss sees V once directly (gradient 1 per entry) and again through vs (must add nothing)
      return tf.add(tf.sum(r.vs), tf.sum(v)) as tf.Scalar;
    }, [v]);
    expect(Array.from(grads[v.name].dataSync())).toEqual([1, 1]);
    tf.dispose([v, grads[v.name]]);
  });

  it('names a bad field', () => {
    expect(() =>
      tf.tidy(() => {
        vtraceTensors({
          ...example,
          rewards: Float32Array.from([1]),
          targetLogits: tf.tensor2d(example.targetLogits, [2, 2]),
          values: tf.tensor1d(example.values),
          bootstrapValue: tf.tensor1d([2]),
        });
      }),
    ).toThrow(/rewards must hold 2 numbers, got 1/);
  });
});
