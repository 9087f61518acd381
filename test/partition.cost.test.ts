import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  actorCosts,
  bandwidthUse,
  computeUse,
  deviceFlops,
  edgeFlops,
  evaluateAssignment,
  impalaDeepNetwork,
  impalaShallowNetwork,
  improvement,
  minatarNetwork,
  parseInstance,
  resourceTable,
  responseTime,
  utility,
  type PartitionInstance,
} from '../src/partition/index.js';

// Hand-computed reference: K = 3, b_0 = 100 B, c = (1000, 2000, 500) FLOPs, b = (50, 20, 10) B,
// f_e = 1e4 FLOP/s, δ = 2, one actor with f_d = 1000 FLOP/s and tr = 100 B/s.
const inst: PartitionInstance = {
  inputBytes: 100,
  layers: [
    { name: 'l1', flops: 1000, outBytes: 50 },
    { name: 'l2', flops: 2000, outBytes: 20 },
    { name: 'l3', flops: 500, outBytes: 10 },
  ],
  edge: { flops: 1e4, computeBudget: 3000, bandwidthBudget: 250, delta: 2 },
  actors: [{ id: 'a', flops: 1000, linkBytesPerSec: 100 }],
};
const actor = inst.actors[0];

describe('cost model (Eqs. 4–6, 10–11, 15)', () => {
  it('splits FLOPs between device and learner (Eq. 4)', () => {
    expect([0, 1, 2, 3].map((y) => deviceFlops(inst, y))).toEqual([0, 1000, 3000, 3500]);
    expect([0, 1, 2, 3].map((y) => edgeFlops(inst, y))).toEqual([3500, 2500, 500, 0]);
  });

  it('response time T_i(y) (Eqs. 5–6)', () => {
    // y=0: 3500/1e4 + (100+10)/100 = 0.35 + 1.1
    expect(responseTime(inst, actor, 0)).toBeCloseTo(1.45, 12);
    // y=1: 1000/1000 + 2500/1e4 + (50+10)/100 = 1 + 0.25 + 0.6
    expect(responseTime(inst, actor, 1)).toBeCloseTo(1.85, 12);
    // y=2: 3000/1000 + 500/1e4 + (20+10)/100 = 3 + 0.05 + 0.3
    expect(responseTime(inst, actor, 2)).toBeCloseTo(3.35, 12);
    // y=K: local only, no transmission
    expect(responseTime(inst, actor, 3)).toBeCloseTo(3.5, 12);
  });

  it('utility u = T(y) − T(K) (Eq. 15) and improvement g = −u', () => {
    expect([0, 1, 2, 3].map((y) => utility(inst, actor, y))).toEqual([-2.05, -1.65, -0.15, 0].map((x) => expect.closeTo(x, 12)));
    expect(improvement(inst, actor, 0)).toBeCloseTo(2.05, 12);
  });

  it('resource use: C_e(y) and δ·b_y for y < K, nothing at y = K (Eqs. 10–11)', () => {
    expect([0, 1, 2, 3].map((y) => computeUse(inst, y))).toEqual([3500, 2500, 500, 0]);
    expect([0, 1, 2, 3].map((y) => bandwidthUse(inst, y))).toEqual([200, 100, 40, 0]);
  });

  it('candidate splits: gain-sorted, dominated and useless ones dropped, K last', () => {
    const c = actorCosts(inst, resourceTable(inst), actor);
    // all three splits gain and each is cheaper than the better ones: 0 (2.05), 1 (1.65), 2 (0.15), K
    expect(Array.from(c.options)).toEqual([0, 1, 2, 3]);
    const slowLink = actorCosts(inst, resourceTable(inst), { flops: 1000, linkBytesPerSec: 10 });
    // tr = 10: T(0) = 0.35 + 11 = 11.35 > 3.5, T(1) = 1.25 + 6 > 3.5, T(2) = 3.05 + 3 > 3.5: stay local
    expect(Array.from(slowLink.options)).toEqual([3]);
  });

  it('evaluates objective, reduction and the budgets of an assignment', () => {
    const two: PartitionInstance = { ...inst, actors: [actor, { id: 'b', flops: 1000, linkBytesPerSec: 100 }] };
    const ok = evaluateAssignment(two, [1, 2]); // compute 2500 + 500 = 3000 <= 3000, bandwidth 100 + 40 <= 250
    expect(ok.feasible).toBe(true);
    expect(ok.objective).toBeCloseTo(1.85 + 3.35, 12);
    expect(ok.latencyReduction).toBeCloseTo(1.65 + 0.15, 12);
    const bad = evaluateAssignment(two, [0, 2]); // compute 3500 + 500 > 3000
    expect(bad.feasible).toBe(false);
    expect(bad.violations.join()).toMatch(/computeBudget/);
    const bw = evaluateAssignment({ ...two, edge: { ...two.edge, computeBudget: 1e9 } }, [0, 1]); // 200 + 100 > 250
    expect(bw.violations.join()).toMatch(/bandwidthBudget/);
    expect(evaluateAssignment(two, [4, 3]).violations.join()).toMatch(/0\.\.3/);
  });
});

