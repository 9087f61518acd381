import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../src/backend/gradients.js';
import { FeatureCodec } from '../src/codec/index.js';
import { CodecTrainer } from '../src/learner/codec-training.js';
import type { TrainBatch } from '../src/learner/batch.js';
import { TrainStep } from '../src/learner/train-step.js';
import { createModel, type PolicyModel } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients();
});

const T = 4;
const B = 2;
const A = 3;
const SHAPE: [number, number, number] = [5, 5, 2]; // MinAtar net on a small grid: layer 1 → [3, 3, 16]
const S = 50;
const HP = { unrollLength: T, batchSize: B, learningRate: 0.0006, rmspropDecay: 0.99, rmspropMomentum: 0, rmspropEpsilon: 0.01 };

function batch(seed: number): TrainBatch {
  const rng = new Rng(seed);
  return {
    obs: Uint8Array.from({ length: (T + 1) * B * S }, () => (rng.random() < 0.2 ? 1 : 0)),
    actions: Int32Array.from({ length: T * B }, () => rng.int(A)),
    rewards: Float32Array.from({ length: T * B }, () => (rng.random() < 0.3 ? 1 : 0)),
    dones: new Uint8Array(T * B),
    behaviourLogits: Float32Array.from({ length: T * B * A }, () => rng.normal() * 0.5),
  };
}

const snap = (vs: readonly tf.Variable[]) => vs.map((v) => Float32Array.from(v.dataSync()));
const changed = (a: Float32Array[], b: Float32Array[]) => a.some((x, i) => x.some((v, j) => v !== b[i][j]));

async function setup(mode: 'joint' | 'two-stage'): Promise<{ model: PolicyModel; codec: FeatureCodec; step: TrainStep; trainer: CodecTrainer }> {
  const model = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 1 });
  const codec = new FeatureCodec('ae4q4', model.layers[0].outShape, { seed: 2 });
  codec.range = { min: -1, max: 1, count: 1 };
  const step = await TrainStep.create(model, HP);
  const trainer = new CodecTrainer(model, codec, 1, { mode, reconstructionWeight: 1, frozenUpdates: 3, fineTuneLrScale: 0.1 }, HP);
  step.attachCodec(trainer);
  return { model, codec, step, trainer };
}

describe('codec trained with the RL model', () => {
  it('joint: the IMPALA loss reaches the codec through the straight-through quantiser; reconstruction falls; the range tracks the encoder', async () => {
    const { model, codec, step } = await setup('joint');
    const m0 = snap(model.variables);
    const c0 = snap(codec.variables());
    const first = await step.step(batch(1));
    expect(first.codecReconstruction).toBeGreaterThan(0);
    expect(changed(m0, snap(model.variables))).toBe(true);
    expect(changed(c0, snap(codec.variables()))).toBe(true);
    expect(codec.range.count).toBeGreaterThan(1);
    let last = first.codecReconstruction!;
    for (let i = 0; i < 20; i++) last = (await step.step(batch(1))).codecReconstruction!;
    expect(last).toBeLessThan(first.codecReconstruction!);
    step.dispose();
    codec.dispose();
    model.dispose();
  });

  it('two-stage: the backbone is frozen for frozenUpdates updates, then fine-tuned at the scaled learning rate', async () => {
    const { model, codec, step, trainer } = await setup('two-stage');
    const m0 = snap(model.variables);
    const rec: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(trainer.backboneTrains).toBe(false);
      const c = snap(codec.variables());
      rec.push((await step.step(batch(1))).codecReconstruction!);
      expect(changed(c, snap(codec.variables()))).toBe(true);
    }
    // with the backbone frozen the target is fixed: reconstruction only improves
    expect(rec[2]).toBeLessThan(rec[0]);
    expect(changed(m0, snap(model.variables))).toBe(false);
    expect([trainer.backboneTrains, trainer.lrScale]).toEqual([true, 0.1]);
    await step.step(batch(9));
    expect(changed(m0, snap(model.variables))).toBe(true);
    step.dispose();
    codec.dispose();
    model.dispose();
  });
});
