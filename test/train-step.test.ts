import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../src/backend/gradients.js';
import { sliceBatchColumns } from '../src/learner/batch.js';
import { clipByGlobalNorm, clipScale, globalNorm } from '../src/learner/grad-clip.js';
import { DEFAULT_LEARNER_HYPERPARAMS, resolveLearnerHyperParams } from '../src/learner/hyperparams.js';
import { linearAnnealedLr } from '../src/learner/schedule.js';
import { outOfMemoryHint, TrainStep } from '../src/learner/train-step.js';
import type { TrainBatch } from '../src/learner/batch.js';
import { createModel, type PolicyModel } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients();
});

// small: the cpu backend's Conv2DBackpropFilter is a slow JS loop
const T = 4;
const B = 2;
const T_ = T;
const B_ = B;
const A = 3;
// the MinAtar architecture on a smaller 5×5×2 grid keeps the cpu backend's conv gradient cheap
const SHAPE: [number, number, number] = [5, 5, 2];
const S = 5 * 5 * 2;

/** A fixed random MinAtar-shaped batch (0/1 planes), behaviour logits random. */
function makeBatch(seed: number, T = T_, B = B_): TrainBatch {
  const rng = new Rng(seed);
  const obs = new Uint8Array((T + 1) * B * S);
  for (let i = 0; i < obs.length; i++) obs[i] = rng.random() < 0.1 ? 1 : 0;
  const actions = Int32Array.from({ length: T * B }, () => rng.int(A));
  const rewards = Float32Array.from({ length: T * B }, () => (rng.random() < 0.3 ? 1 : 0));
  const dones = Uint8Array.from({ length: T * B }, () => (rng.random() < 0.1 ? 1 : 0));
  const behaviourLogits = Float32Array.from({ length: T * B * A }, () => rng.normal() * 0.5);
  return { obs, actions, rewards, dones, behaviourLogits };
}

function snapshot(model: PolicyModel): Float32Array[] {
  return model.variables.map((v) => Float32Array.from(v.dataSync()));
}

function diffNorm(a: Float32Array[], b: Float32Array[]): number {
  let s = 0;
  a.forEach((x, i) => x.forEach((v, j) => (s += (v - b[i][j]) ** 2)));
  return Math.sqrt(s);
}

describe('pure pieces', () => {
  it('linear lr annealing: lr0·(1 − frames/total), 0 after the end', () => {
    expect(linearAnnealedLr(6e-4, 0, 1000)).toBe(6e-4);
    expect(linearAnnealedLr(6e-4, 250, 1000)).toBeCloseTo(4.5e-4, 15);
    expect(linearAnnealedLr(6e-4, 1000, 1000)).toBe(0);
    expect(linearAnnealedLr(6e-4, 5000, 1000)).toBe(0);
    expect(() => linearAnnealedLr(6e-4, 0, 0)).toThrow(/totalFrames/);
  });

  it('global-norm clipping: ||(3, 4, 12)|| = 13, clip 6.5 halves every tensor; below the clip nothing changes', async () => {
    const g = [tf.tensor1d([3, 4]), tf.tensor2d([[12]])];
    expect(await globalNorm(g)).toBeCloseTo(13, 6);
    const c = await clipByGlobalNorm(g, 6.5);
    expect(c.norm).toBeCloseTo(13, 6);
    expect(Array.from(await c.grads[0].data())).toEqual([1.5, 2]);
    expect(Array.from(await c.grads[1].data())).toEqual([6]);
    const u = await clipByGlobalNorm(g, 40);
    expect(Array.from(await u.grads[0].data())).toEqual([3, 4]);
    await expect(clipByGlobalNorm(g, 0)).rejects.toThrow(/clipNorm/);
    expect(clipScale(13, 6.5)).toBe(0.5);
    expect(clipScale(13, 40)).toBe(1);
    tf.dispose([...g, ...c.grads, ...u.grads]);
  });

  it('batch columns: discounts γ·(1 − done), unit reward clipping, time-major slicing', () => {
    const [T, B] = [5, 4];
    const batch = makeBatch(1, T, B);
    batch.rewards[0] = 5;
    batch.rewards[1] = -3;
    batch.dones[B + 1] = 1;
    batch.dones[B + 2] = 0;
    const c = sliceBatchColumns(batch, { T, B, A, obsSize: S }, 1, 3, 0.99, 'unit');
    expect(c.Bc).toBe(2);
    expect(c.rewards[0]).toBe(-1); // column 1 of step 0, clipped from −3
    expect(c.discounts[1 * 2 + 0]).toBe(0); // step 1, column 1: done
    expect(c.discounts[1 * 2 + 1]).toBeCloseTo(0.99, 7); // step 1, column 2: not done
    expect(c.actions[2 * 2 + 1]).toBe(batch.actions[2 * B + 2]);
    expect(c.behaviourLogits[(3 * 2 + 1) * A + 2]).toBe(batch.behaviourLogits[(3 * B + 2) * A + 2]);
    expect(c.obs[(T * 2 + 1) * S + 7]).toBe(batch.obs[(T * B + 2) * S + 7]);
    const none = sliceBatchColumns(batch, { T, B, A, obsSize: S }, 0, 1, 0.99, 'none');
    expect(none.rewards[0]).toBe(5);
    // obsInto of the right length is filled and returned (every value overwritten); any other length is not used
    const into = new Float32Array((T + 1) * 2 * S).fill(-7);
    const reused = sliceBatchColumns(batch, { T, B, A, obsSize: S }, 1, 3, 0.99, 'unit', into);
    expect(reused.obs).toBe(into);
    expect(Array.from(reused.obs)).toEqual(Array.from(c.obs));
    const short = new Float32Array(3);
    expect(sliceBatchColumns(batch, { T, B, A, obsSize: S }, 1, 3, 0.99, 'unit', short).obs).not.toBe(short);
  });

  it('hyperparameters: DESIGN.md defaults, overrides, and named errors', () => {
    expect(DEFAULT_LEARNER_HYPERPARAMS).toMatchObject({
      unrollLength: 20,
      batchSize: 32,
      discount: 0.99,
      baselineCost: 0.5,
      entropyCost: 0.01,
      learningRate: 0.0006,
      rmspropDecay: 0.99,
      rmspropMomentum: 0,
      rmspropEpsilon: 0.01,
      gradClipNorm: 40,
      clipRhoThreshold: 1,
      clipCThreshold: 1,
      clipPgRhoThreshold: 1,
      lambda: 1,
    });
    expect(resolveLearnerHyperParams({ batchSize: 8, lambda: undefined }).batchSize).toBe(8);
    expect(() => resolveLearnerHyperParams({ discount: 1.5 })).toThrow(/discount = 1.5 is invalid: Too big/);
    expect(() => resolveLearnerHyperParams({ unrollLength: 0 })).toThrow(/unrollLength/);
  });
});

