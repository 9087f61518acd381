/**
 * Atari training end to end on the real emulator with the project's own test ROM (no commercial ROM
 * needed): 84x84x4 frames, the IMPALA shallow network, local mode and every distributed mode with a
 * real actor process. Tiny budgets: this checks the plumbing, not learning.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { TEST_ROM_DIR } from '../src/env/atari/index.js';
import { runDistributed } from '../src/run/distributed.js';
import { runTraining } from '../src/run/train.js';

const romDir = fileURLToPath(TEST_ROM_DIR);

function config(mode: string) {
  return validateConfig({
    mode,
    frames: 80,
    seed: 2,
    model: 'impala-shallow',
    env: { id: 'atari/coknight_test_game', romDir },
    hyper: { unrollLength: 5, batchSize: 2, rewardClip: 'unit' },
    distributed: { actors: 1, envsPerActor: 2, metricsListen: '', token: 'atari-test' },
    run: { dir: mkdtempSync(join(tmpdir(), 'ck-atari-')), progress: 'none', checkpointEverySeconds: 1e6 },
  });
}

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('Atari training with the IMPALA shallow network', () => {
  it('local mode: 4 frames per agent step, frames counted with the action repeat', { timeout: 180_000 }, async () => {
    const s = (await runTraining(config('local'), { log: () => {} })) as Record<string, any>;
    expect(s.model).toBe('impala-shallow');
    // one update = T·B agent steps × frame skip 4 = 40 frames
    expect(s.frames).toBe(80);
    expect(s.updates).toBe(2);
  });

  for (const mode of ['seed', 'coknight', 'impala']) {
    it(`${mode} mode with a real actor process`, { timeout: 180_000 }, async () => {
      const cfg = config(mode);
      const s = (await runDistributed(mode === 'coknight' ? validateConfig({ ...cfg, distributed: { ...cfg.distributed, splitPoints: [2] } }) : cfg, {
        spawnActors: 1,
        log: () => {},
      })) as Record<string, any>;
      expect(s.K).toBe(3);
      expect(s.frames).toBeGreaterThanOrEqual(80);
      const a = s.actors[0];
      expect(a.splitPoint).toBe(mode === 'seed' ? 0 : mode === 'impala' ? 3 : 2);
      const acc = s.stepAccounting;
      expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
      expect(acc.duplicates).toBe(0);
    });
  }
});
