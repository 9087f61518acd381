import { describe, expect, it } from 'vitest';
import {
  ALGORITHMS,
  actorCosts,
  resourceTable,
  DefpPartitioner,
  computeUse,
  bandwidthUse,
  drawActors,
  edgeFor,
  evaluateAssignment,
  impalaDeepNetwork,
  makeInstance,
  NETWORKS,
  solveBruteForce,
  solvePartition,
  type PartitionInstance,
} from '../src/partition/index.js';
import { Rng } from '../src/util/rng.js';

/**
 * Random instance where splitting pays for most actors: K layers of 10–100 MFLOPs with outputs of
 * 1–100 KB, slow devices (1–20 GFLOP/s) on 5–100 MB/s links, budgets covering `share` of full offload.
 */
function tinyInstance(seed: number, K: number, n: number, share: number): PartitionInstance {
  const rng = new Rng(seed);
  const logU = (lo: number, hi: number) => lo * Math.pow(hi / lo, rng.random());
  const layers = Array.from({ length: K }, (_, k) => ({ name: `l${k + 1}`, flops: Math.round(logU(1e7, 1e8)), outBytes: Math.round(logU(1e3, 1e5)) }));
  const net = { name: 'tiny', inputBytes: 30_000, layers };
  const actors = Array.from({ length: n }, (_, i) => ({ id: i, flops: logU(1e9, 2e10), linkBytesPerSec: logU(5e6, 1e8) }));
  return makeInstance(net, edgeFor(net, n, { computeShare: share, bandwidthShare: share }), actors);
}

describe('every solver returns a feasible assignment', () => {
  it.each([1, 2, 3, 4, 5, 6])('random instance seed %i', async (seed) => {
    const inst = tinyInstance(seed, 6, 30, [0.05, 0.2, 0.5][seed % 3]);
    for (const alg of ALGORITHMS) {
      // a time-limited MILP returns its best solution so far, which must be feasible too
      const r = await solvePartition(inst, alg, { milp: { timeLimitSec: 3 } });
      expect(r.feasible, `${alg}: ${r.violations.join('; ')}`).toBe(true);
      expect(r.assignment).toHaveLength(30);
      expect(r.latencyReduction).toBeGreaterThanOrEqual(0);
    }
  });

  it('a zero budget keeps everyone local', async () => {
    const inst = tinyInstance(9, 4, 10, 0);
    for (const alg of ALGORITHMS) expect((await solvePartition(inst, alg)).assignment).toEqual(new Array(10).fill(4));
  });
});

describe('MILP is exact', () => {
  it('equals brute force on small instances', async () => {
    let contended = 0;
    for (let seed = 0; seed < 12; seed++) {
      const K = 2 + (seed % 3);
      const n = 3 + (seed % 4);
      const inst = tinyInstance(100 + seed, K, n, [0.15, 0.35, 0.6][seed % 3]);
      const bf = solveBruteForce(inst);
      const milp = await solvePartition(inst, 'milp');
      expect(milp.details.optimal).toBe(true);
      expect(milp.latencyReduction).toBeCloseTo(bf.latencyReduction, 12);
      // no other solver beats the optimum
      for (const alg of ['defp', 'igreedy', 'ogreedy'] as const) {
        expect((await solvePartition(inst, alg)).latencyReduction).toBeLessThanOrEqual(bf.latencyReduction * (1 + 1e-12));
      }
      const res = resourceTable(inst);
      const unconstrained = inst.actors.reduce((s, a) => s + Math.max(...actorCosts(inst, res, a).gain), 0);
      if (bf.latencyReduction < unconstrained - 1e-12) contended++;
    }
    // the check means something only if budgets actually bind on most instances
    expect(contended).toBeGreaterThanOrEqual(6);
  });
});