describe('TrainStep', () => {
  const base = { unrollLength: T, batchSize: B, annealLearningRate: false };

  it('decreases the loss on a fixed batch, without leaking tensors', async () => {
    const model = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 1 });
    const step = await TrainStep.create(model, { ...base, learningRate: 5e-3 });
    const batch = makeBatch(2);
    const first = await step.step(batch);
    const afterFirst = tf.memory().numTensors;
    const losses = [first.loss];
    for (let i = 0; i < 19; i++) losses.push((await step.step(batch)).loss);
    expect(tf.memory().numTensors).toBe(afterFirst);
    // measured: 10.13 9.82 9.55 … 6.02 5.78 (the baseline term dominates at the start)
    losses.slice(1).forEach((l, i) => expect(l).toBeLessThan(losses[i]));
    expect(losses[losses.length - 1]).toBeLessThan(0.7 * losses[0]);
    expect(Number.isFinite(first.gradNorm) && first.gradNorm > 0).toBe(true);
    expect(first.entropy).toBeGreaterThan(0);
    expect(first.entropy).toBeLessThanOrEqual(Math.log(A) + 1e-6);
    expect(model.version).toBe(20);
    expect(step.frames).toBe(20 * T * B);
    step.dispose();
    model.dispose();
  });

  it('reported loss terms agree with impala loss bookkeeping: total = pg + 0.5·baseline + 0.01·entropyLoss', async () => {
    const model = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 4 });
    const step = await TrainStep.create(model, base);
    const s = await step.step(makeBatch(3));
    expect(s.loss).toBeCloseTo(s.pgLoss + 0.5 * s.baselineLoss + 0.01 * s.entropyLoss, 4);
    expect(s.entropy).toBeCloseTo(-s.entropyLoss / (T * B), 6);
    step.dispose();
    model.dispose();
  });

  it('micro-batching gives the same update as the whole batch', async () => {
    const batch = makeBatch(5);
    const run = async (micro: number) => {
      const model = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 7 });
      const step = await TrainStep.create(model, { ...base, microBatchSize: micro });
      const stats = await step.step(batch);
      const w = snapshot(model);
      step.dispose();
      model.dispose();
      return { stats, w };
    };
    const whole = await run(0);
    const micro = await run(1); // two chunks of one column
    expect(micro.stats.loss).toBeCloseTo(whole.stats.loss, 3);
    expect(micro.stats.gradNorm).toBeCloseTo(whole.stats.gradNorm, 3);
    expect(diffNorm(micro.w, whole.w)).toBeLessThan(1e-6);
  });

  it('V-trace on the backend (the GPU path) gives the same updates and statistics as V-trace in JS', async () => {
    const batch = makeBatch(12);
    const run = async (on: 'host' | 'backend') => {
      const model = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 13 });
      const step = await TrainStep.create(model, { ...base, microBatchSize: 1, learningRate: 5e-3 }, on);
      const stats = [];
      for (let i = 0; i < 3; i++) stats.push(await step.step(batch));
      const w = snapshot(model);
      step.dispose();
      model.dispose();
      return { stats, w };
    };
    const host = await run('host');
    const dev = await run('backend');
    expect(diffNorm(host.w, dev.w)).toBeLessThan(1e-5);
    host.stats.forEach((h, i) => {
      for (const k of ['loss', 'gradNorm', 'meanVs', 'meanPgAdvantage', 'meanRho'] as const) expect(dev.stats[i][k]).toBeCloseTo(h[k], 4);
    });
  });

  it('clips the gradient to the global norm; RMSProp step matches TF1 (ms starts at 1, ε inside the sqrt)', async () => {
    // With the gradient clipped to norm c = 1e-3 and ms_0 = 1: ms_1 = .99 + .01·ĝ² ≈ .99, so
    // Δ = lr·ĝ/sqrt(ms_1 + ε) ≈ lr·ĝ/sqrt(1.0) → ||Δ|| ≈ lr·c. With ms_0 = 0 instead:
    // Δ = lr·ĝ/sqrt(.01·ĝ² + .01) ≈ 10·lr·ĝ → ||Δ|| ≈ 10·lr·c.
    const lr = 0.1;
    const c = 1e-3;
    const batch = makeBatch(6);
    const move = async (init: 'ones' | 'zeros') => {
      const model = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 8 });
      const step = await TrainStep.create(model, { ...base, learningRate: lr, gradClipNorm: c, rmspropInitialMeanSquare: init });
      const before = snapshot(model);
      const stats = await step.step(batch);
      const d = diffNorm(snapshot(model), before);
      step.dispose();
      model.dispose();
      return { d, stats };
    };
    const ones = await move('ones');
    expect(ones.stats.gradNorm).toBeGreaterThan(c); // clipping was active
    expect(ones.d / (lr * c)).toBeCloseTo(1, 2);
    const zeros = await move('zeros');
    expect(zeros.d / (lr * c)).toBeCloseTo(10, 1);
  });

  it('anneals the learning rate linearly over totalFrames', async () => {
    const model = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 9 });
    // updates of T·B·actionRepeat = 4·2·2 = 16 frames; total 48 → lr0·(1, 2/3, 1/3), then 0
    const step = await TrainStep.create(model, { ...base, annealLearningRate: true, learningRate: 1e-3, totalFrames: 48, actionRepeat: 2 });
    const batch = makeBatch(7);
    const lrs = [(await step.step(batch)).lr, (await step.step(batch)).lr];
    expect(lrs[0]).toBeCloseTo(1e-3, 15);
    expect(lrs[1]).toBeCloseTo((2 / 3) * 1e-3, 15);
    expect(step.frames).toBe(32);
    expect(step.learningRate).toBeCloseTo((1 / 3) * 1e-3, 15);
    step.frames = 48;
    expect(step.learningRate).toBe(0);
    step.frames = 1000;
    expect(step.learningRate).toBe(0);
    step.dispose();
    model.dispose();
  });

  it('optimizer state round-trips by stable names', async () => {
    const batch = makeBatch(8);
    const m1 = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 10 });
    const s1 = await TrainStep.create(m1, base);
    await s1.step(batch);
    const tensorsBefore = tf.memory().numTensors;
    const state = await s1.getOptimizerState();
    await s1.setOptimizerState(state);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(state[0].name).toBe('iterations');
    expect(state[0].data[0]).toBe(1);
    expect(state[1].name).toBe('L1.conv1.kernel/rms');
    const m2 = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 99 });
    m2.setLayerWeights(await m1.getLayerWeights());
    const s2 = await TrainStep.create(m2, base);
    await s2.setOptimizerState(state);
    await s1.step(batch);
    await s2.step(batch);
    expect(diffNorm(snapshot(m1), snapshot(m2))).toBeLessThan(1e-7);
    await expect(s2.setOptimizerState(state.slice(0, 3))).rejects.toThrow(/has no 'L1.fc.kernel\/rms'|has no/);
    [s1, s2].forEach((s) => s.dispose());
    [m1, m2].forEach((m) => m.dispose());
  });

  it('rejects a batch of the wrong size, naming the field', async () => {
    const model = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 1 });
    const step = await TrainStep.create(model, base);
    const batch = { ...makeBatch(1), rewards: new Float32Array(3) };
    await expect(step.step(batch)).rejects.toThrow(/rewards must hold T·B = 4·2 = 8 values/);
    step.dispose();
    model.dispose();
  });
});

describe('outOfMemoryHint', () => {
  it('turns the bare RangeError of an exhausted wasm heap into the fix, and passes everything else through', () => {
    expect(outOfMemoryHint(() => 7, 32, 20)).toBe(7);
    const heap = () =>
      outOfMemoryHint(
        () => {
          throw new RangeError('Invalid typed array length: 75866112');
        },
        32,
        20,
      );
    expect(heap).toThrow(
      "a training step on 32 × 21 frames ran out of the backend's memory (Invalid typed array length: 75866112): set hyper.microBatchSize to 8 " +
        '(the update accumulates its gradients over chunks of that many unrolls: same update, less memory) or lower hyper.batchSize',
    );
    const other = new RangeError('rho must be positive');
    expect(() =>
      outOfMemoryHint(
        () => {
          throw other;
        },
        32,
        20,
      ),
    ).toThrow(other);
    expect(() =>
      outOfMemoryHint(
        () => {
          throw new TypeError('Invalid typed array length: 1');
        },
        2,
        5,
      ),
    ).toThrow(TypeError);
  });
});
