// The native kernels on the threaded wasm build, whose heap is a SharedArrayBuffer, with 2 BLAS
// threads. Own file: the wasm module starts once per process. Skipped when the addon is not built.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, loadNativeBlas } from '../src/backend/index.js';
import { Rng } from '../src/util/rng.js';

const { addon, why } = loadNativeBlas();
if (addon == null) console.warn(`backend.native-threads test skipped: ${why}`);

(addon == null ? describe.skip : describe)('native with threads: 2', () => {
  it('computes on a SharedArrayBuffer heap what the cpu backend does (conv gradients, matmul)', async () => {
    const info = await initBackend({ prefer: 'native', threads: 2, log: () => {} });
    expect(info.detail).toMatch(/2 BLAS thread\(s\).*threaded-SIMD build/);
    expect((tf.backend() as unknown as { wasm: { HEAPF32: Float32Array } }).wasm.HEAPF32.buffer).toBeInstanceOf(SharedArrayBuffer);
    const rng = new Rng(8);
    const xv = Float32Array.from({ length: 3 * 20 * 20 * 16 }, () => rng.normal());
    const wv = Float32Array.from({ length: 4 * 4 * 16 * 32 }, () => rng.normal());
    const mv = Float32Array.from({ length: 81 * 32 * 10 }, () => rng.normal());
    const run = (): Float32Array[] =>
      tf.tidy(() => {
        const x = tf.tensor4d(xv, [3, 20, 20, 16]);
        const w = tf.tensor4d(wv, [4, 4, 16, 32]);
        const m = tf.tensor2d(mv, [81 * 32, 10]);
        const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
          tf.sum(tf.square(tf.matMul(tf.reshape(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'valid'), [3, 81 * 32]), m)));
        return tf
          .grads(loss as (...t: tf.Tensor[]) => tf.Tensor)([x, w])
          .map((g) => g.dataSync() as Float32Array);
      });
    const native = run();
    await tf.setBackend('cpu');
    const cpu = run();
    await tf.setBackend('wasm');
    cpu.forEach((c, j) => {
      let ref = 0;
      let diff = 0;
      for (let i = 0; i < c.length; i++) {
        ref = Math.max(ref, Math.abs(c[i]!));
        diff = Math.max(diff, Math.abs(c[i]! - native[j]![i]!));
      }
      expect(diff / ref).toBeLessThanOrEqual(1e-5);
    });
  });
});
