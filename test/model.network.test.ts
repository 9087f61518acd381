import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../src/backend/gradients.js';
import { CONV_RELU, DENSE_RELU } from '../src/backend/relu-ops.js';
import { createModel, type PolicyModel } from '../src/model/index.js';
import { LayerBuilder } from '../src/model/layer-builder.js';
import { Rng } from '../src/util/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomObs(model: PolicyModel, n: number, seed: number, max: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const [h, w, c] = model.inputShape;
  const obs = new Uint8Array(n * h * w * c);
  for (let i = 0; i < obs.length; i++) obs[i] = rng.int(max + 1);
  return model.observationTensor(obs, n);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('layer FLOPs (2 × MACs) and output bytes, by hand', () => {
  it('minatar on 10×10×4, 3 actions: K = 2', () => {
    const m = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 1 });
    expect(m.K).toBe(2);
    expect(m.outBytes(0)).toBe(10 * 10 * 4); // uint8 input
    // conv 16 3×3/1 valid: 10 → 8; MACs = 8·8·16 outputs × 3·3·4 taps
    expect(m.layers[0]).toMatchObject({ name: 'conv1', outShape: [8, 8, 16], flops: 2 * 8 * 8 * 16 * 3 * 3 * 4, outBytes: 4 * 8 * 8 * 16 });
    expect(m.layers[0].flops).toBe(73_728);
    // FC 1024 → 128, plus heads 128 → 3 logits + 1 value
    expect(m.layers[1]).toMatchObject({ name: 'fc', outShape: [128], flops: 2 * 1024 * 128 + 2 * 128 * (3 + 1), outBytes: 512 });
    expect(m.layers[1].flops).toBe(263_168);
    // params: conv 3·3·4·16 + 16; fc 1024·128 + 128 + heads 128·3 + 3 + 128 + 1
    expect(m.layers[0].paramCount).toBe(3 * 3 * 4 * 16 + 16);
    expect(m.layers[1].paramCount).toBe(1024 * 128 + 128 + 128 * 3 + 3 + 128 + 1);
    m.dispose();
  });

  it('impala-shallow on 84×84×4, 6 actions: K = 3', () => {
    const m = createModel('impala-shallow', { inputShape: [84, 84, 4], numActions: 6, seed: 1 });
    expect(m.K).toBe(3);
    expect(m.outBytes(0)).toBe(28_224);
    // conv 16 8×8/4 valid: (84 − 8)/4 + 1 = 20
    expect(m.layers[0]).toMatchObject({ outShape: [20, 20, 16], flops: 2 * 20 * 20 * 16 * (8 * 8 * 4), outBytes: 4 * 6400 });
    expect(m.layers[0].flops).toBe(3_276_800);
    // conv 32 4×4/2 valid: (20 − 4)/2 + 1 = 9
    expect(m.layers[1]).toMatchObject({ outShape: [9, 9, 32], flops: 2 * 9 * 9 * 32 * (4 * 4 * 16), outBytes: 4 * 2592 });
    expect(m.layers[1].flops).toBe(1_327_104);
    // FC 2592 → 256, heads 256 → 6 + 1
    expect(m.layers[2]).toMatchObject({ outShape: [256], flops: 2 * 2592 * 256 + 2 * 256 * 7, outBytes: 1024 });
    expect(m.layers[2].flops).toBe(1_330_688);
    m.dispose();
  });

  it('impala-deep on 84×84×4, 6 actions: K = 10 (3 per stack + FC)', () => {
    const m = createModel('impala-deep', { inputShape: [84, 84, 4], numActions: 6, seed: 1 });
    expect(m.K).toBe(10);
    const conv = (hw: number, cin: number, cout: number): number => 2 * hw * hw * cout * 3 * 3 * cin;
    const expected = [
      // stack 1: conv 4→16 at 84×84 (same), pool 3×3/2 same → ceil(84/2) = 42
      ['stack1.conv_pool', conv(84, 4, 16), [42, 42, 16]],
      ['stack1.res1', 2 * conv(42, 16, 16), [42, 42, 16]],
      ['stack1.res2', 2 * conv(42, 16, 16), [42, 42, 16]],
      // stack 2: conv 16→32 at 42×42, pool → 21
      ['stack2.conv_pool', conv(42, 16, 32), [21, 21, 32]],
      ['stack2.res1', 2 * conv(21, 32, 32), [21, 21, 32]],
      ['stack2.res2', 2 * conv(21, 32, 32), [21, 21, 32]],
      // stack 3: conv 32→32 at 21×21, pool → ceil(21/2) = 11
      ['stack3.conv_pool', conv(21, 32, 32), [11, 11, 32]],
      ['stack3.res1', 2 * conv(11, 32, 32), [11, 11, 32]],
      ['stack3.res2', 2 * conv(11, 32, 32), [11, 11, 32]],
      ['fc', 2 * 11 * 11 * 32 * 256 + 2 * 256 * 7, [256]],
    ] as const;
    expected.forEach(([name, flops, shape], i) => {
      expect(m.layers[i]).toMatchObject({ index: i + 1, name, flops, outShape: shape });
      expect(m.layers[i].outBytes).toBe(4 * shape.reduce((a: number, b: number) => a * b, 1));
    });
    // spot values written out: 2·7056·576, 2·1764·2304·2, 2·121·9216·2
    expect(m.layers[0].flops).toBe(8_128_512);
    expect(m.layers[1].flops).toBe(16_257_024);
    expect(m.layers[8].flops).toBe(4_460_544);
    expect(m.layers[9].flops).toBe(1_986_048);
    expect(m.layers[0].outBytes).toBe(112_896);
    expect(m.layers[6].outBytes).toBe(15_488);
    m.dispose();
  });
});

