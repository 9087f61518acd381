import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fcLayout, fcPartCost } from '../src/coop/fc-modes.js';
import { checkPlan, type SiteBlock } from '../src/coop/plan.js';
import { runDeviceTask, runPlanLocally } from '../src/coop/run-task.js';
import { padBefore, rowsFromCuts, sliceBlock, sliceLayer, splitRows, windowInputRows } from '../src/coop/slicing.js';
import { createModel, type PolicyModel } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const model = (spec: 'minatar' | 'impala-shallow' | 'impala-deep' | 'impala-shallow-fc2'): PolicyModel =>
  createModel(spec, { inputShape: spec === 'minatar' ? [10, 10, 4] : [84, 84, 4], numActions: 4, seed: 3 });
const partsOf = (m: PolicyModel) => Array.from({ length: m.K }, (_, i) => m.layerParts(i + 1));

describe('halo rows by hand (CoopAI §II-A)', () => {
  it("TensorFlow's 'same' padding puts the smaller half on top", () => {
    expect(padBefore(84, 3, 1, 'same')).toBe(1); // total 2
    expect(padBefore(84, 3, 2, 'same')).toBe(0); // out 42: 41·2+3−84 = 1 → top 0, bottom 1
    expect(padBefore(84, 8, 4, 'valid')).toBe(0);
    expect(windowInputRows([5, 10], 8, 4, 0)).toEqual([20, 44]); // rows 5..9 read 20..(9·4+8)
  });

  it('impala-shallow: conv2 rows 0..2 need conv1 rows 0..7 and input rows 0..35', () => {
    const m = model('impala-shallow');
    const [c1, c2] = sliceBlock([m.layerParts(1).def, m.layerParts(2).def], [0, 3]);
    expect(c2.inRows).toEqual([0, 8]);
    expect(c1.outRows).toEqual([0, 8]);
    expect(c1.inRows).toEqual([0, 36]);
    // conv1 FLOPs on 8 of its 20 rows: 2 · 8 rows · 20 cols · 16 filters · 8·8·4 taps
    expect(c1.flops).toBe(2 * 8 * 20 * 16 * 8 * 8 * 4);
    m.dispose();
  });

  it('impala-deep stack1: conv 3×3 same + pool 3×3/2 same, middle, top and bottom slices', () => {
    const m = model('impala-deep');
    const def = m.layerParts(1).def;
    const mid = sliceLayer(def, [10, 20]);
    expect(mid.ops.map((o) => [o.inRows, o.outRows])).toEqual([
      [
        [19, 42],
        [19, 42],
      ], // input scale
      [
        [19, 42],
        [20, 41],
      ], // conv: pool rows 20..40 need conv input 19..41
      [
        [20, 41],
        [10, 20],
      ], // pool: out 10..19 read 20..(19·2+3)
    ]);
    const top = sliceLayer(def, [0, 5]);
    expect(top.inRows).toEqual([0, 12]);
    expect(top.ops[1].padRows).toEqual([1, 0]);
    const bottom = sliceLayer(def, [40, 42]);
    expect(bottom.ops[2].padRows).toEqual([0, 1]); // pool reads row 84 = padding
    expect(bottom.ops[1].padRows).toEqual([0, 1]);
    expect(bottom.inRows).toEqual([79, 84]);
    // residual block: two 3×3 same convs widen rows 10..19 by 2 each side
    expect(sliceLayer(m.layerParts(2).def, [10, 20]).inRows).toEqual([8, 22]);
    m.dispose();
  });

  it('shares and cut points → contiguous rows that tile the height', () => {
    expect(splitRows(20, [1, 1, 2])).toEqual([
      [0, 5],
      [5, 10],
      [10, 20],
    ]);
    expect(splitRows(9, [1, 0, 1])).toEqual([
      [0, 5],
      [5, 5],
      [5, 9],
    ]);
    expect(rowsFromCuts(9, [3, 3])).toEqual([
      [0, 3],
      [3, 3],
      [3, 9],
    ]);
    expect(() => rowsFromCuts(9, [5, 3])).toThrow(/non-decreasing/);
    expect(() => splitRows(9, [0, 0])).toThrow(/positive sum/);
  });

  it('FC modes (CoopAI §II-B): data splits features, model splits units', () => {
    const m = model('impala-shallow');
    const layout = fcLayout(m.layerParts(3).def);
    expect(layout).toMatchObject({ features: 9 * 9 * 32, units: 256 });
    expect(fcPartCost('data', layout, [0, 864])).toEqual({ inFloats: 864, outFloats: 256, flops: 2 * 864 * 256 });
    expect(fcPartCost('model', layout, [0, 64])).toEqual({ inFloats: 2592, outFloats: 64, flops: 2 * 2592 * 64 });
    m.dispose();
  });
});

