// The native (OpenBLAS) kernels against the cpu backend on seeded random shapes, to 1e-5 of the
// largest reference value. Skipped, saying why, when the addon is not built.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadNativeBlas, nativeKernelsInstalled } from '../src/backend/index.js';
import { setScratchFloats } from '../src/backend/wasm-kernels/heap.js';
import { Rng } from '../src/util/rng.js';

const REL_TOL = 1e-5;
const { addon, why } = loadNativeBlas();
if (addon == null) console.warn(`backend.native tests skipped: ${why}`);
const maybe = addon == null ? describe.skip : describe;

function randn(rng: Rng, shape: number[]): Float32Array {
  const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}

/** Runs `make` on cpu and on the native backend; compares every output; checks nothing leaks. */
async function expectSameAsCpu(make: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const out: Record<string, Float32Array[]> = {};
  for (const name of ['cpu', 'wasm']) {
    await tf.setBackend(name);
    const tensors = tf.memory().numTensors;
    const ids = tf.engine().backend.numDataIds();
    const r = tf.tidy(make);
    const list = Array.isArray(r) ? r : [r];
    out[name] = list.map((t) => t.dataSync() as Float32Array);
    tf.dispose(list);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(ids);
  }
  out.cpu!.forEach((c, j) => {
    const n = out.wasm![j]!;
    expect(n.length).toBe(c.length);
    let ref = 0;
    let diff = 0;
    for (let i = 0; i < c.length; i++) {
      ref = Math.max(ref, Math.abs(c[i]!));
      diff = Math.max(diff, Math.abs(c[i]! - n[i]!));
    }
    expect(ref).toBeGreaterThan(0);
    expect(diff / ref).toBeLessThanOrEqual(REL_TOL);
  });
}

beforeAll(async () => {
  if (addon == null) return;
  expect((await initBackend({ prefer: 'native', log: () => {} })).name).toBe('native');
  expect(nativeKernelsInstalled()).toBe(true);
});

maybe('native BatchMatMul / _FusedMatMul vs cpu', () => {
  // random shapes (seeded) in every transpose combination, 2-D, batched and broadcast batches
  const rng = new Rng(21);
  const cases: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean }> = [];
  for (const [ta, tb] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    const [m, k, n] = [1 + rng.int(40), 1 + rng.int(300), 1 + rng.int(40)];
    const a2 = ta ? [k, m] : [m, k];
    const b2 = tb ? [n, k] : [k, n];
    cases.push({ a: a2, b: b2, ta, tb }, { a: [3, ...a2], b: [3, ...b2], ta, tb }, { a: [1, ...a2], b: [2, ...b2], ta, tb });
  }
  for (const c of cases) {
    it(`a [${c.a.join(',')}]${c.ta ? 'ᵀ' : ''} · b [${c.b.join(',')}]${c.tb ? 'ᵀ' : ''}`, async () => {
      const r = new Rng(c.a.length * 100 + c.a[0]!);
      const [av, bv] = [randn(r, c.a), randn(r, c.b)];
      await expectSameAsCpu(() => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb));
    });
  }
  const fused: Array<{ act: tf.fused.Activation; ta: boolean; tb: boolean; scalarBias?: boolean }> = [
    { act: 'linear', ta: false, tb: false },
    { act: 'relu', ta: false, tb: true },
    { act: 'relu6', ta: true, tb: false },
    { act: 'elu', ta: true, tb: true },
    { act: 'leakyrelu', ta: false, tb: false, scalarBias: true },
    { act: 'prelu', ta: false, tb: true },
    { act: 'sigmoid', ta: true, tb: false },
  ];
  for (const f of fused) {
    it(`fused matMul + ${f.scalarBias ? 'scalar ' : ''}bias + ${f.act} (transposeA=${f.ta}, transposeB=${f.tb})`, async () => {
      const r = new Rng(7);
      const [m, k, n] = [13, 37, 11];
      const av = randn(r, [m, k]).map((v) => v * 0.3);
      const bv = randn(r, [k, n]).map((v) => v * 0.3);
      const biasv = randn(r, [f.scalarBias ? 1 : n]);
      const preluv = randn(r, [n]);
      await expectSameAsCpu(() => {
        const a = tf.tensor2d(av, [m, k]);
        const b = tf.tensor2d(bv, [k, n]);
        return tf.fused.matMul({
          a: f.ta ? tf.transpose(a) : a,
          b: f.tb ? tf.transpose(b) : b,
          transposeA: f.ta,
          transposeB: f.tb,
          bias: tf.tensor1d(biasv),
          activation: f.act,
          preluActivationWeights: f.act === 'prelu' ? tf.tensor1d(preluv) : undefined,
          leakyreluAlpha: 0.1,
        });
      });
    });
  }
});

interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: 'valid' | 'same';
  /** im2col rows per chunk (not a multiple of an image's rows, so chunks cut images). */
  chunkRows?: number;
  /** Force im2col + sgemm (the implicit-GEMM kernels otherwise take outC % 8 = 0 forward and filter gradients). */
  im2col?: boolean;
}

maybe('native Conv2D / FusedConv2D / Conv2DBackpropInput / Conv2DBackpropFilter vs cpu', () => {
  const cases: ConvCase[] = [
    { x: [5, 10, 10, 4], f: [3, 3, 4, 16], stride: 1, pad: 'valid' }, // MinAtar conv1
    { x: [2, 84, 84, 4], f: [8, 8, 4, 16], stride: 4, pad: 'valid' }, // IMPALA conv1
    { x: [3, 20, 20, 16], f: [4, 4, 16, 32], stride: 2, pad: 'valid' }, // IMPALA conv2
    { x: [2, 6, 6, 8], f: [1, 1, 8, 5], stride: 1, pad: 'same' }, // pointwise: one sgemm, no im2col
    { x: [7, 10, 10, 4], f: [3, 3, 4, 16], stride: 1, pad: 'same', chunkRows: 170 }, // 5 chunks, across images
    { x: [3, 20, 20, 16], f: [4, 4, 16, 32], stride: 2, pad: 'same', chunkRows: 64 },
    // the same nets on im2col + sgemm (what outC % 8 != 0 or a CPU without AVX2 gets)
    { x: [5, 10, 10, 4], f: [3, 3, 4, 16], stride: 1, pad: 'valid', im2col: true },
    { x: [2, 84, 84, 4], f: [8, 8, 4, 16], stride: 4, pad: 'valid', im2col: true },
    { x: [3, 20, 20, 16], f: [4, 4, 16, 32], stride: 2, pad: 'same', chunkRows: 64, im2col: true },
    // implicit GEMM: 16 + 8 channels (both column blocks), padding on every side, pixel counts not a multiple of 6
    { x: [3, 9, 11, 5], f: [3, 3, 5, 24], stride: 2, pad: 'same' },
    { x: [2, 7, 7, 3], f: [5, 5, 3, 8], stride: 1, pad: 'same' },
    { x: [1, 5, 5, 2], f: [5, 5, 2, 40], stride: 3, pad: 'same' },
  ];
  const rng = new Rng(31); // plus random shapes
  for (let i = 0; i < 3; i++) {
    const k = 1 + rng.int(5);
    const s = 1 + rng.int(3);
    const h = k + rng.int(12);
    cases.push({ x: [1 + rng.int(4), h, h + rng.int(3), 1 + rng.int(6)], f: [k, k, 0, 1 + rng.int(9)], stride: s, pad: rng.random() < 0.5 ? 'same' : 'valid' });
    cases[cases.length - 1]!.f[2] = cases[cases.length - 1]!.x[3];
  }
  for (let i = 0; i < 3; i++) {
    const k = 1 + rng.int(5);
    const s = 1 + rng.int(3);
    const h = k + rng.int(12);
    const ci = 1 + rng.int(6);
    cases.push({ x: [1 + rng.int(4), h, h + rng.int(3), ci], f: [k, k, ci, 8 * (1 + rng.int(5))], stride: s, pad: rng.random() < 0.5 ? 'same' : 'valid' });
  }
  for (const c of cases) {
    const how = `${c.chunkRows ? `, ${c.chunkRows} rows a chunk` : ''}${c.im2col ? ', im2col forced' : ''}`;
    it(`x [${c.x.join(',')}], filter [${c.f.join(',')}] /${c.stride} ${c.pad}${how}`, async () => {
      const r = new Rng(c.x[1] * 7 + c.f[0]);
      const yShape = tf.backend_util.computeConv2DInfo(c.x, c.f, c.stride, 1, c.pad).outShape;
      const [xv, fv, dyv, bv] = [randn(r, c.x), randn(r, c.f), randn(r, yShape), randn(r, [c.f[3]])];
      const K = c.f[0] * c.f[1] * c.f[2];
      const previous = c.chunkRows ? setScratchFloats(c.chunkRows * K) : undefined;
      if (c.im2col) addon!.setDirectConv(0);
      try {
        await expectSameAsCpu(() => {
          const x = tf.tensor4d(xv, c.x);
          const f = tf.tensor4d(fv, c.f);
          const dy = tf.tensor4d(dyv, yShape);
          const bias = tf.tensor1d(bv);
          return [
            tf.conv2d(x, f, c.stride, c.pad),
            tf.fused.conv2d({ x, filter: f, strides: c.stride, pad: c.pad, bias, activation: 'relu' }),
            tf.fused.conv2d({ x, filter: f, strides: c.stride, pad: c.pad, bias, activation: 'leakyrelu', leakyreluAlpha: 0.3 }),
            tf.conv2dTranspose(dy, f, c.x, c.stride, c.pad), // Conv2DBackpropInput
            tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f }) as tf.Tensor,
          ];
        });
      } finally {
        if (previous != null) setScratchFloats(previous);
        addon!.setDirectConv(1);
      }
    });
  }
  it('dilated conv falls back to the wasm kernel and still matches', async () => {
    const r = new Rng(5);
    const [xv, fv] = [randn(r, [2, 9, 9, 3]), randn(r, [3, 3, 3, 4])];
    await expectSameAsCpu(() => tf.conv2d(tf.tensor4d(xv, [2, 9, 9, 3]), tf.tensor4d(fv, [3, 3, 3, 4]), 1, 'same', 'NHWC', 2));
  });
});

