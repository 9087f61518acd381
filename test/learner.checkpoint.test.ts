import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeLayerWeights } from '../src/model/weights-codec.js';
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint, CHECKPOINT_FILE } from '../src/run/checkpoint.js';

// Checkpoints verify their weights on load, so the sample holds a real (tiny) weights blob.
const weights = encodeLayerWeights({ version: 2, signature: 1, from: 1, to: 1, tensors: [{ layer: 1, shape: [5], data: Float32Array.from([1, 2, 3, 4, 5]) }] });

const sample = {
  meta: { config: { mode: 'local' }, frames: 1280, updates: 2, episodes: 7, wallSeconds: 3.5, modelVersion: 2, recentReturns: [1, 2, 3] },
  weights,
  optimizer: [
    { name: 'iter', shape: [], data: Float32Array.from([2]) },
    { name: 'w/rms', shape: [2, 2], data: Float32Array.from([0.5, 1.5, 2.5, 3.5]) },
  ],
};

describe('checkpoint file', () => {
  it('round-trips metadata, weights and optimizer slots', () => {
    const back = decodeCheckpoint(encodeCheckpoint(sample));
    expect(back.meta).toEqual(sample.meta);
    expect([...back.weights]).toEqual([...weights]);
    expect(back.optimizer.map((t) => t.name)).toEqual(['iter', 'w/rms']);
    expect([...back.optimizer[1].data]).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(back.optimizer[1].shape).toEqual([2, 2]);
  });

  it('writes atomically (no temp files left) and loads from the run directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-ckpt-'));
    saveCheckpoint(dir, sample);
    saveCheckpoint(dir, { ...sample, meta: { ...sample.meta, frames: 2560 } });
    expect(readdirSync(dir)).toEqual([CHECKPOINT_FILE]);
    expect(loadCheckpoint(dir).meta.frames).toBe(2560);
  });

  it('rejects files that are not checkpoints or are truncated, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-ckpt-'));
    const f = join(dir, 'junk.ckpt');
    writeFileSync(f, 'hello world, not a checkpoint');
    expect(() => loadCheckpoint(f)).toThrow(/not a Coknight checkpoint/);
    const bytes = encodeCheckpoint(sample);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 3), 'x.ckpt')).toThrow(/x\.ckpt is truncated/);
    expect(() => loadCheckpoint(join(dir, 'missing'))).toThrow(/does not exist/);
    expect(() => loadCheckpoint(mkdtempSync(join(tmpdir(), 'ck-empty-')))).toThrow(/holds no checkpoint/);
  });
});