describe('head(x, y) then tail(h, y) equals forward(x) for every y', () => {
  const cases = [
    ['minatar', [10, 10, 4], 1, 4],
    ['impala-shallow', [84, 84, 4], 255, 3],
    ['impala-deep', [16, 16, 4], 255, 2], // smaller frame keeps the cpu backend fast: 16 → 8 → 4 → 2
  ] as const;
  for (const [spec, shape, max, n] of cases) {
    it(spec, () => {
      const m = createModel(spec, { inputShape: [...shape], numActions: 5, seed: 3 });
      const x = randomObs(m, n, 11, max);
      const full = m.forward(x);
      expect(full.logits.shape).toEqual([n, 5]);
      expect(full.value.shape).toEqual([n]);
      // logits must differ across samples, or the check below proves nothing
      expect(tf.tidy(() => tf.moments(full.value).variance.dataSync()[0])).toBeGreaterThan(0);
      const before = tf.memory().numTensors;
      for (let y = 0; y <= m.K; y++) {
        const h = m.head(x, y);
        const expectShape = y === 0 ? [n, ...shape] : [n, ...m.layers[y - 1].outShape];
        expect(h.shape).toEqual(expectShape);
        const out = m.tail(h, y);
        expect(maxAbsDiff(out.logits, full.logits)).toBeLessThan(1e-6);
        expect(maxAbsDiff(out.value, full.value)).toBeLessThan(1e-6);
        // the same numbers arriving as bytes from an actor give the same tail
        const sent = y === 0 ? Uint8Array.from(h.dataSync()) : Float32Array.from(h.dataSync());
        const h2 = m.activationTensor(sent, n, y);
        const out2 = m.tail(h2, y);
        expect(maxAbsDiff(out2.logits, full.logits)).toBeLessThan(1e-6);
        tf.dispose([h, h2, out2.logits, out2.value]);
        out.logits.dispose();
        out.value.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, full.logits, full.value]);
      m.dispose();
    });
  }
});

