// The codec's training ops against hand-computed numbers, on the generic tfjs path (cpu backend)
// and on the native backend's one-pass kernels (skipped, saying why, when the addon is not built).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadNativeBlas } from '../src/backend/index.js';
import { CODEC_KERNELS } from '../src/backend/codec-kernels.js';
import { ensureGradients } from '../src/backend/gradients.js';
import { fakeQuantize, relativeSquaredError, tensorExtremes } from '../src/codec/index.js';

const { addon, why } = loadNativeBlas();
if (addon == null) console.warn(`codec.training-ops native cases skipped: ${why}`);

beforeAll(async () => {
  await ensureGradients();
});

const BACKENDS: Array<{ name: string; start: () => Promise<void>; skip: boolean }> = [
  { name: 'cpu (generic tfjs ops)', start: async () => void (await tf.setBackend('cpu')), skip: false },
  {
    name: 'native (codec kernels)',
    start: async () => {
      if (tf.getBackend() !== 'wasm' || !tf.getKernel(CODEC_KERNELS[0], 'wasm')) {
        expect((await initBackend({ prefer: 'native', log: () => {} })).name).toBe('native');
      }
      await tf.setBackend('wasm');
      for (const k of CODEC_KERNELS) expect(tf.getKernel(k, 'wasm'), k).toBeDefined();
    },
    skip: addon == null,
  },
];

const close = (got: ArrayLike<number>, want: number[], tol = 1e-6): void => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => (Number.isNaN(w) ? expect(got[i]).toBeNaN() : expect(got[i]).toBeCloseTo(w, -Math.log10(tol))));
};

for (const b of BACKENDS) {
  (b.skip ? describe.skip : describe)(`codec training ops on ${b.name}`, () => {
    it('fakeQuantize: clamps, rounds half to even, maps back to the grid; NaN stays NaN; the gradient is the identity', async () => {
      await b.start();
      const before = tf.memory().numTensors;
      // scale 0.5, offset 0, 2 bits (levels 3): t = x / 0.5 = −2, 0.5, 1.5, 2.4, 10, NaN, 1.25 (offset 0.1 below)
      const x = tf.tensor1d([-1, 0.25, 0.75, 1.2, 5, NaN]);
      const y = fakeQuantize(x, 0.5, 0, 2);
      close(y.dataSync(), [0, 0, 1, 1, 1.5, NaN]); // codes 0, 0 (tie → even), 2 (tie → even), 2, 3 (clamped), NaN
      const x2 = tf.tensor1d([0.725, -3]);
      const shifted = fakeQuantize(x2, 0.5, 0.1, 8); // t = 1.25 → 1 → 0.6; −6.2 → 0 → 0.1
      close(shifted.dataSync(), [0.6, 0.1]);
      const w = tf.tensor1d([1, 2, 3, 4, 5, 6]);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fakeQuantize(v, 0.5, 0, 1), w)))(x);
      close(g.dataSync(), [1, 2, 3, 4, 5, 6]);
      tf.dispose([x, y, x2, shifted, w, g]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('relativeSquaredError: mean‖a − b‖² / (mean‖b‖² + 1e-8); gradient 2(a − b)/(N·energy) to a, none to b', async () => {
      await b.start();
      const before = tf.memory().numTensors;
      // a − b = 0, 1, 2, 3 → mean 14/4 = 3.5; b = 1, 1, 1, 1 → energy 1 + 1e-8
      const a = tf.tidy(() => tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]), true, `rse_a_${b.name.split(' ')[0]}`));
      const t = tf.tidy(() => tf.variable(tf.tensor1d([1, 1, 1, 1]), true, `rse_b_${b.name.split(' ')[0]}`));
      const { value, grads } = tf.variableGrads(() => tf.mul(relativeSquaredError(a, t), 3) as tf.Scalar, [a, t]);
      close(value.dataSync(), [(3 * 3.5) / (1 + 1e-8)]);
      close(
        grads[a.name]!.dataSync(),
        [0, 0.5, 1, 1.5].map((v) => (3 * v) / (1 + 1e-8)),
      );
      expect(grads[t.name]).toBeUndefined(); // b is the target: no path from the loss to it
      // a zero target: the 1e-8 keeps it finite
      const [za, zb] = [tf.tensor1d([1e-5, 0]), tf.tensor1d([0, 0])];
      const z = relativeSquaredError(za, zb);
      close(z.dataSync(), [1e-10 / 2 / 1e-8]);
      const one = tf.tensor1d([1]);
      expect(() => relativeSquaredError(za, one)).toThrow(/2 values against 1/);
      tf.dispose([a, t, value, za, zb, z, one, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('tensorExtremes: min and max across every lane and the tail; NaN anywhere gives NaN; empty is an error', async () => {
      await b.start();
      const v = Array.from({ length: 13 }, (_, i) => Math.sin(i * 7.3) * 10);
      v[11] = -42; // in the tail past the last block of 8 lanes
      v[3] = 17;
      const x = tf.tensor1d(v);
      expect(tensorExtremes(x)).toEqual([-42, 17]);
      const withNaN = tf.tensor1d([1, 2, NaN, 4, 5, 6, 7, 8, 9]);
      expect(tensorExtremes(withNaN).every(Number.isNaN)).toBe(true);
      const empty = tf.tensor1d([]);
      expect(() => tensorExtremes(empty)).toThrow(/empty/);
      tf.dispose([x, withNaN, empty]);
    });
  });
}
