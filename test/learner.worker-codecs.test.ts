// Feature codecs training in the training worker (trainThread 'worker' or 'auto' with codecs): a real
// worker_threads worker on the wasm backend, checked update for update against the same TrainStep
// with the same codecs on the main thread; its codec states come back into the main thread's codecs
// and its checkpoint states save and restore through messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { FeatureCodec } from '../src/codec/index.js';
import type { TrainBatch } from '../src/learner/batch.js';
import { CodecTrainer, type CodecTrainingOptions } from '../src/learner/codec-training.js';
import { resolveLearnerHyperParams } from '../src/learner/hyperparams.js';
import { TrainStep } from '../src/learner/train-step.js';
import { WorkerTrainStep } from '../src/learner/worker-train-step.js';
import { createModel, type PolicyModel } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';
import { copyBatch } from './helpers/train-batch.js';

const [T, B, A] = [4, 3, 3];
const SHAPE: [number, number, number] = [6, 6, 3];
const S = 6 * 6 * 3;
const hp = resolveLearnerHyperParams({ unrollLength: T, batchSize: B, totalFrames: 10_000, learningRate: 3e-3 });
// two-stage with 2 frozen updates: the schedule (codec.updates) must run in the worker as on the main thread
const TRAINING: CodecTrainingOptions = { mode: 'two-stage', reconstructionWeight: 1, frozenUpdates: 2, fineTuneLrScale: 0.5 };
const IDS = ['ae4q4', 'q8'] as const; // the main codec (on the training forward path) and one off it

function makeBatch(seed: number): TrainBatch {
  const rng = new Rng(seed);
  return {
    obs: Uint8Array.from({ length: (T + 1) * B * S }, () => (rng.random() < 0.2 ? 1 : 0)),
    actions: Int32Array.from({ length: T * B }, () => rng.int(A)),
    rewards: Float32Array.from({ length: T * B }, () => (rng.random() < 0.3 ? 1 : 0)),
    dones: Uint8Array.from({ length: T * B }, () => (rng.random() < 0.1 ? 1 : 0)),
    behaviourLogits: Float32Array.from({ length: T * B * A }, () => rng.normal() * 0.5),
  };
}
const flat = (vs: readonly tf.Variable[]): number[] => vs.flatMap((v) => Array.from(v.dataSync()));
const maxDiff = (a: readonly number[], b: readonly number[]): number => {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
};

/** A model and its codecs at split point 1, all from fixed seeds (`modelSeed` for the network). */
function build(modelSeed: number): { model: PolicyModel; codecs: FeatureCodec[] } {
  const model = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: modelSeed });
  const codecs = IDS.map((id, i) => {
    const c = new FeatureCodec(id, model.layers[0].outShape, { seed: 11 + i });
    c.range = { min: -0.5, max: 1.5, count: 1 };
    return c;
  });
  return { model, codecs };
}

async function mainThreadStep(model: PolicyModel, codecs: readonly FeatureCodec[]): Promise<TrainStep> {
  const step = await TrainStep.create(model, hp);
  const [main, ...off] = codecs.map((c) => new CodecTrainer(model, c, 1, TRAINING, hp));
  step.attachCodec(main);
  step.attachOffPathCodecs(off);
  return step;
}

const startWorker = (model: PolicyModel, codecs: readonly FeatureCodec[]): Promise<WorkerTrainStep> =>
  WorkerTrainStep.start(model, hp, 77, 1, { entries: codecs.map((codec) => ({ y: 1, codec })), training: TRAINING });

