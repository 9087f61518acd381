/**
 * Learning progress through the distributed path on a short budget: a learner and 4 real actor
 * processes (8 envs each) on loopback train MinAtar Breakout for 96k frames in coknight mode with
 * mixed split points (y = 0, 1 and K = 2), so every data path — observations on the stream,
 * activations plus uploaded observations, whole local steps — feeds the same batches. The random
 * policy scores ≈ 0.40; "> 1" is a clear margin for a run whose unroll order depends on process
 * scheduling. Every mode separately: test/long (npm run test:long).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import { runDistributed } from '../src/run/distributed.js';

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('the distributed path learns MinAtar Breakout', () => {
  it('coknight mode with split points 0, 1, 2, 0 beats the random policy clearly within 96k frames', { timeout: 240_000 }, async () => {
    const config = loadConfig('configs/minatar-breakout.yaml', {
      mode: 'coknight',
      frames: 96_000,
      seed: 1,
      hyper: { annealLearningRate: false, batchSize: 32 }, // pinned: the shipped config's 16 is tuned for 5M frames
      distributed: { actors: 4, envsPerActor: 8, splitPoints: [0, 1, 2, 0], metricsListen: '', token: 'learning-test' },
      run: { dir: mkdtempSync(join(tmpdir(), 'ck-learn-mixed-')), progress: 'none', checkpointEverySeconds: 1e6 },
    });
    const s = (await runDistributed(config, { spawnActors: 4, log: () => {} })) as Record<string, any>;
    expect(s.frames).toBeGreaterThanOrEqual(96_000);
    expect(s.actors.map((a: { splitPoint: number }) => a.splitPoint).sort()).toEqual([0, 0, 1, 2]);
    expect(s.finalMeanReturn).toBeGreaterThan(1.0);
    const acc = s.stepAccounting;
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
    expect(acc.duplicates).toBe(0);
  });
});
