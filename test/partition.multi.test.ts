import { describe, expect, it } from 'vitest';
import {
  countViolations,
  energy,
  evaluateMulti,
  parseMultiInstance,
  responseTime,
  shieldActions,
  solveMultiBruteForce,
  solveMultiDefp,
  solveMultiGreedy,
  solveMultiMilp,
  strategies,
  type MultiInstance,
  type Strategy,
} from '../src/partition/multi/index.js';
import { Rng } from '../src/util/rng.js';

const uniform = (seed: number) => {
  const rng = new Rng(seed);
  return () => rng.random();
};

/** Two layers (c = 100, 200 FLOPs; b = 50, 10 B), b_0 = 400 B; one server of 1000 FLOP/s, R_c = 250, B = 1000 B/s; links 500 B/s; Q = 4. */
const tiny = (actors = 1): MultiInstance =>
  parseMultiInstance({
    inputBytes: 400,
    layers: [
      { name: 'l1', flops: 100, outBytes: 50 },
      { name: 'l2', flops: 200, outBytes: 10 },
    ],
    servers: [{ id: 's0', flops: 1000, computeBudget: 250, ingressBytesPerSec: 1000 }],
    actors: Array.from({ length: actors }, (_, i) => ({ id: i, flops: 100, links: [500] })),
  });

describe('multi-server cost model (by hand)', () => {
  const inst = tiny();
  const a = inst.actors[0];
  it('local: T = C_d(K)/f_d = 300/100 = 3 s; E = 5 W · 3 s = 15 J', () => {
    expect(responseTime(inst, a, { server: -1, y: 2, q: 0 })).toBeCloseTo(3, 12);
    expect(energy(inst, a, { server: -1, y: 2, q: 0 })).toBeCloseTo(15, 12);
  });
  it('y = 1, q = 4 (the whole link): 100/100 + 200/1000 + (50 + 10)/500 = 1 + 0.2 + 0.12 = 1.32 s; E = 5·1 + 1·0.12', () => {
    expect(responseTime(inst, a, { server: 0, y: 1, q: 4 })).toBeCloseTo(1.32, 12);
    expect(energy(inst, a, { server: 0, y: 1, q: 4 })).toBeCloseTo(5.12, 12);
  });
  it('y = 1, q = 1: a quarter of the link, 125 B/s: 1 + 0.2 + 60/125 = 1.68 s', () => {
    expect(responseTime(inst, a, { server: 0, y: 1, q: 1 })).toBeCloseTo(1.68, 12);
  });
  it('y = 0 breaks R_c (300 > 250 FLOPs): the evaluation says which server and why', () => {
    const ev = evaluateMulti(inst, [{ server: 0, y: 0, q: 4 }]);
    expect(ev.feasible).toBe(false);
    expect(ev.violations).toEqual(['server s0: compute 300 FLOPs per round exceeds its computeBudget 250']);
    expect(ev.objective).toBeCloseTo(0.3 + 410 / 500, 12);
  });
  it('rejects bad strategies and instances naming the field', () => {
    expect(() => responseTime(inst, a, { server: 0, y: 1, q: 5 })).toThrow(/share level q must be an integer in 1\.\.4/);
    expect(() => responseTime(inst, a, { server: 0, y: 2, q: 1 })).toThrow(/local strategy/);
    expect(() => parseMultiInstance({ ...tiny(), actors: [{ id: 0, flops: 1, links: [1, 2] }] })).toThrow(/actors\[0\]\.links: has 2 link rates for 1 servers/);
    expect(() => parseMultiInstance({ ...tiny(), servers: [] })).toThrow(/servers: servers must list at least one inference server/);
  });
  it('lists local then every (server, y < K, q)', () => {
    expect(strategies(inst)).toHaveLength(1 + 1 * 2 * 4);
  });
});

/** tiny() with a 100 B/s link and one codec after layer 1: 10 B per step, 20 encoder and 10 decoder FLOPs. */
const coded = (actors = 1, extra: Record<string, unknown> = {}): MultiInstance =>
  parseMultiInstance({
    ...tiny(actors),
    layers: [
      { name: 'l1', flops: 100, outBytes: 50, codecs: [{ id: 'q8', bytes: 10, deviceFlops: 20, edgeFlops: 10, lossy: true }] },
      { name: 'l2', flops: 200, outBytes: 10 },
    ],
    actors: Array.from({ length: actors }, (_, i) => ({ id: i, flops: 100, links: [100] })),
    ...extra,
  });

