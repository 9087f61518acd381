// convRelu / denseRelu (one fused kernel forward and backward, also under a tape) against tfjs's
// unfused ops — relu(conv2d(x, w) + b), relu(a·b + bias) — forward and every gradient, on the cpu
// backend and on the native one (wasm + OpenBLAS with its one-pass ReLU gradient) when built.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadNativeBlas } from '../src/backend/index.js';
import { convRelu, denseRelu, RELU_GRAD } from '../src/backend/relu-ops.js';
import { Rng } from '../src/util/rng.js';

const REL_TOL = 1e-5;
const { addon } = loadNativeBlas();
const backends = addon == null ? ['cpu'] : ['cpu', 'wasm'];

function randn(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    shape,
  );
}

/** Every output of f and of ref agree to REL_TOL of the largest reference value; nothing leaks. */
function expectSame(f: () => tf.Tensor[], ref: () => tf.Tensor[]): void {
  const before = tf.memory().numTensors;
  const [got, want] = [tf.tidy(f), tf.tidy(ref)];
  expect(got.length).toBe(want.length);
  got.forEach((g, j) => {
    const [a, b] = [g.dataSync(), want[j]!.dataSync()];
    expect(g.shape).toEqual(want[j]!.shape);
    let [scale, diff] = [0, 0];
    for (let i = 0; i < b.length; i++) {
      scale = Math.max(scale, Math.abs(b[i]!));
      diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    }
    expect(scale).toBeGreaterThan(0);
    expect(diff / scale).toBeLessThanOrEqual(REL_TOL);
  });
  tf.dispose([...got, ...want]);
  expect(tf.memory().numTensors).toBe(before);
}

beforeAll(async () => {
  if (addon != null) await initBackend({ prefer: 'native', log: () => {} });
});

describe.each(backends)('fused ReLU ops on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  const convCases: Array<{ x: number[]; w: number[]; stride: number; pad: 'valid' | 'same' }> = [
    { x: [3, 12, 12, 4], w: [8, 8, 4, 5], stride: 4, pad: 'valid' },
    { x: [2, 9, 9, 5], w: [3, 3, 5, 8], stride: 1, pad: 'same' },
    { x: [2, 7, 6, 3], w: [4, 4, 3, 16], stride: 2, pad: 'valid' },
  ];
  it.each(convCases)('convRelu $x * $w /$stride $pad: forward and gradients of x, filter, bias', ({ x, w, stride, pad }) => {
    const rng = new Rng(7);
    const [xs, ws, bs] = [randn(rng, x), randn(rng, w), randn(rng, [w[3]!])];
    const fused = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => convRelu(a as tf.Tensor4D, b as tf.Tensor4D, c, stride, pad);
    const plain = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.relu(tf.add(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), c));
    // A weighted sum as the loss, so every output element's gradient differs.
    const lossOf = (op: typeof plain) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const y = op(a, b, c);
      return tf.sum(tf.mul(y, tf.reshape(tf.linspace(-1, 2, y.size), y.shape)));
    };
    expectSame(
      () => [fused(xs, ws, bs), ...tf.grads(lossOf(fused))([xs, ws, bs])],
      () => [plain(xs, ws, bs), ...tf.grads(lossOf(plain))([xs, ws, bs])],
    );
    tf.dispose([xs, ws, bs]);
  });

  it('denseRelu: forward and gradients of a, b, bias', () => {
    const rng = new Rng(8);
    const [a, b, bias] = [randn(rng, [17, 33]), randn(rng, [33, 12]), randn(rng, [12])];
    const fused = (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) => denseRelu(x as tf.Tensor2D, w as tf.Tensor2D, c);
    const plain = (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) => tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), c));
    const lossOf = (op: typeof plain) => (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) => {
      const y = op(x, w, c);
      return tf.sum(tf.mul(y, tf.reshape(tf.linspace(-1, 2, y.size), y.shape)));
    };
    expectSame(
      () => [fused(a, b, bias), ...tf.grads(lossOf(fused))([a, b, bias])],
      () => [plain(a, b, bias), ...tf.grads(lossOf(plain))([a, b, bias])],
    );
    tf.dispose([a, b, bias]);
  });

  it("the ReLU gradient masks exactly where y > 0 (relu'(0) = 0, as tfjs's Step)", () => {
    const rng = new Rng(9);
    const dy = randn(rng, [5, 37]);
    const y = tf.tidy(() => tf.relu(randn(rng, [5, 37])));
    const x = tf.tidy(() => tf.concat([tf.zeros([1, 37]), randn(rng, [4, 37])]));
    // Through denseRelu with an identity weight, y = relu(x): the gradient wrt x is dy where x > 0.
    const eye = tf.eye(37);
    const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(denseRelu(v as tf.Tensor2D, eye as tf.Tensor2D, tf.zeros([37])), dy)))(x));
    const [gv, xv, dv] = [g.dataSync(), x.dataSync(), dy.dataSync()];
    for (let i = 0; i < gv.length; i++) expect(gv[i]! + 0).toBe(xv[i]! > 0 ? dv[i] : 0);
    if (backend === 'wasm') {
      // The native kernel itself, against Step × dy.
      const k = tf.engine().runKernel(RELU_GRAD, { dy, y }) as tf.Tensor;
      const ref = tf.tidy(() => tf.mul(dy, tf.step(y)));
      // (−0 and 0 compare equal: Step × dy gives −0 where dy < 0 is masked.)
      expect(Array.from(k.dataSync(), (v) => v + 0)).toEqual(Array.from(ref.dataSync(), (v) => v + 0));
      tf.dispose([k, ref]);
    }
    tf.dispose([dy, y, x, eye, g]);
  });
});