describe('DEFP quality (stated gap: within 5% of MILP on the simulator settings)', () => {
  it.each([
    [50, 0.1],
    [100, 0.3],
    [200, 0.6],
  ])('impala-deep, %i actors, budgets at share %f', async (n, share) => {
    const net = impalaDeepNetwork();
    const inst = makeInstance(net, edgeFor(net, n, { computeShare: share, bandwidthShare: share }), drawActors(n, new Rng(n)));
    const milp = await solvePartition(inst, 'milp');
    const defp = await solvePartition(inst, 'defp');
    const igreedy = await solvePartition(inst, 'igreedy');
    expect(milp.details.optimal).toBe(true);
    expect(defp.latencyReduction).toBeGreaterThanOrEqual(0.95 * milp.latencyReduction);
    // the pairings are what closes the gap: one-shot best responses stay far from it
    expect(igreedy.latencyReduction).toBeLessThan(defp.latencyReduction);
  });

  it('synthetic-k12 (simulator network), elastic, 100 actors: measured 99.8% of MILP', async () => {
    const net = NETWORKS['synthetic-k12']();
    const inst = makeInstance(net, edgeFor(net, 100, { computeShare: 0.3, bandwidthShare: 0.3 }), drawActors(100, new Rng(1)));
    const milp = await solvePartition(inst, 'milp');
    const defp = await solvePartition(inst, 'defp');
    expect(milp.details.optimal).toBe(true);
    expect(defp.latencyReduction).toBeGreaterThanOrEqual(0.95 * milp.latencyReduction);
  });

  it('improvement passes never lower the latency reduction', async () => {
    const inst = tinyInstance(7, 8, 120, 0.2);
    let last = -Infinity;
    for (const passes of [0, 1, 2, 4, 8]) {
      const r = await solvePartition(inst, 'defp', { defpPasses: passes });
      expect(r.latencyReduction).toBeGreaterThanOrEqual(last - 1e-15);
      last = r.latencyReduction;
    }
  });
});

describe('DefpPartitioner: incremental join / decremental leave', () => {
  // Budget for exactly one full offload (y = 0) of the IMPALA-deep net.
  const net = impalaDeepNetwork();
  const system = { inputBytes: net.inputBytes, layers: net.layers, edge: edgeFor(net, 1, { computeShare: 1, bandwidthShare: 1 }) };
  const K = net.layers.length;
  const slow = { id: 'slow-pi', flops: 4e9, linkBytesPerSec: 50e6 };
  const fast = { id: 'laptop', flops: 5e10, linkBytesPerSec: 50e6 };

  const heldBy = (d: DefpPartitioner) => {
    let c = 0;
    let b = 0;
    for (const y of d.assignment().values()) {
      c += computeUse(system, y);
      b += bandwidthUse(system, y);
    }
    return { compute: c, bandwidth: b };
  };

  it('join hands the budget to the pair member that gains most; leave gives it back', () => {
    const d = new DefpPartitioner(system);
    expect(d.join(fast)).toEqual([{ id: 'laptop', from: null, to: 0 }]);
    // the Pi gains far more from offloading (27 ms local vs 2 ms for the laptop): the pair swaps
    const changes = d.join(slow);
    expect(changes).toContainEqual({ id: 'laptop', from: 0, to: K });
    expect(changes).toContainEqual({ id: 'slow-pi', from: null, to: 0 });
    expect(d.usage()).toEqual(heldBy(d));
    // the Pi leaves: its resources return and the laptop takes them again
    const back = d.leave('slow-pi');
    expect(back).toContainEqual({ id: 'slow-pi', from: 0, to: null });
    expect(back).toContainEqual({ id: 'laptop', from: K, to: 0 });
    expect(d.usage()).toEqual(heldBy(d));
    expect(d.leave('laptop')).toEqual([{ id: 'laptop', from: 0, to: null }]);
    expect(d.usage()).toEqual({ compute: 0, bandwidth: 0 });
  });

  it('rejects duplicate joins and unknown leaves with a clear error', () => {
    const d = new DefpPartitioner(system);
    d.join(fast);
    expect(() => d.join(fast)).toThrow(/already joined/);
    expect(() => d.leave('nope')).toThrow(/not present.*laptop/);
  });

  it('a churn of arrivals and departures stays feasible and consistent', () => {
    const edge = edgeFor(net, 20, { computeShare: 0.3, bandwidthShare: 0.3 });
    const sys = { inputBytes: net.inputBytes, layers: net.layers, edge };
    const pool = drawActors(60, new Rng(3));
    const d = new DefpPartitioner(sys);
    const rng = new Rng(4);
    const present = new Map<string, (typeof pool)[number]>();
    for (let step = 0; step < 120; step++) {
      const candidates = pool.filter((a) => !present.has(String(a.id)));
      if (present.size > 0 && (rng.random() < 0.4 || candidates.length === 0)) {
        const ids = [...present.keys()];
        const id = ids[rng.int(ids.length)];
        d.leave(id);
        present.delete(id);
      } else {
        const a = candidates[rng.int(candidates.length)];
        d.join(a);
        present.set(String(a.id), a);
      }
      const actors = [...present.values()];
      const inst = { ...sys, actors };
      const ev = evaluateAssignment(
        inst,
        actors.map((a) => d.splitOf(a.id)!),
      );
      expect(ev.feasible, ev.violations.join('; ')).toBe(true);
      expect(d.usage().compute).toBeCloseTo(ev.computeUsed, 0);
      expect(d.latencyReduction()).toBeCloseTo(ev.latencyReduction, 12);
    }
  });
});