describe('multi-server strategies with feature codecs (by hand)', () => {
  const inst = coded();
  const a = inst.actors[0];
  it('y = 1 float32 at the whole 100 B/s link: 100/100 + 200/1000 + (50 + 10)/100 = 1.8 s', () => {
    expect(responseTime(inst, a, { server: 0, y: 1, q: 4 })).toBeCloseTo(1.8, 12);
  });
  it('y = 1 with q8: (100 + 20)/100 + (200 + 10)/1000 + (10 + 10)/100 = 1.2 + 0.21 + 0.2 = 1.61 s; E = 5·1.2 + 1·0.2 = 6.2 J', () => {
    expect(responseTime(inst, a, { server: 0, y: 1, q: 4, codec: 'q8' })).toBeCloseTo(1.61, 12);
    expect(energy(inst, a, { server: 0, y: 1, q: 4, codec: 'q8' })).toBeCloseTo(6.2, 12);
    expect(evaluateMulti(inst, [{ server: 0, y: 1, q: 4, codec: 'q8' }]).compute).toEqual([210]); // the decoder runs on the server
  });
  it('lists local, then per server every (y, codec) with float32 first, each at every share level', () => {
    expect(strategies(inst).map((s) => `${s.y}/${s.codec ?? 'f32'}/${s.q}`)).toEqual([
      '2/f32/0',
      ...['0/f32', '1/f32', '1/q8'].flatMap((k) => [1, 2, 3, 4].map((q) => `${k}/${q}`)),
    ]);
    // A learner that forbids lossy codecs offers float32 only; `plain: false` offers the codec only.
    expect(strategies(coded(1, { allowLossyCodecs: false }))).toHaveLength(1 + 2 * 4);
    const only = parseMultiInstance({ ...inst, layers: [{ ...inst.layers[0], plain: false }, inst.layers[1]] });
    expect(
      strategies(only)
        .filter((s) => s.y === 1)
        .every((s) => s.codec === 'q8'),
    ).toBe(true);
  });
  it('rejects a codec the split does not offer, and a split that offers nothing, naming the field', () => {
    expect(() => responseTime(inst, a, { server: 0, y: 0, q: 1, codec: 'q8' })).toThrow(/codec "q8" is not offered at split point 0 \(offered: f32\)/);
    expect(() => responseTime(inst, a, { server: -1, y: 2, q: 0, codec: 'q8' })).toThrow(/local strategy .* no codec/);
    expect(() => parseMultiInstance({ ...tiny(), layers: [{ name: 'l1', flops: 1, outBytes: 5, plain: false }, tiny().layers[1]] })).toThrow(
      /layers\[0\]: plain is false but no codecs are listed/,
    );
  });
  it('every planner picks the codec where it pays: one actor fits (2 × 210 > 250 FLOPs), Σ T = 1.61 + 3', async () => {
    const two = coded(2);
    const want = 1.61 + 3;
    expect(evaluateMulti(two, solveMultiBruteForce(two)).objective).toBeCloseTo(want, 12);
    const milp = await solveMultiMilp(two);
    expect(evaluateMulti(two, milp.assignment).objective).toBeCloseTo(want, 12);
    expect(milp.assignment.filter((s) => s.codec === 'q8')).toHaveLength(1);
    for (const s of [solveMultiGreedy(two), solveMultiDefp(two).assignment]) expect(evaluateMulti(two, s).objective).toBeCloseTo(want, 12);
    // Forbidding lossy codecs: the best is float32 at y = 1 (1.8 s).
    expect(evaluateMulti(coded(2, { allowLossyCodecs: false }), solveMultiBruteForce(coded(2, { allowLossyCodecs: false }))).objective).toBeCloseTo(
      1.8 + 3,
      12,
    );
  });
});

