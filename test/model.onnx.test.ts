import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import {
  buildSegmentGraph,
  createModel,
  headActivations,
  type OnnxPolicyRunner,
  act,
  createPolicyRunner,
  type NetworkSpec,
  type PolicyModel,
} from '../src/model/index.js';
import { convKernelToOihw, tfPads } from '../src/model/onnx-graph.js';
import { Rng } from '../src/util/rng.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: () => {} });
});

/** Every weight drawn from a seeded uniform: kernels at the Glorot limit (policy logits too), biases ±0.1 (the initialiser leaves them 0). */
function randomizeWeights(model: PolicyModel, seed: number): void {
  const rng = new Rng(seed);
  for (let k = 1; k <= model.K; k++) {
    const specs = model.layerDef(k).params;
    model.layerVariables(k).forEach((v, i) => {
      const p = specs[i];
      const limit = p.kind === 'kernel' ? Math.sqrt(6 / (p.fanIn + p.fanOut)) : 0.1;
      const data = new Float32Array(v.size);
      for (let j = 0; j < data.length; j++) data[j] = (2 * rng.random() - 1) * limit;
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
    });
  }
  model.markUpdated();
}

function randomObs(model: PolicyModel, n: number, seed: number, max: number): Uint8Array {
  const rng = new Rng(seed);
  const obs = new Uint8Array(n * model.inputBytes);
  for (let i = 0; i < obs.length; i++) obs[i] = rng.int(max + 1);
  return obs;
}

/** Largest |a − b| / max(1, |b|) — at most 1e-5 means equal to 1e-5 (absolute below 1, relative above). */
function maxRelDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** Head 1..y for every y, tail y+1..K (with the heads) for every y, against tfjs on the same input. */
async function expectEverySplitMatches(model: PolicyModel, runner: OnnxPolicyRunner, obs: Uint8Array, n: number): Promise<void> {
  for (let y = 0; y < model.K; y++) {
    const h = y === 0 ? obs : await headActivations(model, obs, n, y);
    if (y > 0) expect(maxRelDiff(await runner.head(obs, n, y), h as Float32Array), `head 1..${y}`).toBeLessThanOrEqual(1e-5);
    const want = await act(model, h, n, { splitPoint: y, mode: 'greedy' });
    const got = await runner.act(h, n, { splitPoint: y, mode: 'greedy' });
    expect(maxRelDiff(got.logits, want.logits), `tail ${y + 1}..K logits`).toBeLessThanOrEqual(1e-5);
    expect(maxRelDiff(got.values, want.values), `tail ${y + 1}..K values`).toBeLessThanOrEqual(1e-5);
  }
}

const NETS: { spec: NetworkSpec; shape: [number, number, number]; actions: number; max: number; n: number }[] = [
  { spec: 'minatar', shape: [10, 10, 4], actions: 3, max: 1, n: 3 },
  { spec: 'impala-shallow', shape: [84, 84, 4], actions: 6, max: 255, n: 3 },
  // 20 → 10 → 5 → 3: odd sizes, so 'same' pads unevenly (the extra pixel at the end) in conv and pool
  { spec: 'impala-deep', shape: [20, 20, 3], actions: 4, max: 255, n: 3 },
  // the real size, one sample (tfjs on wasm takes most of this test's time here)
  { spec: 'impala-deep', shape: [84, 84, 4], actions: 6, max: 255, n: 1 },
];

