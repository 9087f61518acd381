// The threaded-SIMD wasm build under Node (tfjs disables it there; src/backend/wasm-threads.ts
// works around that). Own file: the wasm module starts once per process.
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { Rng } from '../src/util/rng.js';

describe('wasm with threads: 2', () => {
  it('starts the threaded build with 2 threads and computes what the cpu backend does', async () => {
    const info = await initBackend({ prefer: 'wasm', threads: 2, log: () => {} });
    expect(info.detail).toMatch(/^threaded-SIMD build, 2 thread\(s\)/);
    expect(getThreadsCount()).toBe(2);

    const rng = new Rng(8);
    const xv = Float32Array.from({ length: 2 * 20 * 20 * 16 }, () => rng.normal());
    const wv = Float32Array.from({ length: 4 * 4 * 16 * 32 }, () => rng.normal());
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xv, [2, 20, 20, 16]);
        const w = tf.tensor4d(wv, [4, 4, 16, 32]);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'valid'))))([x, w]);
        return [dx!.dataSync(), dw!.dataSync()];
      });
    const onWasm = run();
    await tf.setBackend('cpu');
    const onCpu = run();
    await tf.setBackend('wasm');
    onCpu.forEach((c, j) => {
      const w = onWasm[j]!;
      let maxRef = 0;
      let maxDiff = 0;
      for (let i = 0; i < c.length; i++) {
        maxRef = Math.max(maxRef, Math.abs(c[i]!));
        maxDiff = Math.max(maxDiff, Math.abs(c[i]! - w[i]!));
      }
      expect(maxDiff / maxRef).toBeLessThanOrEqual(1e-4);
    });
  });
});