describe('multi-server planners', () => {
  it('two actors, room for one split: the optimum puts one at y = 1 and one local (Σ T = 1.32 + 3)', async () => {
    const inst = tiny(2);
    const best = solveMultiBruteForce(inst);
    expect(evaluateMulti(inst, best).objective).toBeCloseTo(4.32, 12);
    const milp = await solveMultiMilp(inst);
    expect(milp.optimal).toBe(true);
    expect(evaluateMulti(inst, milp.assignment).objective).toBeCloseTo(4.32, 12);
    for (const s of [solveMultiGreedy(inst), solveMultiDefp(inst).assignment]) expect(evaluateMulti(inst, s).objective).toBeCloseTo(4.32, 12);
  });

  const random = (seed: number, actors: number, servers: number, withCodecs = seed % 2 === 0): MultiInstance => {
    const r = uniform(seed);
    return parseMultiInstance({
      inputBytes: 1000 + 4000 * r(),
      layers: Array.from({ length: 3 }, (_, k) => {
        const outBytes = 200 + 3000 * r();
        const codec = { id: 'q4', bytes: outBytes * (0.05 + 0.3 * r()), deviceFlops: 1e5 * r(), edgeFlops: 1e5 * r(), lossy: true };
        return { name: `l${k}`, flops: 1e6 * (0.2 + r()), outBytes, ...(withCodecs && k < 2 ? { codecs: [codec] } : {}) };
      }),
      servers: Array.from({ length: servers }, (_, s) => ({
        id: `s${s}`,
        flops: 2e7 * (0.5 + r()),
        computeBudget: 3e6 * (0.3 + r()),
        ingressBytesPerSec: 2e4 * (0.5 + r()),
      })),
      actors: Array.from({ length: actors }, (_, i) => ({
        id: i,
        flops: 1e6 * (0.5 + 3 * r()),
        links: Array.from({ length: servers }, () => 5e3 + 2e4 * r()),
      })),
      shareLevels: 2,
    });
  };

  it('MILP equals the brute force on 30 random small instances (half with a codec at two splits); greedy and DEFP are feasible and never beat it', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const inst = random(seed, 3, 2);
      const exact = evaluateMulti(inst, solveMultiBruteForce(inst));
      const milp = await solveMultiMilp(inst);
      const ev = evaluateMulti(inst, milp.assignment);
      expect(ev.feasible).toBe(true);
      expect(ev.objective).toBeCloseTo(exact.objective, 9);
      for (const s of [solveMultiGreedy(inst), solveMultiDefp(inst).assignment]) {
        const e = evaluateMulti(inst, s);
        expect(e.feasible).toBe(true);
        expect(e.objective).toBeGreaterThanOrEqual(exact.objective - 1e-9);
      }
    }
  });

  it('DEFP stops at an equilibrium: no actor has a better strategy (split, codec, share) that fits', () => {
    const inst = random(8, 12, 3);
    const r = solveMultiDefp(inst);
    expect(r.converged).toBe(true);
    const base = evaluateMulti(inst, r.assignment).objective;
    for (let i = 0; i < inst.actors.length; i++)
      for (const s of strategies(inst)) {
        const alt = r.assignment.slice();
        alt[i] = s;
        const ev = evaluateMulti(inst, alt);
        if (ev.feasible) expect(ev.objective).toBeGreaterThanOrEqual(base - 1e-9);
      }
  });
});

describe('SROLE-style shield', () => {
  it('everyone asking for the fastest strategy on one server collides; the shield resolves it with no violation', () => {
    const inst = tiny(3);
    const greedyAsk: Strategy[] = inst.actors.map(() => ({ server: 0, y: 1, q: 4 }));
    expect(countViolations(inst, greedyAsk)).toBe(2); // compute 600 > 250 FLOPs and ingress 1500 > 1000 B/s
    const { assignment, substituted, sentLocal } = shieldActions(inst, greedyAsk);
    expect(countViolations(inst, assignment)).toBe(0);
    expect(assignment[0]).toEqual({ server: 0, y: 1, q: 4 }); // ties by gain: the first actor is granted
    expect(substituted).toBe(2);
    expect(sentLocal).toBe(2); // no other strategy on s0 fits next to a y = 1 request (200 + 200 > 250)
  });

  it('property: over 300 random instances and random proposals the shielded joint action never exceeds a budget', () => {
    const r = uniform(99);
    let unshielded = 0;
    for (let trial = 0; trial < 300; trial++) {
      const servers = 1 + Math.floor(r() * 3);
      const K = 1 + Math.floor(r() * 4);
      const inst = parseMultiInstance({
        inputBytes: 500 + 5000 * r(),
        layers: Array.from({ length: K }, (_, k) => {
          const outBytes = 100 + 4000 * r();
          // Codecs at half the splits (never after the last layer: y = K sends nothing).
          const codecs = k < K - 1 && r() < 0.5 ? [{ id: 'ae', bytes: 0.1 * outBytes, deviceFlops: 1e5 * r(), edgeFlops: 1e6 * r(), lossy: true }] : [];
          return { name: `l${k}`, flops: 1e6 * r(), outBytes, codecs };
        }),
        servers: Array.from({ length: servers }, (_, s) => ({
          id: `s${s}`,
          flops: 1e7 * (0.2 + r()),
          computeBudget: 4e6 * r(),
          ingressBytesPerSec: 1e4 + 1e5 * r(),
        })),
        actors: Array.from({ length: 1 + Math.floor(r() * 20) }, (_, i) => ({
          id: i,
          flops: 1e6 * (0.1 + r()),
          links: Array.from({ length: servers }, () => 1e3 + 1e5 * r()),
        })),
        shareLevels: 1 + Math.floor(r() * 8),
      });
      const all = strategies(inst);
      const proposals = inst.actors.map(() => all[Math.floor(r() * all.length)]);
      unshielded += countViolations(inst, proposals) > 0 ? 1 : 0;
      const shielded = shieldActions(inst, proposals).assignment;
      expect(evaluateMulti(inst, shielded).violations).toEqual([]);
    }
    expect(unshielded).toBeGreaterThan(50); // the property is not vacuous: most random joint actions collide
  });
});
