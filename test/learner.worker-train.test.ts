// Training in a worker thread (trainThread 'worker'): a real worker_threads worker on the wasm
// backend, checked update for update against the same TrainStep on the main thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import type { TrainBatch } from '../src/learner/batch.js';
import { resolveLearnerHyperParams } from '../src/learner/hyperparams.js';
import { TrainStep } from '../src/learner/train-step.js';
import { WorkerTrainStep } from '../src/learner/worker-train-step.js';
import { createModel, type PolicyModel } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';
import { copyBatch } from './helpers/train-batch.js';

const [T, B, A] = [5, 4, 3];
const SHAPE: [number, number, number] = [10, 10, 4];
const S = 10 * 10 * 4;
const hp = resolveLearnerHyperParams({ unrollLength: T, batchSize: B, totalFrames: 10_000, learningRate: 5e-3 });

function makeBatch(seed: number): TrainBatch {
  const rng = new Rng(seed);
  const obs = Uint8Array.from({ length: (T + 1) * B * S }, () => (rng.random() < 0.1 ? 1 : 0));
  const actions = Int32Array.from({ length: T * B }, () => rng.int(A));
  const rewards = Float32Array.from({ length: T * B }, () => (rng.random() < 0.3 ? 1 : 0));
  const dones = Uint8Array.from({ length: T * B }, () => (rng.random() < 0.1 ? 1 : 0));
  const behaviourLogits = Float32Array.from({ length: T * B * A }, () => rng.normal() * 0.5);
  return { obs, actions, rewards, dones, behaviourLogits };
}

const weights = (m: PolicyModel): number[] => m.variables.flatMap((v) => Array.from(v.dataSync()));
const maxDiff = (a: number[], b: number[]): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('WorkerTrainStep', () => {
  let mainModel: PolicyModel;
  let workerModel: PolicyModel;
  let inThread: TrainStep;
  let worker: WorkerTrainStep;

  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', log: () => {} });
    mainModel = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 3 });
    // the worker builds its copy from seed 3 too, but the first update must push this model's weights:
    // start it from different ones
    workerModel = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 99 });
    workerModel.setLayerWeights(await mainModel.getLayerWeights());
    inThread = await TrainStep.create(mainModel, hp);
    worker = await WorkerTrainStep.start(workerModel, hp, 77);
  }, 60_000);

  afterAll(() => {
    worker?.dispose();
    inThread?.dispose();
  });

  it('every update equals the main-thread TrainStep: loss terms, gradient norm, weights, version, frames; the optimizer state too', async () => {
    for (const seed of [1, 2, 3]) {
      const batch = makeBatch(seed);
      const a = await inThread.step(copyBatch(batch));
      const b = await worker.step(copyBatch(batch));
      for (const k of ['loss', 'pgLoss', 'baselineLoss', 'entropyLoss', 'gradNorm', 'lr', 'meanVs', 'meanRho'] as const) {
        expect(b[k], `${k} after update ${seed}`).toBeCloseTo(a[k], 5);
      }
      expect(b.version).toBe(a.version);
      expect(worker.frames).toBe(inThread.frames);
      expect(workerModel.version).toBe(mainModel.version);
      expect(maxDiff(weights(workerModel), weights(mainModel))).toBeLessThan(1e-6);
    }
    expect(worker.frames).toBe(3 * T * B);
    const [sa, sb] = [await inThread.getOptimizerState(), await worker.getOptimizerState()];
    expect(sb.map((s) => s.name)).toEqual(sa.map((s) => s.name));
    sb.forEach((s, i) => expect(maxDiff(Array.from(s.data), Array.from(sa[i].data)), s.name).toBeLessThan(1e-6));
  });

  it('a restore (weights set on the main thread, optimizer state and frames handed over) carries into the next update', async () => {
    // both sides restore the same state, taken from a third model, then update once more
    const other = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 5 });
    const blob = await other.getLayerWeights();
    const slots = (await inThread.getOptimizerState()).map((s) => ({ ...s, data: s.data.map((x) => x * 0.5 + 0.25) }));
    for (const [m, t] of [
      [mainModel, inThread],
      [workerModel, worker],
    ] as const) {
      m.setLayerWeights(blob);
      t.weightsChanged();
      await t.setOptimizerState(slots);
      t.frames = 4000;
    }
    const batch = makeBatch(9);
    const a = await inThread.step(copyBatch(batch));
    const b = await worker.step(copyBatch(batch));
    expect(b.lr).toBeCloseTo(5e-3 * (1 - 4000 / 10_000), 9); // the annealed rate at the restored frame count
    expect(b.loss).toBeCloseTo(a.loss, 5);
    expect(maxDiff(weights(workerModel), weights(mainModel))).toBeLessThan(1e-6);
    other.dispose();
  });

  it('a non-finite update is skipped on the worker too: weights, version and frames unchanged', async () => {
    const before = weights(workerModel);
    const [version, frames] = [workerModel.version, worker.frames];
    const batch = makeBatch(4);
    batch.rewards[0] = Number.NaN;
    const stats = await worker.step(batch);
    expect(stats.skipped).toBe(true);
    expect(workerModel.version).toBe(version);
    expect(worker.frames).toBe(frames);
    expect(weights(workerModel)).toEqual(before);
  });

  it('a malformed batch is refused with the field named, and the worker goes on training', async () => {
    const bad = { ...makeBatch(5), actions: new Int32Array(3) };
    await expect(worker.step(bad)).rejects.toThrow(/train batch: actions must hold T·B = 5·4 = 20 values/);
    const ok = await worker.step(makeBatch(6));
    expect(Number.isFinite(ok.loss)).toBe(true);
  });

  it('after dispose every call is refused with a clear error', async () => {
    const w = await WorkerTrainStep.start(workerModel, hp, 1);
    w.dispose();
    await expect(w.step(makeBatch(7))).rejects.toThrow(/training worker disposed/);
    await expect(w.getOptimizerState()).rejects.toThrow(/training worker disposed/);
  });
});

describe('trainThread in the config', () => {
  it("'worker' with a GPU backend fails before anything starts, naming the field; with feature codecs it is valid", () => {
    expect(validateConfig({ mode: 'coknight', trainThread: 'worker', distributed: { codec: 'q8' } }).trainThread).toBe('worker');
    expect(() => validateConfig({ mode: 'seed', trainThread: 'worker', backend: 'webgpu' })).toThrow(/trainThread.*backend 'webgpu' stays on the main thread/s);
    expect(() => validateConfig({ trainThread: 'gpu' })).toThrow(/trainThread/);
    expect(validateConfig({ mode: 'seed' }).trainThread).toBe('auto');
  });
});
