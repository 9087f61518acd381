// Each replacement wasm training kernel against the cpu backend on the same random inputs.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { axisPhase } from '../src/backend/wasm-kernels/conv-phases.js';
import { Rng } from '../src/util/rng.js';

const REL_TOL = 1e-4;

function randn(rng: Rng, n: number, shift = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() + shift;
  return a;
}

type Make = () => tf.Tensor | tf.Tensor[];

/** Runs `make` on the cpu backend and on wasm; returns the outputs' values on each. */
async function onBoth(make: Make): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const out: Record<string, Float32Array[]> = {};
  for (const name of ['cpu', 'wasm']) {
    await tf.setBackend(name);
    const before = tf.memory().numTensors;
    const dataIdsBefore = tf.engine().backend.numDataIds();
    const r = tf.tidy(make);
    const list = Array.isArray(r) ? r : [r];
    out[name] = list.map((t) => t.dataSync() as Float32Array);
    tf.dispose(list);
    // no tensors or heap buffers left behind by the kernels' scratch space
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(dataIdsBefore);
  }
  return { cpu: out.cpu!, wasm: out.wasm! };
}

/** max |wasm − cpu| ≤ REL_TOL · max |cpu|, for each output. */
function expectClose(r: { cpu: Float32Array[]; wasm: Float32Array[] }): void {
  expect(r.wasm.length).toBe(r.cpu.length);
  r.cpu.forEach((c, j) => {
    const w = r.wasm[j]!;
    expect(w.length).toBe(c.length);
    let maxRef = 0;
    let maxDiff = 0;
    for (let i = 0; i < c.length; i++) {
      maxRef = Math.max(maxRef, Math.abs(c[i]!));
      maxDiff = Math.max(maxDiff, Math.abs(c[i]! - w[i]!));
    }
    expect(maxRef).toBeGreaterThan(0);
    expect(maxDiff / maxRef).toBeLessThanOrEqual(REL_TOL);
  });
}

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: 'valid' | 'same';
}

const CONV_CASES: ConvCase[] = [
  { name: 'MinAtar 10x10x4, 3x3 16 valid', x: [6, 10, 10, 4], f: [3, 3, 4, 16], stride: 1, pad: 'valid' },
  { name: 'MinAtar 10x10x4, 3x3 16 same', x: [6, 10, 10, 4], f: [3, 3, 4, 16], stride: 1, pad: 'same' },
  { name: 'IMPALA conv1 84x84x4, 8x8/4 16', x: [2, 84, 84, 4], f: [8, 8, 4, 16], stride: 4, pad: 'valid' },
  { name: 'IMPALA conv2 20x20x16, 4x4/2 32', x: [3, 20, 20, 16], f: [4, 4, 16, 32], stride: 2, pad: 'valid' },
  { name: 'odd same-padding 9x9x5, 3x3/2 7', x: [3, 9, 9, 5], f: [3, 3, 5, 7], stride: 2, pad: 'same' },
  { name: 'MinAtar same, 7 images', x: [7, 10, 10, 4], f: [3, 3, 4, 16], stride: 1, pad: 'same' },
  { name: 'stride above the kernel 9x9x2, 2x2/3 5', x: [2, 9, 9, 2], f: [2, 2, 2, 5], stride: 3, pad: 'valid' },
];

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: () => {} });
});

describe('wasm Conv2DBackpropFilter / Conv2DBackpropInput vs cpu', () => {
  for (const c of CONV_CASES) {
    it(c.name, async () => {
      const rng = new Rng(11);
      const xv = randn(
        rng,
        c.x.reduce((a, b) => a * b),
      );
      const fv = randn(
        rng,
        c.f.reduce((a, b) => a * b),
      );
      const yShape = tf.backend_util.computeConv2DInfo(c.x, c.f, c.stride, 1, c.pad).outShape;
      const dyv = randn(
        rng,
        yShape.reduce((a, b) => a * b),
      );
      const r = await onBoth(() => {
        const x = tf.tensor4d(xv, c.x);
        const dy = tf.tensor4d(dyv, yShape);
        const f = tf.tensor4d(fv, c.f);
        const dW = tf
          .engine()
          .runKernel('Conv2DBackpropFilter', { x, dy }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f }) as tf.Tensor;
        const dX = tf.conv2dTranspose(dy, f, c.x, c.stride, c.pad);
        return [dW, dX];
      });
      expectClose(r);
    });
  }
});

describe('phase decomposition of Conv2DBackpropInput (axisPhase), by hand', () => {
  it('stride 2, kernel 4, valid, 20 rows: both phases have taps 0,2 / 1,3 and fill rows a = 0..9', () => {
    expect(axisPhase(0, 2, 4, 0, 20)).toEqual({ taps: 2, aMin: 0, aMax: 9 });
    expect(axisPhase(1, 2, 4, 0, 20)).toEqual({ taps: 2, aMin: 0, aMax: 9 });
  });
  it('stride 2, kernel 3, pad 1, 9 rows: phase 0 (taps 0,2) fills i = 1,3,5,7; phase 1 (tap 1) fills i = 0,2,…,8', () => {
    // i = 2a + p − pad
    expect(axisPhase(0, 2, 3, 1, 9)).toEqual({ taps: 2, aMin: 1, aMax: 4 });
    expect(axisPhase(1, 2, 3, 1, 9)).toEqual({ taps: 1, aMin: 0, aMax: 4 });
  });
  it('a stride above the kernel leaves a phase without taps', () => {
    expect(axisPhase(2, 3, 2, 0, 9).taps).toBe(0);
  });
});

