import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceTask, type SiteBlock } from '../src/coop/plan.js';
import { rowCount, rowsFromCuts, sliceLayer, splitRows } from '../src/coop/slicing.js';
import { fcLayout } from '../src/coop/fc-modes.js';
import {
  averageScore,
  blockExtent,
  bestSplit,
  deviceCost,
  feasibleModes,
  parseSiteInstance,
  rollout,
  siteLayers,
  siteModel,
  solveExhaustive,
  solveLcpss,
  solveMls,
  solveOsds,
  solveMlsLive,
  solveSingle,
  solveSls,
  type SiteInstance,
} from '../src/partition/coop/index.js';
import { blockCost, planSeconds, type SiteModel } from '../src/partition/coop/site-cost.js';
// the same R_s^r solveLcpss draws for seed 0
import { randomSplitDecisions as randomFractions } from '../src/partition/coop/lcpss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Spec = 'minatar' | 'impala-shallow' | 'impala-deep' | 'impala-shallow-fc2';
const SHAPES: Record<Spec, [number, number, number]> = {
  minatar: [10, 10, 4],
  'impala-shallow': [84, 84, 4],
  'impala-deep': [84, 84, 4],
  'impala-shallow-fc2': [84, 84, 4],
};

/**
 * Test profiles of a device class: FLOPs of each slice / rate + a fixed per-layer overhead (a
 * stand-in for `coknight profile --site`, which measures these tables for real).
 */
function profiles(spec: Spec, rate: number, overhead: number): SiteInstance['profiles'][string] {
  return siteLayers(spec, SHAPES[spec]).map((def) => {
    if (def.inShape.length === 3 && def.ops.every((o) => o.type !== 'dense')) {
      return { rows: Array.from({ length: def.outShape[0] }, (_, h) => sliceLayer(def, [0, h + 1]).flops / rate + overhead) };
    }
    const { features, units } = fcLayout(def);
    const perRow = features / def.inShape[0];
    return {
      dataRows: Array.from({ length: def.inShape[0] }, (_, h) => (2 * (h + 1) * perRow * units) / rate + overhead),
      units: [1, units / 4, units / 2, units].map((u) => [u, (2 * features * u) / rate + overhead] as [number, number]),
    };
  });
}

function instance(spec: Spec, devices: { cls: string; link: number }[], rates: Record<string, number> = { fast: 4e9, slow: 1e9 }, gateway?: number): SiteModel {
  const inst = parseSiteInstance({
    ...(gateway ? { gatewayBytesPerSec: gateway } : {}),
    kind: 'site',
    network: spec,
    inputShape: SHAPES[spec],
    batch: 1,
    profiles: Object.fromEntries(Object.entries(rates).map(([c, r]) => [c, profiles(spec, r, 1e-5)])),
    devices: devices.map((d, i) => ({ id: `d${i}`, class: d.cls, linkBytesPerSec: d.link, latencySeconds: 1e-4 })),
  });
  return siteModel(inst);
}

