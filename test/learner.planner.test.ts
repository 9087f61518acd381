import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import type { PolicyModel } from '../src/model/index.js';
import { validateConfig } from '../src/config/load.js';
import { createModel } from '../src/model/index.js';
import { plannerFor, spawnedIndex } from '../src/learner/split-planner.js';
import { type Hello, PROTOCOL_VERSION } from '../src/transport/index.js';

const hello = (actorId: string, flops?: number): Hello => ({
  type: 'Hello',
  protocolVersion: PROTOCOL_VERSION,
  actorId,
  token: 't',
  numEnvs: 1,
  obsShape: [10, 10, 4],
  numActions: 3,
  splitPoint: 0,
  ...(flops ? { profile: { flops, linkBytesPerSec: 1e6 } } : {}),
});

describe('split planners', () => {
  let model: PolicyModel;
  beforeAll(async () => {
    await initBackend({ log: () => {}, gradients: false });
    model = createModel('minatar', { inputShape: [10, 10, 4], numActions: 3 });
  });

  it('maps spawned actor a<i> (and its streams) to entry i, others in join order', () => {
    expect(spawnedIndex('a3', 0)).toBe(3);
    expect(spawnedIndex('a12.1', 0)).toBe(12);
    expect(spawnedIndex('pi-4', 5)).toBe(5);
  });

  it('fixed split points follow the actor, not the order actors connect in', () => {
    const p = plannerFor(validateConfig({ mode: 'coknight', distributed: { splitPoints: [1, 0] } }), model, 1e9);
    expect(p.join('a1', hello('a1')).splitPoint).toBe(0);
    expect(p.join('a0', hello('a0')).splitPoint).toBe(1);
  });

  it('seed and impala modes pin every actor to 0 and K', () => {
    expect(plannerFor(validateConfig({ mode: 'seed' }), model, 1e9).join('x', hello('x')).splitPoint).toBe(0);
    expect(plannerFor(validateConfig({ mode: 'impala' }), model, 1e9).join('x', hello('x')).splitPoint).toBe(model.K);
  });

  it('DEFP gives a limited learner budget to the actor that gains most and moves the other', () => {
    // c_1 = 73,728 and c_2 = 263,936 FLOPs; a 400k budget fits one actor at y = 0.
    const cfg = validateConfig({ mode: 'coknight', partition: { edgeFlops: 1e10, computeBudget: 400_000 } });
    const p = plannerFor(cfg, model, 1e9);
    expect(p.join('slow', hello('slow', 1e6)).splitPoint).toBe(0);
    const r = p.join('slower', hello('slower', 1e5));
    expect(r.splitPoint).toBe(0);
    expect(r.changes).toContainEqual({ actorId: 'slow', splitPoint: 2, codec: '' });
    // when the newcomer leaves, the budget returns to the first actor
    expect(p.leave('slower')).toContainEqual({ actorId: 'slow', splitPoint: 0, codec: '' });
  });
});
