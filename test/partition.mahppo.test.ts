import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../src/backend/gradients.js';
import { impalaDeepNetwork } from '../src/partition/networks.js';
import { evaluateMulti, parseMultiInstance, responseTime } from '../src/partition/multi/index.js';
import { codecChoices, decode, drawFleet, stepRewards } from '../src/partition/multi/mahppo/environment.js';
import { entropyHybrid, logProbHybrid, ppoClipLoss, type HybridOut } from '../src/partition/multi/mahppo/hybrid-policy.js';
import { act, DEFAULT_MAHPPO, planMahppo, trainMahppo } from '../src/partition/multi/mahppo/trainer.js';
import { checkpointMismatch, type PlannerCheckpoint } from '../src/partition/multi/mahppo/checkpoint.js';
import { resolveNetwork } from '../src/partition/simulate.js';
import { Rng } from '../src/util/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients();
});

/** One server (S = 1, so "local" is server index 1), K = 2 splits, one codec. */
const out = (): HybridOut => ({
  server: tf.tensor2d([[0, Math.log(3)]]), // softmax → [1/4, 3/4]
  split: tf.tensor2d([[0, 0]]), // [1/2, 1/2]
  codec: tf.tensor2d([[0]]),
  mu: tf.tensor1d([0.5]),
  logStd: tf.scalar(Math.log(2)),
});

describe('MAHPPO hybrid policy (by hand)', () => {
  it('offloading: log π = ln ¼ + ln ½ + 0 + log N(1.5; 0.5, 2) = −1.386294 − 0.693147 − 1.737086', async () => {
    const lp = logProbHybrid(out(), { server: Int32Array.of(0), split: Int32Array.of(1), codec: Int32Array.of(0), u: Float32Array.of(1.5) }, 1);
    // log N = −½((1.5 − 0.5)/2)² − ln 2 − ½ ln 2π = −0.125 − 0.693147 − 0.918939
    expect((await lp.data())[0]).toBeCloseTo(Math.log(0.25) + Math.log(0.5) - 0.125 - Math.log(2) - 0.5 * Math.log(2 * Math.PI), 5);
  });

  it('local: only the server head counts (ln ¾); the unexecuted sub-actions carry no probability', async () => {
    const lp = logProbHybrid(out(), { server: Int32Array.of(1), split: Int32Array.of(0), codec: Int32Array.of(0), u: Float32Array.of(-3) }, 1);
    expect((await lp.data())[0]).toBeCloseTo(Math.log(0.75), 6);
  });

  it('entropy: H(server) + P(offload)·(H(split) + H(N)) = H(¼, ¾) + ¼·(ln 2 + ln 2 + ½ + ½ ln 2π)', async () => {
    const hServer = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
    const hGauss = Math.log(2) + 0.5 + 0.5 * Math.log(2 * Math.PI);
    expect((await entropyHybrid(out(), 1).data())[0]).toBeCloseTo(hServer + 0.25 * (Math.log(2) + hGauss), 5);
  });

  it('PPO clipped loss (Eq. 19): ratios 1.5 (Â = 2) and 0.5 (Â = −1), ε = 0.2 → −mean(min(3, 2.4), min(−0.5, −0.8)) = −0.8', async () => {
    const loss = ppoClipLoss(tf.tensor1d([Math.log(1.5), Math.log(0.5)]), tf.tensor1d([0, 0]), tf.tensor1d([2, -1]), 0.2);
    expect((await loss.data())[0]).toBeCloseTo(-0.8, 6);
    // Inside the clip range the surrogate is the plain ratio·Â: ratio 1.1, Â = 1 → −1.1.
    expect((await ppoClipLoss(tf.tensor1d([Math.log(1.1)]), tf.tensor1d([0]), tf.tensor1d([1]), 0.2).data())[0]).toBeCloseTo(-1.1, 6);
  });

  it('decodes the Gaussian share: sigmoid(u)·Q rounded up, at least one level; server S is local', () => {
    const inst = drawFleet({ network: impalaDeepNetwork(), servers: 2, actors: [3, 3], shareLevels: 4 }, new Rng(1));
    expect(decode(inst, 2, 1, 0, 0)).toEqual({ server: -1, y: inst.layers.length, q: 0 });
    expect(decode(inst, 0, 3, 0, 0)).toEqual({ server: 0, y: 3, q: 2 }); // sigmoid 0 = ½ → 2 of 4
    expect(decode(inst, 1, 0, 0, -20)).toEqual({ server: 1, y: 0, q: 1 });
    expect(decode(inst, 1, 0, 0, 20)).toEqual({ server: 1, y: 0, q: 4 });
  });

  it('decodes the codec head among the options at the chosen split: float32 first, index modulo their number', () => {
    const base = drawFleet({ network: impalaDeepNetwork(), servers: 1, actors: [1, 1], shareLevels: 2 }, new Rng(2));
    const codecs = [
      { id: 'q8', bytes: 100, deviceFlops: 10, edgeFlops: 10, lossy: true },
      { id: 'q4', bytes: 50, deviceFlops: 10, edgeFlops: 10, lossy: true },
    ];
    const inst = parseMultiInstance({ ...base, layers: base.layers.map((l, k) => (k === 1 ? { ...l, codecs } : l)) });
    expect(codecChoices(inst)).toBe(3); // split 2 offers f32, q8, q4; every other split only f32
    expect(decode(inst, 0, 2, 0, 20)).toEqual({ server: 0, y: 2, q: 2 });
    expect(decode(inst, 0, 2, 1, 20)).toEqual({ server: 0, y: 2, q: 2, codec: 'q8' });
    expect(decode(inst, 0, 2, 2, 20)).toEqual({ server: 0, y: 2, q: 2, codec: 'q4' });
    expect(decode(inst, 0, 1, 2, 20)).toEqual({ server: 0, y: 1, q: 2 }); // split 1 has float32 only
    expect(codecChoices(parseMultiInstance({ ...inst, allowLossyCodecs: false }))).toBe(1);
  });
});

