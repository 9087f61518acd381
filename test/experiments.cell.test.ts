import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { leftovers } from '../src/testbed/network.js';
import { runCell } from '../experiments/lib/cell.js';
import { tcShaping, withLinks } from '../experiments/lib/shaping.js';

const tc = tcShaping();
if (!tc.ok) console.warn(`experiments.cell: tc shaping unavailable (${tc.why}); the cell runs over the application pacer instead`);

describe('experiments/lib/cell over shaped links (real learner, real actor process)', () => {
  it('measures a Seed-RL cell through a 1 MB/s link (tc in a namespace as root, the pacer otherwise) and leaves nothing behind', async () => {
    await initBackend({ log: () => {} });
    const result = await withLinks('exptest', 1, '1MB/s', async (links) => {
      expect(links.shaping).toBe(tc.ok ? 'tc' : 'pacer');
      return runCell({
        mode: 'seed',
        actors: 1,
        env: 'minatar-pixels/breakout',
        envsPerActor: 2,
        bandwidth: links.pacer,
        links: links.cell,
        config: { hyper: { batchSize: 2, unrollLength: 5 } },
        warmupSeconds: 1,
        seconds: 4,
        sampleMs: 500,
      });
    });
    expect(result.splitPoints).toEqual([0]);
    expect(result.envStepsPerSec).toBeGreaterThan(0);
    const last = result.samples.at(-1)!;
    // Every y = 0 step carries a 28,224-byte frame up the link: the learner cannot receive faster than the cap.
    const inRate = last.bytesIn / last.t;
    expect(inRate).toBeGreaterThan(0);
    expect(inRate).toBeLessThan(1.1e6);
    expect(last.bytesIn / (last.envSteps || 1)).toBeGreaterThan(28_224);
    if (tc.ok) expect(leftovers('exptest')).toEqual({ namespaces: [], links: [] });
  }, 180_000);

  it('withLinks refuses a rate list that does not match the actors, and gives per-actor pacer caps without tc', async () => {
    await expect(withLinks('exptest', 2, ['1MB/s'], () => Promise.resolve(0))).rejects.toThrow(/1 rates for 2 actors/);
    const links = await withLinks('exptest', 3, ['1MB/s', '1MB/s', '50MB/s'], (l) => Promise.resolve(l), 'pacer');
    expect(links).toMatchObject({ shaping: 'pacer', pacer: '1MB/s', actorBandwidth: ['1MB/s', '1MB/s', '50MB/s'] });
    expect(links.cell).toBeUndefined();
  });
});
