import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../src/backend/gradients.js';
import { FeatureCodec } from '../src/codec/index.js';
import type { TrainBatch } from '../src/learner/batch.js';
import { loadCodecState, saveCodecState } from '../src/learner/codec-checkpoint.js';
import { CodecTrainer } from '../src/learner/codec-training.js';
import { TrainStep } from '../src/learner/train-step.js';
import { createModel } from '../src/model/index.js';
import { codecStateOf, loadCheckpoint, writeRunCheckpoint } from '../src/run/checkpoint.js';
import { Rng } from '../src/util/rng.js';

const T = 4;
const B = 2;
const A = 3;
const SHAPE: [number, number, number] = [5, 5, 2]; // MinAtar net on a small grid: layer 1 → [3, 3, 16]
const S = 50;
const TOTAL_FRAMES = 80; // 10 updates of T·B frames: the schedule anneals visibly
const HP = {
  unrollLength: T,
  batchSize: B,
  learningRate: 0.001,
  rmspropDecay: 0.99,
  rmspropMomentum: 0,
  rmspropEpsilon: 0.01,
  annealLearningRate: true,
  totalFrames: TOTAL_FRAMES,
};
const dir = mkdtempSync(join(tmpdir(), 'ck-codec-ckpt-'));

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

/** A model, train step and ae4q4 trainer at y = 1; `seed` changes the codec's initial weights. */
async function setup(seed: number) {
  const model = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 1 });
  const codec = new FeatureCodec('ae4q4', model.layers[0].outShape, { seed });
  codec.range = { min: -1, max: 1, count: 1 };
  const step = await TrainStep.create(model, HP);
  const trainer = new CodecTrainer(model, codec, 1, { mode: 'joint', reconstructionWeight: 1, frozenUpdates: 0, fineTuneLrScale: 1 }, HP);
  step.attachCodec(trainer);
  return { model, codec, step, trainer };
}

const snap = (vs: readonly tf.Variable[]) => vs.map((v) => Array.from(v.dataSync()));
const codecLr = (t: CodecTrainer) => t.optimizer.getConfig().learningRate as number;

describe('codec state in checkpoints', () => {
  it('a resumed codec has the same weights, range, version and optimizer slots: it decodes identically and trains on identically', async () => {
    const a = await setup(2);
    for (let i = 0; i < 3; i++) await a.step.step(batch(i));
    a.codec.version = a.model.version;
    const state = await a.step.getOptimizerState();
    const path = writeRunCheckpoint(
      dir,
      { mode: 'local' },
      { frames: a.step.frames, updates: 3, episodes: [], wallSeconds: 1, recent: { values: () => [] } },
      { version: a.model.version, spec: 'minatar', inputShape: SHAPE, numActions: A },
      { weights: await a.model.getLayerWeights(1, a.model.K), optimizer: state, codec: await saveCodecState(a.trainer) },
    );
    const ckpt = loadCheckpoint(path);
    const saved = codecStateOf(ckpt)!;
    expect(saved.meta).toEqual({ y: 1, codec: 'ae4q4', version: 3, range: a.codec.range, updates: 3 });
    // 4 variables + iterations + 4 rms + 4 momentum slots
    expect(saved.arrays.map((x) => x.name)).toHaveLength(13);

    const b = await setup(99); // other initial codec weights: the checkpoint must overwrite them
    expect(snap(b.codec.variables())).not.toEqual(snap(a.codec.variables()));
    b.model.setLayerWeights(ckpt.weights);
    await b.step.setOptimizerState(ckpt.optimizer);
    b.step.frames = ckpt.meta.frames;
    await loadCodecState(b.trainer, saved);
    expect(snap(b.codec.variables())).toEqual(snap(a.codec.variables()));
    expect(b.codec.range).toEqual(a.codec.range); // float64, exactly
    expect([b.codec.version, b.trainer.updates]).toEqual([3, 3]);

    // decoding: same bytes from the same feature, same floats back
    const rng = new Rng(5);
    const n = 3;
    const feature = Float32Array.from({ length: n * 3 * 3 * 16 }, () => Math.max(0, rng.normal()));
    const ea = a.codec.encode(feature, n);
    const eb = b.codec.encode(feature, n);
    expect(Array.from(eb.bytes)).toEqual(Array.from(ea.bytes));
    expect([eb.scale, eb.offset]).toEqual([ea.scale, ea.offset]);
    expect(Array.from(b.codec.decode(ea, n))).toEqual(Array.from(a.codec.decode(ea, n)));

    // the codec's RMSProp slots came back too: one more identical update leaves identical weights
    await a.step.step(batch(7));
    await b.step.step(batch(7));
    expect(snap(b.codec.variables())).toEqual(snap(a.codec.variables()));
    expect(b.codec.range).toEqual(a.codec.range);
    for (const s of [a, b]) {
      s.step.dispose();
      s.codec.dispose();
      s.model.dispose();
    }
  });

  it('refuses a state of another codec or split, and a state with a missing or non-finite tensor, naming it', async () => {
    const a = await setup(2);
    await a.step.step(batch(1));
    const s = await saveCodecState(a.trainer);
    await expect(loadCodecState(a.trainer, { ...s, meta: { ...s.meta, codec: 'ae2q4' } })).rejects.toThrow(
      /holds codec "ae2q4" at split point 1, this run trains "ae4q4"/,
    );
    await expect(loadCodecState(a.trainer, { ...s, arrays: s.arrays.slice(1) })).rejects.toThrow(/no 'codec\/var0'/);
    const bad = s.arrays.map((x, i) => (i === 2 ? { ...x, data: Float32Array.of(NaN, ...x.data.subarray(1)) } : x));
    await expect(loadCodecState(a.trainer, { ...s, arrays: bad })).rejects.toThrow(/'codec\/var2' holds a non-finite value/);
    await expect(loadCodecState(a.trainer, { ...s, meta: { ...s.meta, range: { min: 1, max: 0, count: 1 } } })).rejects.toThrow(/max >= min/);
    a.step.dispose();
    a.codec.dispose();
    a.model.dispose();
  });

  it("the codec's RMSProp follows the model's annealed learning rate", async () => {
    const a = await setup(2);
    const lrs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const st = await a.step.step(batch(i));
      expect(codecLr(a.trainer)).toBeCloseTo(st.lr, 15);
      lrs.push(codecLr(a.trainer));
    }
    // lr0 · (1 − frames/total) at frames 0, 8, 16 of 80
    expect(lrs.map((x) => Number(x.toPrecision(12)))).toEqual([0.001, 0.0009, 0.0008]);
    a.step.dispose();
    a.codec.dispose();
    a.model.dispose();
  });
});
