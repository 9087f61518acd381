import { describe, expect, it } from 'vitest';
import {
  actorCosts,
  codecOptionsFor,
  DefpPartitioner,
  evaluateAssignment,
  minatarNetwork,
  modelNetworkWithCodecs,
  parseInstance,
  resourceTable,
  runSimulation,
  DEFAULT_SIMULATION,
  solveBruteForce,
  solvePartition,
  strategies,
  strategyTime,
  type PartitionInstance,
} from '../src/partition/index.js';
import { Rng } from '../src/util/rng.js';

// MinAtar net on 10×10×4, 6 actions: layer 1 = conv 16 3×3 → [8, 8, 16] (4096 B, 2·64·16·36 = 73,728
// FLOPs); layer 2 = FC 1024 → 128 + heads (2·1024·128 + 2·128·7 = 263,936 FLOPs, 512 B out).
const net = modelNetworkWithCodecs('minatar', [10, 10, 4], 6, ['f16', 'q8', 'ae4q4', 'ae16q4', 'f32z']);

function instance(edge: Partial<PartitionInstance['edge']>, actors = [{ id: 'pi', flops: 1e6, linkBytesPerSec: 1e4 }]): PartitionInstance {
  return parseInstance({
    inputBytes: net.inputBytes,
    layers: net.layers,
    edge: { flops: 1e8, computeBudget: 1e9, bandwidthBudget: 1e9, delta: 1, ...edge },
    actors,
  });
}

