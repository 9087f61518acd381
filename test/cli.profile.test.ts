import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { profileLayers } from '../src/cli/commands/profile.js';
import { parseInstance, solvePartition } from '../src/partition/index.js';

beforeAll(async () => {
  await initBackend({ log: () => {}, gradients: false });
});

describe('device profiler', () => {
  it('times every layer of the network and yields an instance the solvers accept', async () => {
    const layers = await profileLayers('minatar', [10, 10, 4], 3, 4, 5);
    expect(layers.map((l) => l.name)).toEqual(['conv1', 'fc']);
    // c_k at batch 4: conv 4·(8·8·16·3·3·4·2) = 294,912; fc 4·(1024·128·2 + heads 128·4·2) = 1,052,672
    expect(layers.map((l) => l.flops)).toEqual([294_912, 1_052_672]);
    for (const l of layers) expect(l.seconds).toBeGreaterThanOrEqual(0);
    const total = layers.reduce((a, l) => a + l.seconds, 0);
    expect(total).toBeGreaterThan(0);
    const inst = parseInstance({
      inputBytes: 400,
      layers: layers.map((l) => ({ name: l.name, flops: l.flops / 4, outBytes: l.outBytes })),
      edge: { flops: 1e10, computeBudget: 1e9, bandwidthBudget: 1e9, delta: 1 },
      actors: [{ id: 'me', flops: layers.reduce((a, l) => a + l.flops, 0) / total, linkBytesPerSec: 1e6 }],
    });
    const r = await solvePartition(inst, 'defp');
    expect(r.feasible).toBe(true);
  });
});