function obs(m: PolicyModel, n: number): tf.Tensor {
  const rng = new Rng(11);
  const data = new Uint8Array(n * m.inputBytes);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return m.observationTensor(data, n);
}

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** Plans to check per network: layer by layer (3 unequal slices), one big block + FC data, FC model. */
function plans(m: PolicyModel): SiteBlock[][] {
  const defs = partsOf(m).map((p) => p.def);
  const K = m.K;
  const out = (k: number) => defs[k - 1].outShape[0];
  const fcIn = defs[K - 1].inShape[0];
  const layerByLayer: SiteBlock[] = defs.slice(0, -1).map((_, i) => ({ from: i + 1, to: i + 1, mode: 'slice', parts: splitRows(out(i + 1), [1, 2, 3]) }));
  layerByLayer.push({ from: K, to: K, mode: 'model', parts: splitRows(fcLayout(defs[K - 1]).units, [3, 1, 1]) });
  const fused: SiteBlock[] = [{ from: 1, to: K, mode: 'data', parts: splitRows(fcIn, [2, 0, 1]) }];
  const twoBlocks: SiteBlock[] =
    K > 2
      ? [
          { from: 1, to: K - 2, mode: 'slice', parts: splitRows(out(K - 2), [1, 1, 1]) },
          { from: K - 1, to: K, mode: 'data', parts: rowsFromCuts(fcIn, [1, fcIn - 1]) },
        ]
      : [{ from: 1, to: K, mode: 'data', parts: splitRows(fcIn, [1, 1, 1]) }];
  return [layerByLayer, fused, twoBlocks];
}