describe('site cost model by hand', () => {
  it('minatar conv rows 0..3 of 8 on a 1 GFLOP/s device over 1 MB/s', () => {
    const m = instance('minatar', [{ cls: 'slow', link: 1e6 }], { slow: 1e9 });
    const b: SiteBlock = { from: 1, to: 1, mode: 'slice', parts: [[0, 4]] };
    const c = deviceCost(m, b, 0);
    // input rows 0..5 (3×3 valid) of 10×4 floats; output 4 rows of 8×16 floats
    expect(c.inBytes).toBe(4 * 6 * 10 * 4);
    expect(c.outBytes).toBe(4 * 4 * 8 * 16);
    const flops = 2 * 4 * 8 * 16 * 3 * 3 * 4;
    expect(c.compute).toBeCloseTo(flops / 1e9 + 1e-5, 12);
    expect(c.seconds).toBeCloseTo(960 / 1e6 + c.compute + 2048 / 1e6 + 2e-4, 12);
  });

  it('the four block cases', () => {
    const defs = siteLayers('impala-shallow', SHAPES['impala-shallow']);
    expect(feasibleModes(defs, 1, 2)).toEqual(['slice']);
    expect(feasibleModes(defs, 3, 3)).toEqual(['data', 'model']);
    expect(feasibleModes(defs, 1, 3)).toEqual(['data']);
    expect(blockExtent(defs, 2, 3, 'data')).toBe(9);
    expect(blockExtent(defs, 3, 3, 'model')).toBe(256);
  });

  it('hybrid over fc, fc2 (impala-shallow-fc2): units of fc by interpolation + the same rows of fc2 by table, all 2592 inputs in, 256 partial sums out', () => {
    const m = instance('impala-shallow-fc2', [{ cls: 'slow', link: 1e6 }], { slow: 1e9 });
    expect(feasibleModes(m.defs, 3, 4)).toEqual(['hybrid']);
    expect(feasibleModes(m.defs, 2, 4)).toEqual([]);
    expect(blockExtent(m.defs, 3, 4, 'hybrid')).toBe(256);
    const c = deviceCost(m, { from: 3, to: 4, mode: 'hybrid', parts: [[0, 64]] }, 0);
    expect(c.inBytes).toBe(4 * 2592);
    expect(c.outBytes).toBe(4 * 256);
    // fc units 64 is a profile point (256/4): 2·2592·64/1e9 + 1e-5; fc2 data over 64 rows: 2·64·256/1e9 + 1e-5
    expect(c.compute).toBeCloseTo((2 * 2592 * 64) / 1e9 + 1e-5 + (2 * 64 * 256) / 1e9 + 1e-5, 12);
    expect(c.seconds).toBeCloseTo((4 * 2592) / 1e6 + c.compute + (4 * 256) / 1e6 + 2e-4, 12);
  });

  it('site instances are checked naming the field', () => {
    const base = {
      kind: 'site',
      network: 'minatar',
      inputShape: [10, 10, 4],
      profiles: { a: profiles('minatar', 1e9, 0) },
      devices: [{ id: 'x', class: 'a', linkBytesPerSec: 1e6 }],
    };
    expect(() => parseSiteInstance({ ...base, network: 'vgg' })).toThrow(/network: network must be one of/);
    expect(() => parseSiteInstance({ ...base, devices: [{ id: 'x', class: 'b', linkBytesPerSec: 1e6 }] })).toThrow(/devices.0.class: no profile for class "b"/);
    expect(() => parseSiteInstance({ ...base, devices: [{ id: 'x', class: 'a', linkBytesPerSec: -1 }] })).toThrow(/devices.0.linkBytesPerSec/);
  });
});

/** Independent brute force of MLS's problem: any partition, any k fastest devices, any mode, equal shares. */
function bruteForceEqualShares(m: SiteModel): number {
  const D = m.inst.devices.length;
  const L = m.y;
  const order = m.inst.devices
    .map((_, d) => d)
    .sort((a, b) => {
      const t = (d: number) => m.inst.profiles[m.inst.devices[d].class].reduce((s, l) => s + (l.rows?.at(-1) ?? l.dataRows?.at(-1) ?? 0), 0);
      return t(a) - t(b) || a - b;
    });
  let best = Infinity;
  for (let k = 1; k <= D; k++) {
    const shares = m.inst.devices.map((_, d) => (order.slice(0, k).includes(d) ? 1 : 0));
    const masks = k === 1 ? [(1 << (L - 1)) - 1] : Array.from({ length: 1 << (L - 1) }, (_, i) => i); // k = 1: eq. (2) runs layer by layer
    for (const mask of masks) {
      let total = 0;
      let start = 1;
      for (let l = 1; l <= L; l++) {
        if (l < L && !(mask & (1 << (l - 1)))) continue;
        const costs = feasibleModes(m.defs, start, l).map(
          (mode) => blockCost(m, { from: start, to: l, mode, parts: splitRows(blockExtent(m.defs, start, l, mode), shares) }).seconds,
        );
        total += costs.length > 0 ? Math.min(...costs) : Infinity;
        start = l + 1;
      }
      best = Math.min(best, total);
    }
  }
  return best;
}

describe('MLS (CoopAI eqs. 1–3) against brute force', () => {
  for (const [spec, devices] of [
    ['minatar', 3],
    ['impala-shallow', 4],
    ['impala-deep', 3],
    ['impala-shallow-fc2', 3],
  ] as const) {
    it(`${spec}, ${devices} identical devices: MLS = brute force, ≤ SLS and single`, () => {
      const m = instance(
        spec,
        Array.from({ length: devices }, () => ({ cls: 'slow', link: 2e6 })),
      );
      const mls = solveMls(m);
      expect(mls.seconds).toBeCloseTo(bruteForceEqualShares(m), 12);
      expect(planSeconds(m, mls.plan)).toBeCloseTo(mls.seconds, 12);
      expect(mls.seconds).toBeLessThanOrEqual(solveSls(m).seconds + 1e-12);
      expect(mls.seconds).toBeLessThanOrEqual(solveSingle(m).seconds + 1e-12);
    });
  }

  it('live MLS on one device: one block instead of eq. 2 layer by layer (a round per layer), and MLS itself where it is faster', () => {
    const one = instance('impala-deep', [{ cls: 'slow', link: 2e6 }]);
    const mls = solveMls(one);
    expect(mls.plan.blocks.length).toBe(10); // T_i^1 = T_(i-1)^1 + e_(i,i)^1: every layer its own block
    const live = solveMlsLive(one);
    expect(live.plan.blocks).toHaveLength(1);
    expect(live.seconds).toBeLessThan(mls.seconds);
    expect(planSeconds(one, live.plan)).toBeCloseTo(live.seconds, 12);
    const three = instance(
      'impala-deep',
      Array.from({ length: 3 }, () => ({ cls: 'slow', link: 2e6 })),
    );
    expect(solveMlsLive(three).seconds).toBe(Math.min(solveMls(three).seconds, solveSingle(three).seconds));
  });

  it('a fast shared gateway (G/k each, eq. 3) makes MLS use more devices than a slow one', () => {
    const slow = solveMls(
      instance(
        'impala-shallow',
        Array.from({ length: 6 }, () => ({ cls: 'slow', link: 1e9 })),
        undefined,
        2e5,
      ),
    );
    const fast = solveMls(
      instance(
        'impala-shallow',
        Array.from({ length: 6 }, () => ({ cls: 'slow', link: 1e9 })),
        undefined,
        1e9,
      ),
    );
    expect(fast.devicesUsed).toBeGreaterThan(slow.devicesUsed);
  });
});