describe('wasm MaxPoolGrad vs cpu', () => {
  const cases: Array<{ name: string; shift: number; pad: 'valid' | 'same' }> = [
    { name: '3x3/2 valid, all-negative windows', shift: -10, pad: 'valid' },
    { name: '3x3/2 same, all-negative windows', shift: -10, pad: 'same' },
    { name: '3x3/2 same, mixed signs', shift: 0, pad: 'same' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const rng = new Rng(5);
      const shape: [number, number, number, number] = [2, 11, 11, 3];
      const xv = randn(rng, 2 * 11 * 11 * 3, c.shift);
      const r = await onBoth(() => {
        const x = tf.tensor4d(xv, shape);
        // distinct weights per output so a gradient sent to the wrong element shows
        const outShape = tf.maxPool(x, 3, 2, c.pad).shape;
        const weights = tf.reshape(tf.range(1, 1 + outShape.reduce((a, b) => a * b)), outShape);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 3, 2, c.pad), weights)))(x);
      });
      expectClose(r);
    });
  }
});

describe('wasm BatchMatMul / _FusedMatMul with transposed operands vs cpu', () => {
  const cases: Array<[string, number[], number[], boolean, boolean]> = [
    ['dense backprop dy·Wᵀ', [32, 256], [2592, 256], false, true],
    ['dense backprop xᵀ·dy', [32, 2592], [32, 256], true, false],
    ['both transposed', [30, 20], [40, 30], true, true],
    ['batched 3-D, transposeB', [3, 7, 9], [3, 5, 9], false, true],
    ['no transpose (passes through)', [17, 13], [13, 11], false, false],
  ];
  for (const [name, as, bs, ta, tb] of cases) {
    it(name, async () => {
      const rng = new Rng(3);
      const av = randn(
        rng,
        as.reduce((a, b) => a * b),
      );
      const bv = randn(
        rng,
        bs.reduce((a, b) => a * b),
      );
      expectClose(await onBoth(() => tf.matMul(tf.tensor(av, as), tf.tensor(bv, bs), ta, tb)));
    });
  }
  it('fused matMul + bias + relu, transposeB', async () => {
    const rng = new Rng(4);
    const av = randn(rng, 12 * 20);
    const bv = randn(rng, 8 * 20);
    const biasv = randn(rng, 8);
    expectClose(
      await onBoth(() =>
        tf.fused.matMul({
          a: tf.tensor2d(av, [12, 20]),
          b: tf.tensor2d(bv, [8, 20]),
          transposeB: true,
          bias: tf.tensor1d(biasv),
          activation: 'relu',
        }),
      ),
    );
  });
});

describe('wasm Identity shares the buffer', () => {
  it('tf.clone gives the same values without a copy, and disposing either keeps the other', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor2d([1, -2, 3.5, 4], [2, 2]);
    const ids = tf.engine().backend.numDataIds();
    const y = tf.clone(x);
    expect(tf.engine().backend.numDataIds()).toBe(ids); // no new buffer
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, -2, 3.5, 4]);
    y.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(ids - 1);
  });
});

describe('end to end: tf.grads of a small conv net on wasm equals cpu', () => {
  it('conv 3x3 same → relu → maxpool 3x3/2 → conv 4x4/2 → relu → dense → loss', async () => {
    const rng = new Rng(99);
    const xv = randn(rng, 4 * 12 * 12 * 4);
    const w1v = randn(rng, 3 * 3 * 4 * 8).map((v) => v * 0.3);
    const w2v = randn(rng, 4 * 4 * 8 * 16).map((v) => v * 0.2);
    const w3v = randn(rng, 16 * 2 * 2 * 5).map((v) => v * 0.2);
    const r = await onBoth(() => {
      const x = tf.tensor4d(xv, [4, 12, 12, 4]);
      const ws = [tf.tensor4d(w1v, [3, 3, 4, 8]), tf.tensor4d(w2v, [4, 4, 8, 16]), tf.tensor2d(w3v, [64, 5])];
      const loss = (w1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor): tf.Scalar => {
        let h = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same'));
        h = tf.maxPool(h as tf.Tensor4D, 3, 2, 'same');
        h = tf.relu(tf.conv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'valid'));
        const logits = tf.matMul(tf.reshape(h, [4, 64]), w3 as tf.Tensor2D);
        return tf.mean(tf.square(logits));
      };
      return tf.grads(loss as (...a: tf.Tensor[]) => tf.Tensor)(ws);
    });
    expectClose(r);
  });
});