describe('sliced execution equals the single-device head', () => {
  for (const spec of ['minatar', 'impala-shallow', 'impala-deep'] as const) {
    it(`${spec}: every plan, 3 devices`, () => {
      const m = model(spec);
      const parts = partsOf(m);
      const x = obs(m, 1);
      const ref = m.head(x, m.K);
      for (const blocks of plans(m)) {
        checkPlan(
          parts.map((p) => p.def),
          { blocks },
          3,
        );
        const y = runPlanLocally(parts, blocks, x);
        expect(y.shape).toEqual(ref.shape);
        expect(maxAbsDiff(y, ref)).toBeLessThan(1e-4);
        y.dispose();
      }
      tf.dispose([x, ref]);
      m.dispose();
    });
  }

  it('impala-shallow-fc2: hybrid FC (model then data parallel over fc, fc2) equals one device, alone and after sliced convs', () => {
    const m = model('impala-shallow-fc2');
    const parts = partsOf(m);
    const defs = parts.map((p) => p.def);
    const x = obs(m, 2);
    const ref = m.head(x, m.K);
    const hybrid = (shares: number[]): SiteBlock => ({ from: 3, to: 4, mode: 'hybrid', parts: splitRows(256, shares) });
    const plansFc2: SiteBlock[][] = [
      [{ from: 1, to: 2, mode: 'slice', parts: splitRows(9, [1, 1, 1]) }, hybrid([3, 1, 1])],
      [{ from: 1, to: 2, mode: 'slice', parts: splitRows(9, [2, 1, 0]) }, hybrid([1, 0, 2])],
      [
        { from: 1, to: 3, mode: 'data', parts: splitRows(9, [1, 1, 1]) },
        { from: 4, to: 4, mode: 'model', parts: splitRows(256, [1, 1, 1]) },
      ],
    ];
    for (const blocks of plansFc2) {
      checkPlan(defs, { blocks }, 3);
      const y = runPlanLocally(parts, blocks, x);
      expect(y.shape).toEqual(ref.shape);
      expect(maxAbsDiff(y, ref)).toBeLessThan(1e-4);
      y.dispose();
    }
    // the hybrid part by hand: device 1 of [3, 1, 1] holds fc units [154, 205) = fc2 input features [154, 205)
    const h = hybrid([3, 1, 1]);
    expect(h.parts[1]).toEqual([154, 205]);
    const conv = m.head(x, 2);
    const fcIn = tf.reshape(conv, [2, -1]);
    const partial = runDeviceTask(parts, h, 1, conv);
    expect(partial.shape).toEqual([2, 256]);
    const byHand = tf.tidy(() => {
      const [W1, b1] = parts[2].weights;
      const [W2] = parts[3].weights;
      const u = tf.relu(tf.add(tf.matMul(fcIn as tf.Tensor2D, tf.slice(W1, [0, 154], [-1, 51]) as tf.Tensor2D), tf.slice(b1, [154], [51])));
      return tf.matMul(u as tf.Tensor2D, tf.slice(W2, [154, 0], [51, -1]) as tf.Tensor2D);
    });
    expect(maxAbsDiff(partial, byHand)).toBeLessThan(1e-5);
    expect(() =>
      checkPlan(
        defs,
        {
          blocks: [
            { from: 1, to: 2, mode: 'slice', parts: [[0, 9]] },
            { from: 3, to: 4, mode: 'hybrid', parts: [[0, 200]] },
          ],
        },
        1,
      ),
    ).toThrow(/plan.blocks\[1\].parts cover 0..200 of 0..256/);
    expect(() =>
      checkPlan(
        defs,
        {
          blocks: [
            { from: 1, to: 3, mode: 'hybrid', parts: [[0, 256]] },
            { from: 4, to: 4, mode: 'model', parts: [[0, 256]] },
          ],
        },
        1,
      ),
    ).toThrow(/mode 'hybrid' needs exactly two consecutive FC layers/);
    tf.dispose([x, ref, conv, fcIn, partial, byHand]);
    m.dispose();
  });

  it('a slice with the wrong number of rows is rejected naming the block and the rows it needs', () => {
    const m = model('impala-shallow');
    const parts = partsOf(m);
    // conv2 rows 0..4 need conv1 rows 0..11 (4·2+4 = 12) and input rows 0..51 (11·4+8 = 52)
    const b: SiteBlock = { from: 1, to: 2, mode: 'slice', parts: splitRows(9, [1, 1]) };
    const bad = tf.zeros([1, 30, 84, 4]);
    expect(() => runDeviceTask(parts, b, 0, bad)).toThrow(/slice shape mismatch: block 1..2 \(slice\) part 0 needs \[n, 52, 84, 4\]/);
    bad.dispose();
    m.dispose();
  });

  it('plans that do not fit the network are rejected naming the field', () => {
    const defs = partsOf(model('impala-shallow')).map((p) => p.def);
    expect(() => checkPlan(defs, { blocks: [{ from: 1, to: 3, mode: 'slice', parts: [[0, 9]] }] }, 1)).toThrow(/plan.blocks\[0\]: mode 'slice'/);
    expect(() => checkPlan(defs, { blocks: [{ from: 2, to: 3, mode: 'data', parts: [[0, 9]] }] }, 1)).toThrow(/plan.blocks\[0\].from is 2/);
    expect(() => checkPlan(defs, { blocks: [{ from: 1, to: 3, mode: 'data', parts: [[0, 8]] }] }, 1)).toThrow(/cover 0..8 of 0..9/);
  });
});
