import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, readFloats } from '../src/backend/index.js';

describe('readFloats', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', log: () => {} });
  });

  it('reads the tensor the scope returns and frees it and every intermediate', () => {
    const a = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    const out = readFloats(() => tf.add(tf.mul(a, 2), 1));
    expect(Array.from(out)).toEqual([3, 5, 7]);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });

  it('frees the scope when the read itself fails', () => {
    const before = tf.memory().numTensors;
    expect(() =>
      readFloats(() => {
        tf.zeros([2]);
        throw new Error('bad shape');
      }),
    ).toThrow('bad shape');
    expect(tf.memory().numTensors).toBe(before);
  });
});