describe('MAHPPO training on the simulator', () => {
  it('a few seeded iterations improve the reward over the untrained policy, and the shield makes its plans feasible', async () => {
    const fleet = { network: impalaDeepNetwork(), servers: 2, actors: [6, 10] as const, shareLevels: 4 };
    const { policy, log } = await trainMahppo({ ...DEFAULT_MAHPPO, fleet, iterations: 12, episodesPerIteration: 8, epochs: 4, seed: 3 });
    const first = log.slice(0, 3).reduce((a, l) => a + l.meanReward, 0) / 3;
    const last = log.slice(-3).reduce((a, l) => a + l.meanReward, 0) / 3;
    expect(last).toBeGreaterThan(first);
    const rng = new Rng(42);
    for (let e = 0; e < 5; e++) {
      const inst = drawFleet(fleet, rng);
      const plan = await planMahppo(policy, inst, { shield: true });
      expect(evaluateMulti(inst, plan.assignment).violations).toEqual([]);
      // Rewards of the shielded plan are the latency saved (β = 0) minus the substitution penalty: at most 1.
      const r = stepRewards(inst, plan.raw, { beta: 0, collisionPenalty: 0.5, shield: true });
      for (const v of r.rewards) expect(v).toBeLessThanOrEqual(1);
    }
  }, 120_000);

  it('on a network with codecs the codec head has one choice per option of the richest split, and the sampled plans use them', async () => {
    const fleet = { network: resolveNetwork('impala-shallow', ['q8', 'ae4q4']), servers: 1, actors: [4, 6] as const, shareLevels: 2 };
    const { policy } = await trainMahppo({ ...DEFAULT_MAHPPO, fleet, iterations: 2, episodesPerIteration: 4, epochs: 1, seed: 5 });
    expect(policy.shape.codecs).toBe(3); // float32, q8, ae4q4 at splits 1 and 2
    const rng = new Rng(8);
    const used = new Set<string>();
    for (let e = 0; e < 20; e++) {
      const inst = drawFleet(fleet, rng);
      const { proposals } = await act(policy, inst, rng); // sampled, as in training
      for (const p of proposals) {
        expect(() => responseTime(inst, inst.actors[0], p)).not.toThrow(); // every decoded action is a strategy of the instance
        if (p.y > 0 && p.y < inst.layers.length) used.add(p.codec ?? 'f32');
      }
      expect(evaluateMulti(inst, (await planMahppo(policy, inst, { shield: true })).assignment).violations).toEqual([]);
    }
    expect([...used].sort()).toEqual(['ae4q4', 'f32', 'q8']);
  }, 120_000);
  it('a codec pinned at one split (ae4q4@1, as a learner holding it prices the net) gives one codec choice, and a mismatch names the option that fits', async () => {
    const pinned = { network: resolveNetwork('impala-shallow', ['ae4q4@1']), servers: 1, actors: [4, 6] as const, shareLevels: 2 };
    const both = { ...pinned, network: resolveNetwork('impala-shallow', ['q8', 'ae4q4']) };
    const { policy } = await trainMahppo({ ...DEFAULT_MAHPPO, fleet: pinned, iterations: 1, episodesPerIteration: 2, epochs: 1, seed: 5 });
    expect(policy.shape.codecs).toBe(1);
    const rng = new Rng(3);
    const file = { network: 'impala-shallow+codecs', servers: 1, shape: { ...policy.shape } } as unknown as PlannerCheckpoint;
    expect(checkpointMismatch(file, drawFleet(pinned, rng))).toBeUndefined();
    expect(checkpointMismatch(file, drawFleet(both, rng))).toBe(
      "it was trained with 1 codec choice(s) per split, this network offers 3 (train one on this network's codecs: coknight planner train --codecs q8,ae4q4)",
    );
    const richer = { ...file, shape: { ...file.shape, codecs: 3 } } as PlannerCheckpoint;
    expect(checkpointMismatch(richer, drawFleet(pinned, rng))).toMatch(
      /offers 1 \(train one on this network's codecs: coknight planner train --codecs ae4q4@1\)$/,
    );
  }, 60_000);
});
