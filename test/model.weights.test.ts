import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, decodeLayerWeights } from '../src/model/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const opts = { inputShape: [84, 84, 4] as [number, number, number], numActions: 6 };

function same(a: tf.Tensor, b: tf.Tensor): boolean {
  const x = a.dataSync();
  const y = b.dataSync();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe('per-layer weight serialisation', () => {
  it('head-only round trip for every y: layers 1..y copied, the rest untouched, version carried', async () => {
    const learner = createModel('impala-shallow', { ...opts, seed: 1 });
    learner.version = 42;
    for (let y = 1; y <= learner.K; y++) {
      const actor = createModel('impala-shallow', { ...opts, seed: 2 });
      const blob = await learner.getLayerWeights(1, y);
      // size: 32-byte header, (2 + rank) words per tensor, 4 bytes per float
      let words = 0;
      let floats = 0;
      for (let k = 1; k <= y; k++) {
        for (const v of learner.layerVariables(k)) {
          words += 2 + v.rank;
          floats += v.size;
        }
      }
      expect(blob.byteLength).toBe(32 + 4 * words + 4 * floats);
      expect(floats).toBe(learner.layers.slice(0, y).reduce((s, l) => s + l.paramCount, 0));

      const info = actor.setLayerWeights(blob);
      expect(info).toEqual({ from: 1, to: y, version: 42 });
      expect(actor.version).toBe(42);
      for (let k = 1; k <= learner.K; k++) {
        const copied = learner.layerVariables(k).every((v, i) => same(v, actor.layerVariables(k)[i]));
        expect(copied).toBe(k <= y);
      }
      actor.dispose();
    }
    learner.dispose();
  });

  it('a middle range travels on its own and decodes to the right layers', async () => {
    const m = createModel('impala-deep', { ...opts, seed: 3 });
    m.version = 7;
    const blob = await m.getLayerWeights(4, 6);
    const p = decodeLayerWeights(blob);
    expect(p.from).toBe(4);
    expect(p.to).toBe(6);
    expect(p.version).toBe(7);
    expect(new Set(p.tensors.map((t) => t.layer))).toEqual(new Set([4, 5, 6]));
    // stack2.conv_pool: kernel [3,3,16,32] + bias [32]
    expect(p.tensors[0].shape).toEqual([3, 3, 16, 32]);
    expect(p.tensors[1].shape).toEqual([32]);
    // also works from an unaligned Buffer view (as received from a socket)
    const padded = new Uint8Array(blob.byteLength + 1);
    padded.set(blob, 1);
    const q = decodeLayerWeights(padded.subarray(1));
    expect(Array.from(q.tensors[0].data)).toEqual(Array.from(p.tensors[0].data));
    m.dispose();
  });

  it('rejects blobs for another network, truncated or corrupt, with a clear message', async () => {
    const a = createModel('impala-shallow', { ...opts, seed: 1 });
    const b = createModel('impala-shallow', { ...opts, numActions: 4, seed: 1 });
    const blob = await a.getLayerWeights(1, 3);
    expect(() => b.setLayerWeights(blob)).toThrow(/different network/);
    expect(() => a.setLayerWeights(blob.subarray(0, blob.byteLength - 4))).toThrow(/runs past the end/);
    const bad = blob.slice();
    bad[0] = 0;
    expect(() => a.setLayerWeights(bad)).toThrow(/magic/);
    await expect(a.getLayerWeights(2, 1)).rejects.toThrow(/from ≤ to/);
    await expect(a.getLayerWeights(0, 1)).rejects.toThrow(/1\.\.3/);
    a.dispose();
    b.dispose();
  });
});