maybe('native Sum over the leading axes (bias gradients) vs cpu', () => {
  const cases: Array<{ shape: number[]; axis: number[]; keepDims: boolean }> = [
    { shape: [50, 9, 9, 32], axis: [0, 1, 2], keepDims: false },
    { shape: [640, 256], axis: [0], keepDims: true },
    { shape: [7, 5, 3], axis: [1, 0], keepDims: false },
    { shape: [7, 5, 3], axis: [0, 2], keepDims: false }, // not the leading axes: the wasm kernel
  ];
  for (const c of cases) {
    it(`sum [${c.shape.join(',')}] over [${c.axis.join(',')}]${c.keepDims ? ', keepDims' : ''}`, async () => {
      const xv = randn(new Rng(c.shape[0]!), c.shape);
      await expectSameAsCpu(() => tf.sum(tf.tensor(xv, c.shape), c.axis, c.keepDims));
    });
  }
});

maybe('native backend end to end', () => {
  it('tf.grads of conv → relu → conv /2 → dense equals cpu', async () => {
    const r = new Rng(99);
    const [xv, w1v, w2v, w3v] = [randn(r, [4, 12, 12, 4]), randn(r, [3, 3, 4, 8]), randn(r, [4, 4, 8, 16]), randn(r, [6 * 6 * 16, 5])];
    await expectSameAsCpu(() => {
      const x = tf.tensor4d(xv, [4, 12, 12, 4]);
      const ws = [tf.mul(tf.tensor4d(w1v, [3, 3, 4, 8]), 0.3), tf.mul(tf.tensor4d(w2v, [4, 4, 8, 16]), 0.2), tf.mul(tf.tensor2d(w3v, [576, 5]), 0.1)];
      const loss = (w1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor): tf.Scalar => {
        let h = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same'));
        h = tf.relu(tf.conv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'same'));
        return tf.mean(tf.square(tf.matMul(tf.reshape(h, [4, 576]), w3 as tf.Tensor2D)));
      };
      return tf.grads(loss as (...a: tf.Tensor[]) => tf.Tensor)(ws);
    });
  });
  it('a heap offset outside the heap is refused by the addon, not written', () => {
    const heap = new Float32Array(16);
    expect(() => addon!.gemm(heap, 1, 4, 4, 4, 0, 0, 0, 0, 0, 0, 8, -1, 0, 0, 0, -1, 0)).toThrow(/outside the heap/);
  });
});
