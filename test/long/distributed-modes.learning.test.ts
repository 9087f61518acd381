/**
 * Learning progress of every distributed mode on a short budget: a learner and 4 real actor processes
 * (8 envs each) on loopback train MinAtar Breakout for 96k frames. The random policy scores ≈ 0.40;
 * each mode reaches ≈ 2–3 at 96k frames here, so "> 1" is a clear margin for a run whose unroll
 * order depends on process scheduling.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { loadConfig } from '../../src/config/load.js';
import { runDistributed } from '../../src/run/distributed.js';

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('distributed modes learn MinAtar Breakout', () => {
  for (const mode of ['seed', 'coknight', 'impala'] as const) {
    it(`${mode} mode beats the random policy clearly within 96k frames`, { timeout: 240_000 }, async () => {
      const config = loadConfig('configs/minatar-breakout.yaml', {
        mode,
        frames: 96_000,
        seed: 1,
        hyper: { annealLearningRate: false },
        distributed: { actors: 4, envsPerActor: 8, metricsListen: '', token: 'learning-test' },
        run: { dir: mkdtempSync(join(tmpdir(), `ck-learn-${mode}-`)), progress: 'none', checkpointEverySeconds: 1e6 },
      });
      const s = (await runDistributed(config, { spawnActors: 4, log: () => {} })) as Record<string, any>;
      expect(s.frames).toBeGreaterThanOrEqual(96_000);
      expect(s.finalMeanReturn).toBeGreaterThan(1.0);
      if (mode !== 'impala') expect(s.policyLag).toBeLessThan(5);
    });
  }
});