describe('model construction', () => {
  it('same seed → same weights; different seed → different', () => {
    const a = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 9 });
    const b = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 9 });
    const c = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3, seed: 10 });
    expect(Array.from(a.variables[0].dataSync())).toEqual(Array.from(b.variables[0].dataSync()));
    expect(Array.from(a.variables[0].dataSync())).not.toEqual(Array.from(c.variables[0].dataSync()));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('input transform: MinAtar as is, Atari / 255', () => {
    const a = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3 });
    const s = createModel('impala-shallow', { inputShape: [84, 84, 4], numActions: 3 });
    const x = tf.tensor1d([0, 1, 255]);
    expect(Array.from(a.inputTransform(x).dataSync())).toEqual([0, 1, 255]);
    const t = Array.from(s.inputTransform(x).dataSync());
    expect(t[0]).toBe(0);
    expect(t[1]).toBeCloseTo(1 / 255, 7);
    expect(t[2]).toBeCloseTo(1, 6);
    a.dispose();
    s.dispose();
  });

  it('layer 1 folds the /255 into its conv kernel: same output as scaling the input first', () => {
    const m = createModel('impala-shallow', { inputShape: [84, 84, 4], numActions: 3, seed: 4 });
    const x = randomObs(m, 2, 9, 255);
    const [w, b] = m.layerVariables(1);
    const folded = m.head(x, 1);
    const explicit = tf.tidy(() => tf.relu(tf.add(tf.conv2d(tf.mul(x, 1 / 255) as tf.Tensor4D, w as tf.Tensor4D, 4, 'valid'), b!)));
    const scale = tf.tidy(() => tf.max(tf.abs(explicit)).dataSync()[0]);
    expect(scale).toBeGreaterThan(0);
    expect(maxAbsDiff(folded, explicit) / scale).toBeLessThan(1e-6);
    tf.dispose([x, folded, explicit]);
    m.dispose();
  });

  it('an input scale before an op that cannot fold it is applied as a multiply', () => {
    const layer = new LayerBuilder('l', [3]).inputScale(0.5).relu().build();
    const y = layer.apply(tf.tensor2d([[2, -4, 6]]), []);
    expect(Array.from(y.dataSync())).toEqual([1, 0, 3]);
    y.dispose();
  });

  it('rejects bad options and split points with a clear message', () => {
    expect(() => createModel('minatar', { inputShape: [10, 10] as unknown as [number, number, number], numActions: 3 })).toThrow(/inputShape/);
    expect(() => createModel('minatar', { inputShape: [10, 10, 4], numActions: 0 })).toThrow(/numActions/);
    expect(() => createModel('nope' as 'minatar', { inputShape: [10, 10, 4], numActions: 3 })).toThrow(/unknown spec/);
    expect(() => createModel('impala-shallow', { inputShape: [10, 10, 4], numActions: 3 })).toThrow(/larger inputShape/);
    const m = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3 });
    const x = tf.zeros([1, 10, 10, 4]);
    expect(() => m.head(x, 3)).toThrow(/0\.\.2/);
    expect(() => m.tail(x, 1)).toThrow(/input to layer 2 must be \[N, 8, 8, 16\]/);
    expect(() => m.activationTensor(new Float32Array(400), 1, 0)).toThrow(/needs a Uint8Array of 1×10×10×4 = 400 values, got a Float32Array/);
    expect(() => m.activationTensor(new Float32Array(10), 1, 1)).toThrow(/1×8×8×16 = 1024/);
    x.dispose();
    m.dispose();
  });
});

describe('conv/dense followed by relu runs fused', () => {
  it('equals relu(conv + bias) and relu(x·W + b) by hand, forward and gradients (cpu)', async () => {
    await ensureGradients();
    const def = new LayerBuilder('l', [6, 6, 3]).inputScale(0.5).conv('c', 8, 3, 2, 'same').relu().flatten().dense('d', 5).relu().build();
    const rng = new Rng(9);
    const rand = (shape: readonly number[]): tf.Tensor =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
        [...shape],
      );
    const x = rand([2, 6, 6, 3]);
    const w = def.params.map((p) => rand(p.shape));
    const byHand = (ws: tf.Tensor[]): tf.Tensor => {
      const h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, tf.mul(ws[0], 0.5) as tf.Tensor4D, 2, 'same'), ws[1]));
      return tf.relu(tf.add(tf.matMul(tf.reshape(h, [2, -1]) as tf.Tensor2D, ws[2] as tf.Tensor2D), ws[3]));
    };
    expect(maxAbsDiff(def.apply(x, w), byHand(w))).toBeLessThan(1e-5);
    const loss =
      (f: (ws: tf.Tensor[]) => tf.Tensor) =>
      (...ws: tf.Tensor[]) =>
        tf.sum(tf.mul(f(ws), tf.reshape(tf.range(1, 11), [2, 5])));
    const gFused = tf.grads(loss((ws) => def.apply(x, ws)))(w);
    const gHand = tf.grads(loss(byHand))(w);
    gFused.forEach((g, i) => expect(maxAbsDiff(g, gHand[i])).toBeLessThan(1e-4));
    expect(def.graph.map((d) => d.op)).toEqual(['scale', 'conv', 'relu', 'flatten', 'dense', 'relu']);
    const profile = await tf.profile(() => def.apply(x, w));
    expect(profile.kernelNames).toEqual(expect.arrayContaining([CONV_RELU, DENSE_RELU]));
    expect(profile.kernelNames).not.toContain('Relu');
  });
});