describe('instance validation', () => {
  const good = JSON.parse(JSON.stringify(inst));
  it('accepts a valid instance', () => {
    expect(parseInstance(good).layers).toHaveLength(3);
  });
  it('names the field of negative sizes, missing fields and K = 0', () => {
    expect(() => parseInstance({ ...good, layers: [{ name: 'x', flops: -1, outBytes: 4 }] })).toThrow(/layers\[0\]\.flops/);
    const { edge: _e, ...noEdge } = good;
    expect(() => parseInstance(noEdge)).toThrow(/edge: missing required field/);
    expect(() => parseInstance({ ...good, layers: [] })).toThrow(/layers: .*K >= 1/);
    expect(() => parseInstance({ ...good, actors: [{ id: 'a', flops: 1, linkBytesPerSec: 0 }] })).toThrow(/actors\[0\]\.linkBytesPerSec/);
    expect(() => parseInstance({ ...good, actors: [good.actors[0], good.actors[0]] })).toThrow(/duplicate actor id/);
  });
});

describe('network layer tables', () => {
  it('IMPALA shallow: 2×MACs and 4×floats by hand', () => {
    const n = impalaShallowNetwork(18);
    expect(n.inputBytes).toBe(84 * 84 * 4);
    // conv1 20×20×16 outputs, 8·8·4 MACs each; conv2 9×9×32 outputs, 4·4·16 MACs each; FC 2592→256,
    // and the heads (256 → 18 logits + 1 value) folded into layer K as src/model does
    expect(n.layers.map((l) => l.flops)).toEqual([2 * 400 * 16 * 256, 2 * 81 * 32 * 256, 2 * 2592 * 256 + 2 * 256 * 19]);
    expect(n.layers.map((l) => l.outBytes)).toEqual([4 * 6400, 4 * 2592, 4 * 256]);
  });
  it('MinAtar and IMPALA deep shapes', () => {
    expect(minatarNetwork(4, 6).layers.map((l) => l.outBytes)).toEqual([4 * 8 * 8 * 16, 4 * 128]);
    // MinAtar: conv 8·8·16 outputs of 3·3·4 MACs; FC 1024→128 plus heads 128→(6+1)
    expect(minatarNetwork(4, 6).layers.map((l) => l.flops)).toEqual([2 * 64 * 16 * 36, 2 * 1024 * 128 + 2 * 128 * 7]);
    const deep = impalaDeepNetwork();
    // per stack: conv+pool, residual block 1, residual block 2; then FC
    expect(deep.layers).toHaveLength(10);
    expect(deep.layers[0].outBytes).toBe(4 * 42 * 42 * 16);
    expect(deep.layers[8].outBytes).toBe(4 * 11 * 11 * 32);
    expect(deep.layers[9].outBytes).toBe(4 * 256);
  });
  it('the example configs match the network tables and validate', () => {
    for (const [file, net] of [
      ['configs/partition/minatar-5actors.json', minatarNetwork()],
      ['configs/partition/impala-shallow-8actors.json', impalaShallowNetwork()],
    ] as const) {
      const i = parseInstance(JSON.parse(readFileSync(file, 'utf8')), file);
      expect(i.layers).toEqual(net.layers);
      expect(i.inputBytes).toBe(net.inputBytes);
    }
  });
});