describe('WorkerTrainStep with feature codecs', () => {
  const here = { model: undefined as unknown as PolicyModel, codecs: [] as FeatureCodec[], step: undefined as unknown as TrainStep };
  const there = { model: undefined as unknown as PolicyModel, codecs: [] as FeatureCodec[], step: undefined as unknown as WorkerTrainStep };

  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', log: () => {} });
    Object.assign(here, build(3));
    here.step = await mainThreadStep(here.model, here.codecs);
    // the worker side's main-thread copies start from other codec weights: the worker must take the
    // states it was started with, so load the same ones
    Object.assign(there, build(3));
    there.codecs.forEach((c, i) => c.load(here.codecs[i].state()));
    for (const c of there.codecs) c.version = 7; // a published version: the worker's updates must keep it
    there.step = await startWorker(there.model, there.codecs);
  }, 60_000);

  afterAll(() => {
    there.step?.dispose();
    here.step?.dispose();
  });

  it('every update equals the main-thread one: loss, reconstruction, model and codec weights, ranges; the published version stays', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const batch = makeBatch(seed);
      const a = await here.step.step(copyBatch(batch));
      const b = await there.step.step(copyBatch(batch));
      expect(b.loss, `loss after update ${seed}`).toBeCloseTo(a.loss, 5);
      expect(b.codecReconstruction!, `reconstruction after update ${seed}`).toBeCloseTo(a.codecReconstruction!, 6);
      expect(b.codecReconstruction).toBeGreaterThan(0);
      expect(maxDiff(flat(there.model.variables), flat(here.model.variables))).toBeLessThan(1e-6);
      for (const [i, c] of there.codecs.entries()) {
        expect(maxDiff(flat(c.variables()), flat(here.codecs[i].variables())), `${IDS[i]} weights`).toBeLessThan(1e-6);
        expect(c.range.min).toBeCloseTo(here.codecs[i].range.min, 6);
        expect(c.range.max).toBeCloseTo(here.codecs[i].range.max, 6);
        expect(c.range.count).toBe(here.codecs[i].range.count);
        expect(c.version).toBe(7);
      }
    }
    // the ranges did move from the start, and ae4q4's weights trained
    expect(there.codecs[1].range).not.toEqual({ min: -0.5, max: 1.5, count: 1 });
    expect(here.step.codecTrainer!.updates).toBe(4);
  });

  it('saveCodecs returns the same checkpoint states as the main thread, stamped with the main thread’s version', async () => {
    const [a, b] = [await here.step.saveCodecs(), await there.step.saveCodecs()];
    const all = (s: typeof a) => [s.codec!, ...(s.offPathCodecs ?? [])];
    expect(all(b).map((c) => [c.meta.y, c.meta.codec, c.meta.updates])).toEqual([
      [1, 'ae4q4', 4],
      [1, 'q8', 4],
    ]);
    expect(all(b).map((c) => c.meta.version)).toEqual([7, 7]);
    all(b).forEach((c, i) => {
      const ref = all(a)[i];
      expect(c.arrays.map((x) => x.name)).toEqual(ref.arrays.map((x) => x.name));
      c.arrays.forEach((x, j) => expect(maxDiff(Array.from(x.data), Array.from(ref.arrays[j].data)), x.name).toBeLessThan(1e-6));
    });
  });

  it('restoreCodecs loads a checkpoint into the worker and the main thread’s codecs; the next update matches again', async () => {
    const saved = await here.step.saveCodecs();
    const fresh = build(3);
    for (const c of fresh.codecs) c.range = { min: 0, max: 1, count: 1 }; // other ranges than saved
    const w = await startWorker(fresh.model, fresh.codecs);
    try {
      fresh.model.setLayerWeights(await here.model.getLayerWeights(1, here.model.K));
      w.weightsChanged();
      await w.setOptimizerState(await here.step.getOptimizerState());
      await w.restoreCodecs(saved);
      w.frames = here.step.frames;
      fresh.model.version = here.model.version;
      expect(fresh.codecs.map((c) => c.version)).toEqual([0, 0]); // what the in-thread codecs were stamped with
      fresh.codecs.forEach((c, i) => {
        expect(c.range).toEqual(here.codecs[i].range);
        expect(maxDiff(flat(c.variables()), flat(here.codecs[i].variables()))).toBeLessThan(1e-6);
      });
      const batch = makeBatch(9);
      const a = await here.step.step(copyBatch(batch));
      const b = await w.step(copyBatch(batch));
      expect(b.loss).toBeCloseTo(a.loss, 5);
      expect(maxDiff(flat(fresh.codecs[0].variables()), flat(here.codecs[0].variables()))).toBeLessThan(1e-6);
      expect(maxDiff(flat(fresh.model.variables), flat(here.model.variables))).toBeLessThan(1e-6);
    } finally {
      w.dispose();
    }
  });

  it('a checkpoint of another codec is refused with the mismatch named', async () => {
    const saved = await here.step.saveCodecs();
    const other = { ...saved.codec!, meta: { ...saved.codec!.meta, codec: 'ae2q4' } };
    await expect(there.step.restoreCodecs({ codec: other })).rejects.toThrow(/holds codec "ae2q4" at split point 1, this run trains "ae4q4"/);
  });
});
