/**
 * Codecs off the training forward path (distributed.codecs after the first): each is updated after
 * every train step on its own reconstruction loss and range, the backbone is untouched by them, and
 * all of them survive a checkpoint (old checkpoints without them still load).
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../src/backend/gradients.js';
import { FeatureCodec } from '../src/codec/index.js';
import { CodecTrainer } from '../src/learner/codec-training.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOffPathCodecStates, saveCodecState, saveOffPathCodecStates } from '../src/learner/codec-checkpoint.js';
import { codecStateOf, loadCheckpoint, offPathCodecStatesOf, writeRunCheckpoint } from '../src/run/checkpoint.js';
import type { TrainBatch } from '../src/learner/batch.js';
import { TrainStep } from '../src/learner/train-step.js';
import { createModel } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients();
});

const T = 4;
const B = 2;
const A = 3;
const SHAPE: [number, number, number] = [5, 5, 2];
const S = 50;
const HP = { unrollLength: T, batchSize: B, learningRate: 0.003, rmspropDecay: 0.99, rmspropMomentum: 0, rmspropEpsilon: 0.01, gradClipNorm: 40 };
const OPTS = { mode: 'joint' as const, reconstructionWeight: 1, frozenUpdates: 0, fineTuneLrScale: 0.1 };

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

const snap = (vs: readonly tf.Variable[]) => vs.map((v) => Array.from(v.dataSync()));

/** A train step with ae4q4 on the forward path, and (withOffPath) ae2q4 and q8 off it. */
async function setup(withOffPath: boolean) {
  const model = createModel('minatar', { inputShape: SHAPE, numActions: A, seed: 1 });
  const shape = model.layers[0].outShape;
  const main = new FeatureCodec('ae4q4', shape, { seed: 2 });
  main.range = { min: -1, max: 1, count: 1 };
  const step = await TrainStep.create(model, HP);
  step.attachCodec(new CodecTrainer(model, main, 1, OPTS, HP));
  const off = withOffPath ? [new FeatureCodec('ae2q4', shape, { seed: 3 }), new FeatureCodec('q8', shape)] : [];
  for (const c of off) c.range = { min: -1, max: 1, count: 1 };
  const trainers = off.map((c) => new CodecTrainer(model, c, 1, OPTS, HP));
  step.attachOffPathCodecs(trainers);
  return { model, main, step, off, trainers };
}

describe('off-path codecs', () => {
  it('train on reconstruction and range alone: the backbone and the main codec end exactly as without them', async () => {
    const a = await setup(true);
    const b = await setup(false);
    const [ae, q8] = a.off;
    const ae0 = snap(ae.variables());
    const losses: number[] = [];
    for (let i = 0; i < 15; i++) {
      await a.step.step(batch(i % 3));
      await b.step.step(batch(i % 3));
      losses.push(a.trainers[0].lastReconstruction);
    }
    expect(snap(a.model.variables)).toEqual(snap(b.model.variables));
    expect(snap(a.main.variables())).toEqual(snap(b.main.variables()));
    expect(a.main.range).toEqual(b.main.range);
    // ae2q4: its own RMSProp steps on its reconstruction loss, which falls
    expect(snap(ae.variables())).not.toEqual(ae0);
    expect(a.trainers[0].updates).toBe(15);
    expect(losses[14]).toBeLessThan(losses[0]);
    // q8 has no weights: its range follows the layer-1 feature (ReLU, so min 0)
    expect(q8.range.count).toBeGreaterThan(1);
    expect(q8.range.min).toBeGreaterThanOrEqual(-1);
    expect(q8.range).not.toEqual({ min: -1, max: 1, count: 1 });
    expect(a.trainers[1].updates).toBe(15);
  });

  it('are checkpointed each under codec/<y>/<id>/ and restored exactly; a checkpoint without them leaves the seeded start', async () => {
    const a = await setup(true);
    for (let i = 0; i < 4; i++) await a.step.step(batch(i));
    const saved = await saveOffPathCodecStates(a.trainers);
    expect(saved.map((s) => s.meta.codec)).toEqual(['ae2q4', 'q8']);
    expect(saved[0].arrays.map((x) => x.name)).toContain('codec/1/ae2q4/var0');
    expect(saved[0].arrays.every((x) => x.name.startsWith('codec/1/ae2q4/'))).toBe(true);
    const b = await setup(true);
    const fresh = snap(b.off[0].variables());
    expect(await loadOffPathCodecStates(b.trainers, [])).toEqual([]); // an older checkpoint: nothing to restore
    expect(snap(b.off[0].variables())).toEqual(fresh);
    expect(await loadOffPathCodecStates(b.trainers, saved)).toEqual(['1/ae2q4', '1/q8']);
    for (let i = 0; i < 2; i++) {
      expect(snap(b.off[i].variables())).toEqual(snap(a.off[i].variables()));
      expect(b.off[i].range).toEqual(a.off[i].range);
      expect(b.trainers[i].updates).toBe(4);
    }
    // one more identical update leaves both copies identical (optimizer slots restored too)
    b.model.setLayerWeights(await a.model.getLayerWeights(1, a.model.K));
    await b.step.setOptimizerState(await a.step.getOptimizerState());
    b.main.load(a.main.state());
    const x = a.model.activationTensor(batch(9).obs.subarray(0, 10 * S), 10, 0);
    a.trainers[0].offPathUpdate(x, 0.003, 40);
    b.trainers[0].offPathUpdate(x, 0.003, 40);
    x.dispose();
    expect(snap(b.off[0].variables())).toEqual(snap(a.off[0].variables()));
  });

  it('ride in the run checkpoint file beside the main codec; a checkpoint written without them loads with none', async () => {
    const a = await setup(true);
    for (let i = 0; i < 3; i++) await a.step.step(batch(i));
    const dir = mkdtempSync(join(tmpdir(), 'ck-offpath-'));
    const write = async (withOffPath: boolean) =>
      writeRunCheckpoint(
        dir,
        { mode: 'coknight' },
        { frames: a.step.frames, updates: 3, episodes: [], wallSeconds: 1, recent: { values: () => [] } },
        { version: a.model.version, spec: 'minatar', inputShape: SHAPE, numActions: A },
        {
          weights: await a.model.getLayerWeights(1, a.model.K),
          optimizer: await a.step.getOptimizerState(),
          codec: await saveCodecState(a.step.codecTrainer!),
          ...(withOffPath ? { offPathCodecs: await saveOffPathCodecStates(a.trainers) } : {}),
        },
      );
    const ckpt = loadCheckpoint(await write(true));
    const main = codecStateOf(ckpt)!;
    expect(main.meta.codec).toBe('ae4q4');
    expect(main.arrays.every((x) => !/^codec\/\d+\//.test(x.name))).toBe(true); // the main codec's names, as one-codec builds wrote them
    const off = offPathCodecStatesOf(ckpt);
    expect(off.map((o) => [o.meta.y, o.meta.codec, o.meta.updates])).toEqual([
      [1, 'ae2q4', 3],
      [1, 'q8', 3],
    ]);
    const b = await setup(true);
    expect(await loadOffPathCodecStates(b.trainers, off)).toEqual(['1/ae2q4', '1/q8']);
    expect(snap(b.off[0].variables())).toEqual(snap(a.off[0].variables()));
    expect(b.off[1].range).toEqual(a.off[1].range);
    expect(offPathCodecStatesOf(loadCheckpoint(await write(false)))).toEqual([]);
  });
});
