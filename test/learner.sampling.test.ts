import { describe, expect, it } from 'vitest';
import { argmaxRows, sampleFromLogits } from '../src/model/sampling.js';
import { smoothedCurve } from '../src/run/learning-curve.js';
import { Rng } from '../src/util/rng.js';

describe('action sampling', () => {
  it('draws actions with softmax frequencies', () => {
    // logits [0, ln 2, ln 5] → probabilities 1/8, 2/8, 5/8
    const n = 40_000;
    const logits = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) logits.set([0, Math.log(2), Math.log(5)], i * 3);
    const a = sampleFromLogits(logits, n, 3, new Rng(1));
    const freq = [0, 0, 0];
    for (const x of a) freq[x]++;
    expect(freq[0] / n).toBeCloseTo(1 / 8, 2);
    expect(freq[1] / n).toBeCloseTo(2 / 8, 2);
    expect(freq[2] / n).toBeCloseTo(5 / 8, 2);
  });

  it('is stable for huge logits and deterministic per seed', () => {
    const logits = Float32Array.from([1000, 0, -1000, 0, 1000, 999]);
    const a = sampleFromLogits(logits, 2, 3, new Rng(3));
    expect(a[0]).toBe(0);
    expect([1, 2]).toContain(a[1]);
    const l = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i));
    expect([...sampleFromLogits(l, 100, 3, new Rng(9))]).toEqual([...sampleFromLogits(l, 100, 3, new Rng(9))]);
  });

  it('argmax picks the largest logit, lowest index on ties', () => {
    expect([...argmaxRows(Float32Array.from([1, 3, 2, 5, 5, 0]), 2, 3)]).toEqual([1, 0]);
  });
});

describe('learning curve smoothing', () => {
  it('is the trailing-window mean at each sampled episode', () => {
    const eps = [1, 2, 3, 4, 5, 6].map((ret, i) => ({ frames: (i + 1) * 10, ret, length: 1 }));
    // window 2: means (1), (1+2)/2, (2+3)/2, (3+4)/2, (4+5)/2, (5+6)/2
    expect(smoothedCurve(eps, 2, 1000)).toEqual([
      [10, 1],
      [20, 1.5],
      [30, 2.5],
      [40, 3.5],
      [50, 4.5],
      [60, 5.5],
    ]);
    expect(smoothedCurve(eps, 3, 3).map((p) => p[0])).toEqual([20, 40, 60]);
    expect(smoothedCurve([], 3)).toEqual([]);
  });
});