describe('exhaustive optimum', () => {
  it('minatar on 3 mixed devices: no plan of MLS, SLS or single beats it, and it tiles every block', () => {
    const m = instance('minatar', [
      { cls: 'fast', link: 1e7 },
      { cls: 'slow', link: 1e7 },
      { cls: 'slow', link: 1e6 },
    ]);
    const opt = solveExhaustive(m);
    for (const s of [solveMls(m), solveSls(m), solveSingle(m)]) expect(opt.seconds).toBeLessThanOrEqual(s.seconds + 1e-12);
    expect(planSeconds(m, opt.plan)).toBeCloseTo(opt.seconds, 12);
    for (const b of opt.plan.blocks) expect(b.parts.reduce((s, p) => s + rowCount(p), 0)).toBe(blockExtent(m.defs, b.from, b.to, b.mode));
  });
});

describe('LC-PSS (DistrEdge Algorithm 1)', () => {
  const m = instance('impala-deep', [
    { cls: 'fast', link: 1e7 },
    { cls: 'slow', link: 1e7 },
    { cls: 'slow', link: 1e7 },
  ]);
  it('α = 1 (transfer only) keeps one volume; α = 0 (operations only) cuts wherever halos cost operations', () => {
    expect(solveLcpss(m, { alpha: 1, randomSplits: 20 }).starts).toEqual([1]);
    const opsOnly = solveLcpss(m, { alpha: 0, randomSplits: 20 });
    expect(opsOnly.starts.length).toBeGreaterThan(3);
  });

  it('the greedy scheme scores no worse than one volume or layer by layer; on IMPALA shallow it is the exhaustive best', () => {
    const r = solveLcpss(m, { randomSplits: 20 });
    const shallow = instance('impala-shallow', [
      { cls: 'fast', link: 1e7 },
      { cls: 'slow', link: 1e7 },
    ]);
    const g = solveLcpss(shallow, { randomSplits: 20 });
    const all = [[1], [1, 2], [1, 3], [1, 2, 3]].map((s) => ({ s, score: scoreOf(shallow, s) }));
    expect(g.score).toBeCloseTo(Math.min(...all.map((a) => a.score)), 12);
    expect(r.score).toBeLessThanOrEqual(scoreOf(m, [1]) + 1e-12);
    expect(r.score).toBeLessThanOrEqual(
      scoreOf(
        m,
        Array.from({ length: m.y }, (_, i) => i + 1),
      ) + 1e-12,
    );
  });
});

function scoreOf(m: SiteModel, starts: number[]): number {
  return averageScore(m, starts, randomFractions(m.inst.devices.length, 20, 0), 0.75);
}

describe('OSDS (DistrEdge Algorithm 2, DDPG)', () => {
  it('2 devices, one 4× faster: within 5% of the exhaustive best split, and better than an equal split', async () => {
    const m = instance('minatar', [
      { cls: 'fast', link: 1e8 },
      { cls: 'slow', link: 1e8 },
    ]);
    const vols = [{ from: 1, to: 2, mode: 'data' as const }];
    const best = bestSplit(m, 1, 2);
    const r = await solveOsds(m, vols, { episodes: 60, seed: 1, hidden: [32, 32] });
    expect(r.seconds).toBeLessThanOrEqual((best?.seconds ?? 0) * 1.05);
    const equal = rollout(m, vols, [[4]]).T;
    expect(r.seconds).toBeLessThan(equal);
    expect(r.plan.blocks[0].parts).toEqual(rowsFromCuts(8, [r.plan.blocks[0].parts[0][1]]));
    expect(deviceTask(m.defs, r.plan.blocks[0], 0).fc?.mode).toBe('data');
  });
});
