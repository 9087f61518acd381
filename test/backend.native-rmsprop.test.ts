// AnnealedRmsProp.applyScaledGradients on the native backend (one fused in-place pass per variable)
// against tf.RMSPropOptimizer on the cpu backend: weights and both slots after several steps with a
// clipping scale and a changing learning rate, and the optimizer's weights as checkpoints see them.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadNativeBlas, nativeRmsPropStep } from '../src/backend/index.js';
import { AnnealedRmsProp } from '../src/learner/schedule.js';
import { Rng } from '../src/util/rng.js';

const { addon, why } = loadNativeBlas();
if (addon == null) console.warn(`backend.native-rmsprop tests skipped: ${why}`);
const maybe = addon == null ? describe.skip : describe;

const SHAPES = [[3, 3, 4, 16], [16], [1024, 128], [7]];

/** Three steps (lr 5e-3, 4e-3, 3e-3; clip scales 1, 0.5, 0.25) from seeded weights and gradients. */
async function run(backendName: string): Promise<{ values: Float32Array[]; slots: Float32Array[]; iterations: number }> {
  await tf.setBackend(backendName);
  const rng = new Rng(5);
  const rand = (shape: number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
  const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(rand(s), s), true, `rms_test_${backendName}_${i}`));
  const opt = new AnnealedRmsProp(5e-3, 0.99, 0, 0.01, false);
  for (const [k, scale] of [1, 0.5, 0.25].entries()) {
    opt.setLearningRate(5e-3 - k * 1e-3);
    const grads = SHAPES.map((s) => tf.tensor(rand(s), s));
    opt.applyScaledGradients(
      vars.map((v, i) => ({ name: v.name, tensor: grads[i]! })),
      scale,
    );
    tf.dispose(grads);
  }
  const weights = await opt.getWeights();
  const out = {
    values: vars.map((v) => v.dataSync() as Float32Array),
    slots: weights.slice(1).map((w) => w.tensor.dataSync() as Float32Array),
    iterations: opt.iterations,
  };
  expect(weights.slice(1).map((w) => w.name)).toEqual([...vars.map((v) => `${v.name}/rms`), ...vars.map((v) => `${v.name}/momentum`)]);
  opt.dispose();
  tf.dispose(vars);
  return out;
}

function expectClose(a: Float32Array[], b: Float32Array[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, j) => {
    const y = b[j]!;
    let [scale, diff] = [0, 0];
    for (let i = 0; i < y.length; i++) {
      scale = Math.max(scale, Math.abs(y[i]!));
      diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    }
    expect(diff / scale).toBeLessThanOrEqual(1e-6);
  });
}

beforeAll(async () => {
  if (addon != null) await initBackend({ prefer: 'native', log: () => {} });
});

maybe('fused native RMSProp', () => {
  it('is the path the native backend takes, and none elsewhere', async () => {
    await tf.setBackend('wasm');
    expect(nativeRmsPropStep()).not.toBeNull();
    await tf.setBackend('cpu');
    expect(nativeRmsPropStep()).toBeNull();
  });

  it('matches tf.RMSPropOptimizer (cpu) in weights, mean squares and moments over three scaled steps', async () => {
    const ref = await run('cpu');
    const got = await run('wasm');
    expectClose(got.values, ref.values);
    expectClose(got.slots, ref.slots);
    expect(got.iterations).toBe(ref.iterations);
  });

  it('writes in place only to buffers the variable owns: a reshape of the weights keeps its values', async () => {
    await tf.setBackend('wasm');
    const v = tf.variable(tf.tensor([1, 2, 3, 4], [4]), true, 'rms_shared');
    const view = tf.reshape(v, [2, 2]); // wasm's Reshape shares the buffer
    const opt = new AnnealedRmsProp(0.1, 0.9, 0, 0.01, false);
    const g = tf.ones([4]);
    opt.applyScaledGradients([{ name: v.name, tensor: g }], 1);
    expect(Array.from(view.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(v.dataSync()).every((x, i) => x < i + 1)).toBe(true);
    tf.dispose([v, view, g]);
    opt.dispose();
  });
});