describe('codec table of a model network', () => {
  it('sizes and FLOPs per codec at layer 1; encoders that do not shrink are left out; none on layer K', () => {
    expect(net.layers[0].outBytes).toBe(4096);
    expect(net.layers[0].flops).toBe(73_728);
    expect(net.layers[1].flops).toBe(263_936);
    expect(net.layers[0].codecs).toEqual([
      { id: 'f16', bytes: 2048, deviceFlops: 0, edgeFlops: 0, lossy: true },
      { id: 'q8', bytes: 1024, deviceFlops: 0, edgeFlops: 0, lossy: true },
      { id: 'ae4q4', bytes: 128, deviceFlops: 8192, edgeFlops: 8192, lossy: true },
      { id: 'f32z', bytes: 4096 + 5 + 6, deviceFlops: 0, edgeFlops: 0, lossy: false }, // worst case without a measured ratio
    ]);
    expect(net.layers[1].codecs).toBeUndefined();
    expect(codecOptionsFor([8, 8, 16], ['f32z'], { entropyRatio: { f32z: 0.25 } })[0].bytes).toBe(1024);
    expect(() => codecOptionsFor([8, 8, 16], ['f32z'], { entropyRatio: { f32z: 2 } })).toThrow(/entropyRatio.f32z/);
  });

  it('<id>@<y> pins a codec at one split as a live learner holds it: offered alone there, no float32', () => {
    const pinned = modelNetworkWithCodecs('impala-shallow', [84, 84, 4], 6, ['ae4q4@1']);
    expect(pinned.layers[0]).toMatchObject({ plain: false, codecs: [{ id: 'ae4q4', lossy: true }] });
    expect(pinned.layers[1].codecs).toEqual([]);
    const layers = pinned.layers;
    expect(strategies({ ...instance({}), inputBytes: pinned.inputBytes, layers }).map((s) => `${s.y}:${s.codec}`)).toEqual([
      '0:f32',
      '1:ae4q4',
      '2:f32',
      '3:f32',
    ]);
    expect(() => modelNetworkWithCodecs('impala-shallow', [84, 84, 4], 6, ['ae4q4@3'])).toThrow(/split point 3 is not one of this network's 1..2/);
    expect(() => modelNetworkWithCodecs('minatar', [10, 10, 4], 6, ['ae16q4@1'])).toThrow(/"ae16q4@1" does not fit split point 1 \(output 8×8×16\)/);
  });

  it('strategies: y-major, float32 first, local last; lossy ones dropped when forbidden', () => {
    const list = strategies(instance({}));
    expect(list.map((s) => `${s.y}:${s.codec}`)).toEqual(['0:f32', '1:f32', '1:f16', '1:q8', '1:ae4q4', '1:f32z', '2:f32']);
    expect(strategies(instance({ allowLossyCodecs: false })).map((s) => `${s.y}:${s.codec}`)).toEqual(['0:f32', '1:f32', '1:f32z', '2:f32']);
    expect(() => strategies({ ...instance({}), layers: [net.layers[0], { ...net.layers[1], codecs: net.layers[0].codecs }] })).toThrow(
      /layer K runs on the actor/,
    );
  });
});

describe('cost model over (y, codec) — hand-computed', () => {
  // f_d = 1 MFLOP/s, tr = 10 kB/s, f_e = 100 MFLOP/s, b_K = 512 B.
  const inst = instance({});
  const res = resourceTable(inst);
  const a = inst.actors[0];
  const t = (label: string) => strategyTime(inst, a, res.strategies[res.strategies.findIndex((s) => `${s.y}:${s.codec}` === label)]);
  it('T_i(y, codec): encoder on the device, decoder on the learner, compressed bytes on the link', () => {
    expect(t('2:f32')).toBeCloseTo(337_664 / 1e6, 12); // local
    expect(t('0:f32')).toBeCloseTo(337_664 / 1e8 + (400 + 512) / 1e4, 12); // 0.09457664
    expect(t('1:f32')).toBeCloseTo(73_728 / 1e6 + 263_936 / 1e8 + (4096 + 512) / 1e4, 12); // 0.53716736
    expect(t('1:ae4q4')).toBeCloseTo((73_728 + 8192) / 1e6 + (263_936 + 8192) / 1e8 + (128 + 512) / 1e4, 12); // 0.14864128
    const s = res.strategies.findIndex((x) => x.codec === 'ae4q4');
    expect(res.compute[s]).toBe(263_936 + 8192);
    expect(res.bandwidth[s]).toBe(128);
  });
  it('a bandwidth cap that rules out y = 0 and float32 at y = 1 makes the solvers pick (1, ae4q4)', async () => {
    // δ = 1, R_b = 200 bytes: the 400-B observation and every layer-1 codec but ae4q4 (128 B) exceed it.
    const capped = instance({ bandwidthBudget: 200 });
    for (const alg of ['defp', 'igreedy', 'ogreedy', 'milp'] as const) {
      const r = await solvePartition(capped, alg);
      expect([r.assignment, r.codecs, r.feasible]).toEqual([[1], ['ae4q4'], true]);
      expect(r.latencyReduction).toBeCloseTo(0.337664 - 0.14864128, 12);
    }
    // forbidding lossy codecs leaves only local
    const lossless = await solvePartition(instance({ bandwidthBudget: 200, allowLossyCodecs: false }), 'defp');
    expect([lossless.assignment, lossless.codecs]).toEqual([[2], ['f32']]);
    // the feasibility check rejects a codec that is not offered
    expect(evaluateAssignment(capped, [1], ['ae2q1']).violations[0]).toMatch(/codec "ae2q1" is not offered at split point 1/);
  });
  it('DefpPartitioner reports codec changes and codecOf', () => {
    const d = new DefpPartitioner(instance({ bandwidthBudget: 200 }));
    expect(d.join({ id: 'pi', flops: 1e6, linkBytesPerSec: 1e4 })).toEqual([{ id: 'pi', from: null, to: 1, toCodec: 'ae4q4' }]);
    expect([d.splitOf('pi'), d.codecOf('pi')]).toEqual([1, 'ae4q4']);
  });
});

/** Random joint instance on the MinAtar or shallow IMPALA network with random codec menus. */
function randomJoint(seed: number, n: number): PartitionInstance {
  const rng = new Rng(seed);
  const menu = ['f16', 'q8', 'q4', 'q2', 'ae8q8', 'ae4q4', 'ae2q2', 'ae8q1'].filter(() => rng.random() < 0.5);
  const shallow = seed % 2 === 0;
  const jn = shallow ? modelNetworkWithCodecs('impala-shallow', [84, 84, 4], 6, menu) : modelNetworkWithCodecs('minatar', [10, 10, 4], 6, menu);
  const logU = (lo: number, hi: number) => lo * Math.pow(hi / lo, rng.random());
  const full = jn.layers.reduce((s, l) => s + l.flops, 0);
  const actors = Array.from({ length: n }, (_, i) => ({ id: i, flops: logU(full, full * 100), linkBytesPerSec: logU(jn.inputBytes * 2, jn.inputBytes * 200) }));
  const share = [0.1, 0.3, 0.6][seed % 3];
  return parseInstance({
    inputBytes: jn.inputBytes,
    layers: jn.layers,
    edge: { flops: full * 1000, computeBudget: n * share * full, bandwidthBudget: n * share * jn.inputBytes, delta: 1, allowLossyCodecs: seed % 5 !== 0 },
    actors,
  });
}

describe('joint (y, codec) space: MILP equals brute force; no solver beats it', () => {
  it('12 small random instances', async () => {
    let usedCodec = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const inst = randomJoint(seed, 2 + (seed % 3));
      const bf = solveBruteForce(inst);
      const milp = await solvePartition(inst, 'milp');
      expect(milp.details.optimal).toBe(true);
      expect(milp.feasible).toBe(true);
      expect(milp.latencyReduction).toBeCloseTo(bf.latencyReduction, 12);
      for (const alg of ['defp', 'igreedy', 'ogreedy'] as const) {
        const r = await solvePartition(inst, alg);
        expect(r.feasible).toBe(true);
        expect(r.latencyReduction).toBeLessThanOrEqual(bf.latencyReduction * (1 + 1e-12));
      }
      if (milp.codecs.some((c) => c !== 'f32')) usedCodec++;
      // sanity: the brute-force gains come from the same cost table
      const res = resourceTable(inst);
      expect(bf.latencyReduction).toBeCloseTo(
        bf.assignment.reduce((s, x, i) => s + actorCosts(inst, res, inst.actors[i]).gain[x], 0),
        12,
      );
    }
    expect(usedCodec).toBeGreaterThanOrEqual(4); // the codecs matter on most instances
  });
  it('simulate with codecs records the (y, codec) use of each point', async () => {
    const r = await runSimulation({ ...DEFAULT_SIMULATION, network: 'impala-shallow', actorCounts: [5], algorithms: ['defp'], codecs: ['q8', 'ae4q4'] });
    for (const p of r.points) expect(Object.values(p.strategyUse!).reduce((a, b) => a + b, 0)).toBe(5);
    await expect(runSimulation({ ...DEFAULT_SIMULATION, network: 'synthetic-k12', actorCounts: [2], codecs: ['q8'] })).rejects.toThrow(
      /codecs need a model network/,
    );
  });
  it('minatarNetwork without codecs keeps strategy index = split point', () => {
    const m = minatarNetwork();
    expect(
      strategies({ inputBytes: m.inputBytes, layers: m.layers, edge: { flops: 1, computeBudget: 1, bandwidthBudget: 1, delta: 1 } }).map((s) => s.y),
    ).toEqual([0, 1, 2]);
  });
});