describe('ONNX export: outputs equal tfjs to 1e-5 for every network and split point', () => {
  const models: PolicyModel[] = [];
  afterAll(() => models.forEach((m) => m.dispose()));

  for (const net of NETS) {
    it(`${net.spec} ${net.shape.join('×')}: every head and tail, then after a parameter update without a new session`, async () => {
      const model = createModel(net.spec, { inputShape: net.shape, numActions: net.actions, seed: 3 });
      models.push(model);
      randomizeWeights(model, 11);
      const runner = createPolicyRunner(model, 'onnx') as OnnxPolicyRunner;
      expect(runner.kind).toBe('onnx');
      const n = net.n;
      await expectEverySplitMatches(model, runner, randomObs(model, n, 5, net.max), n);
      const sessions = runner.sessionsCreated;
      expect(sessions).toBe(2 * model.K - 1); // K tails (y = 0..K−1) and K−1 heads

      // A parameter message, as an actor's ParamCache applies it: new weights for every layer.
      const other = createModel(net.spec, { inputShape: net.shape, numActions: net.actions, seed: 4 });
      randomizeWeights(other, 12);
      const before = await runner.act(randomObs(model, n, 6, net.max), n, { mode: 'greedy' });
      model.setLayerWeights(await other.getLayerWeights());
      other.dispose();
      const obs = randomObs(model, n, 6, net.max);
      const after = await runner.act(obs, n, { mode: 'greedy' });
      expect(maxRelDiff(after.logits, before.logits)).toBeGreaterThan(1e-3); // it did re-read them
      await expectEverySplitMatches(model, runner, obs, n);
      expect(runner.sessionsCreated).toBe(sessions);
      runner.dispose();
    }, 60_000);
  }

  for (const net of NETS.slice(0, 3)) {
    it(`${net.spec} ${net.shape.join('×')} with the weights baked in: every split matches, and an update makes new sessions that match`, async () => {
      const model = createModel(net.spec, { inputShape: net.shape, numActions: net.actions, seed: 3 });
      models.push(model);
      randomizeWeights(model, 13);
      const runner = createPolicyRunner(model, 'onnx', { weights: 'baked' }) as OnnxPolicyRunner;
      expect(runner.detail).toMatch(/weights baked in/);
      await expectEverySplitMatches(model, runner, randomObs(model, net.n, 7, net.max), net.n);
      expect(runner.sessionsCreated).toBe(2 * model.K - 1);
      randomizeWeights(model, 14);
      await expectEverySplitMatches(model, runner, randomObs(model, net.n, 8, net.max), net.n);
      expect(runner.sessionsCreated).toBe(2 * (2 * model.K - 1));
      runner.dispose();
    }, 60_000);
  }

  it('one layer updated (as a parameter message for layer 1 only): only that layer is re-read, the result still matches', async () => {
    const model = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
    models.push(model);
    randomizeWeights(model, 21);
    const runner = createPolicyRunner(model, 'onnx') as OnnxPolicyRunner;
    const obs = randomObs(model, 4, 2, 1);
    await runner.act(obs, 4, { mode: 'greedy' });
    const other = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 2 });
    randomizeWeights(other, 22);
    model.setLayerWeights(await other.getLayerWeights(1, 1));
    other.dispose();
    await expectEverySplitMatches(model, runner, obs, 4);
    runner.dispose();
  });

  it('sampling: the same rng draws the same actions as tfjs', async () => {
    const model = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
    models.push(model);
    randomizeWeights(model, 31);
    const runner = createPolicyRunner(model, 'onnx');
    const obs = randomObs(model, 16, 9, 1);
    const want = await act(model, obs, 16, { rng: new Rng(5) });
    const got = await runner.act(obs, 16, { rng: new Rng(5) });
    expect([...got.actions]).toEqual([...want.actions]);
    runner.dispose();
  });

  it('bad input fails early, naming the split point and the expected size', async () => {
    const model = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
    models.push(model);
    const runner = createPolicyRunner(model, 'onnx');
    await expect(runner.act(new Uint8Array(399), 1)).rejects.toThrow(/split 0 of minatar needs a Uint8Array of 1×10×10×4 = 400 values/);
    await expect(runner.act(new Uint8Array(1024), 1, { splitPoint: 1 })).rejects.toThrow(/needs a Float32Array/);
    await expect(runner.act(new Float32Array(128), 1, { splitPoint: 2 })).rejects.toThrow(/from < to/);
    expect(() => buildSegmentGraph(model, 1, 1)).toThrow(/0 ≤ from < to ≤ K=2/);
    runner.dispose();
  });
});

describe('choosing the runner', () => {
  it("'tfjs' is refused onnx by config; 'auto' falls back to tfjs with a one-line notice when the package does not load; 'onnx' then fails naming the field", () => {
    const model = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
    const notices: string[] = [];
    const log = (m: string): number => notices.push(m);
    expect(createPolicyRunner(model, 'tfjs', { log }).kind).toBe('tfjs');
    expect(createPolicyRunner(model, 'auto', { log, onnxPackage: 'onnxruntime-node-absent' }).kind).toBe('tfjs');
    expect(notices[1]).toMatch(/^inference: tfjs \(wasm\) — onnxruntime-node-absent is not installed$/);
    expect(() => createPolicyRunner(model, 'onnx', { onnxPackage: 'onnxruntime-node-absent' })).toThrow(
      /inference: onnx, but onnxruntime-node-absent is not installed.*inference: auto or tfjs/,
    );
    const r = createPolicyRunner(model, 'auto', { log });
    expect(r.kind).toBe('onnx');
    expect(notices[2]).toMatch(/^inference: onnxruntime-node 1\.30\.\d+ \(1 thread\)$/);
    r.dispose();
    model.dispose();
  });
});

describe('layout conversions, by hand', () => {
  it("TF 'same' padding puts the odd pixel at the end; 'valid' pads nothing", () => {
    expect(tfPads(5, 3, 2, 'same')).toEqual([1, 1]); // out 3: (3−1)·2 + 3 − 5 = 2
    expect(tfPads(10, 3, 2, 'same')).toEqual([0, 1]); // out 5: (5−1)·2 + 3 − 10 = 1
    expect(tfPads(84, 3, 1, 'same')).toEqual([1, 1]);
    expect(tfPads(84, 8, 4, 'valid')).toEqual([0, 0]);
  });

  it('conv kernels HWIO → OIHW', () => {
    // kernel 1×2 (kh×kw), 1 input channel, 2 filters: HWIO data [x0o0, x0o1, x1o0, x1o1]
    expect([...convKernelToOihw(Float32Array.from([1, 2, 3, 4]), [1, 2, 1, 2])]).toEqual([1, 3, 2, 4]);
  });
});
