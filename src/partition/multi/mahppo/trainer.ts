import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../util/rng.js';
import type { Strategy } from '../cost.js';
import type { MultiInstance } from '../instance.js';
import { shieldActions } from '../shield.js';
import { codecChoices, decode, drawFleet, stepRewards, type FleetOptions, type RewardOptions } from './environment.js';
import { observations, observationSize } from './features.js';
import { entropyHybrid, HybridPolicy, logProbHybrid, ppoClipLoss, type HybridActions } from './hybrid-policy.js';

/**
 * MAHPPO training on the cost-model simulator (the paper's Algorithm 1 on this project's MDP): collect
 * episodes with the current policy, then reuse them for several epochs of PPO with the clipped actor
 * loss, the critic's squared error and an entropy bonus. Seeded end to end.
 */
export interface MahppoOptions {
  fleet: FleetOptions;
  reward: RewardOptions;
  iterations: number;
  episodesPerIteration: number;
  epochs: number;
  minibatch: number;
  learningRate: number;
  clip: number;
  valueCoef: number;
  entropyCoef: number;
  hidden: number;
  seed: number;
}

export const DEFAULT_MAHPPO: Omit<MahppoOptions, 'fleet'> = {
  reward: { beta: 0, collisionPenalty: 1, shield: false },
  iterations: 150,
  episodesPerIteration: 16,
  epochs: 8,
  minibatch: 256,
  learningRate: 1e-3,
  clip: 0.2,
  valueCoef: 0.5,
  entropyCoef: 0.01,
  hidden: 64,
  seed: 1,
};

export interface IterationLog {
  iteration: number;
  meanReward: number;
  /** Share of episodes whose raw joint action broke a budget. */
  collisionRate: number;
  entropy: number;
}

const softmaxRows = (logits: Float32Array, cols: number, row: number): number[] => {
  const xs = Array.from(logits.subarray(row * cols, (row + 1) * cols));
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};

const sampleIndex = (p: number[], rng: Rng): number => {
  let r = rng.random();
  for (let k = 0; k < p.length; k++) if ((r -= p[k]) < 0) return k;
  return p.length - 1;
};
const argmax = (p: number[]): number => p.reduce((b, v, k) => (v > p[b] ? k : b), 0);

/** The policy's joint action for one instance: sampled (training) or its mode (planning). */
export async function act(
  policy: HybridPolicy,
  inst: MultiInstance,
  rng: Rng | undefined,
): Promise<{ obs: Float32Array[]; actions: HybridActions; proposals: Strategy[] }> {
  const obs = observations(inst);
  const n = obs.length;
  const { shape } = policy;
  const x = tf.tensor2d(concat(obs), [n, shape.obs]);
  const out = policy.forward(x);
  const [server, split, codec, mu, logStd] = await Promise.all([out.server.data(), out.split.data(), out.codec.data(), out.mu.data(), out.logStd.data()]);
  tf.dispose([x, out.server, out.split, out.codec, out.mu]);
  const std = Math.exp(logStd[0]);
  const a: HybridActions = { server: new Int32Array(n), split: new Int32Array(n), codec: new Int32Array(n), u: new Float32Array(n) };
  for (let i = 0; i < n; i++) {
    const ps = softmaxRows(server as Float32Array, shape.servers + 1, i);
    const py = softmaxRows(split as Float32Array, shape.splits, i);
    const pc = softmaxRows(codec as Float32Array, shape.codecs, i);
    a.server[i] = rng ? sampleIndex(ps, rng) : argmax(ps);
    a.split[i] = rng ? sampleIndex(py, rng) : argmax(py);
    a.codec[i] = rng ? sampleIndex(pc, rng) : argmax(pc);
    a.u[i] = rng ? mu[i] + std * rng.normal() : mu[i];
  }
  const proposals = Array.from({ length: n }, (_, i) => decode(inst, a.server[i], a.split[i], a.codec[i], a.u[i]));
  return { obs, actions: a, proposals };
}

function concat(rows: readonly Float32Array[]): Float32Array {
  const d = rows[0]?.length ?? 0;
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(r, i * d));
  return out;
}

export function createPolicy(fleet: FleetOptions, hidden: number, seed: number): HybridPolicy {
  const K = fleet.network.layers.length;
  const codecs = codecChoices({ inputBytes: fleet.network.inputBytes, layers: fleet.network.layers });
  return new HybridPolicy({ obs: observationSize(fleet.servers, K), servers: fleet.servers, splits: K, codecs, hidden }, seed);
}

export async function trainMahppo(opts: MahppoOptions, onIteration?: (log: IterationLog) => void): Promise<{ policy: HybridPolicy; log: IterationLog[] }> {
  const rng = new Rng(opts.seed);
  const policy = createPolicy(opts.fleet, opts.hidden, opts.seed);
  const optimizer = tf.train.adam(opts.learningRate);
  const log: IterationLog[] = [];
  const D = policy.shape.obs;
  for (let it = 1; it <= opts.iterations; it++) {
    const obs: Float32Array[] = [];
    const globalMean: Float32Array[] = [];
    const acts: HybridActions[] = [];
    const rewards: number[] = [];
    let collisions = 0;
    for (let e = 0; e < opts.episodesPerIteration; e++) {
      const inst = drawFleet(opts.fleet, rng);
      const step = await act(policy, inst, rng);
      const out = stepRewards(inst, step.proposals, opts.reward);
      if (out.violations > 0) collisions++;
      const mean = new Float32Array(D);
      for (const o of step.obs) for (let j = 0; j < D; j++) mean[j] += o[j] / step.obs.length;
      obs.push(...step.obs);
      for (let i = 0; i < step.obs.length; i++) globalMean.push(mean);
      acts.push(step.actions);
      rewards.push(...out.rewards);
    }
    const N = obs.length;
    const cat = (f: (a: HybridActions) => Int32Array | Float32Array, int: boolean) => {
      const parts = acts.map(f);
      const outArr = int ? new Int32Array(N) : new Float32Array(N);
      let off = 0;
      for (const p of parts) {
        outArr.set(p, off);
        off += p.length;
      }
      return outArr;
    };
    const all: HybridActions = {
      server: cat((a) => a.server, true) as Int32Array,
      split: cat((a) => a.split, true) as Int32Array,
      codec: cat((a) => a.codec, true) as Int32Array,
      u: cat((a) => a.u, false) as Float32Array,
    };
    const X = tf.tensor2d(concat(obs), [N, D]);
    const G = tf.tensor2d(concat(globalMean), [N, D]);
    const R = tf.tensor1d(rewards);
    const oldLogp = tf.tidy(() => logProbHybrid(policy.forward(X), all, policy.shape.servers));
    const v0 = tf.tidy(() => policy.value(X, G));
    const adv = tf.tidy(() => {
      const a = tf.sub(R, v0);
      const { mean, variance } = tf.moments(a);
      return tf.div(tf.sub(a, mean), tf.add(tf.sqrt(variance), 1e-8));
    });
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const perm = Int32Array.from({ length: N }, (_, i) => i);
      for (let i = N - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      for (let start = 0; start < N; start += opts.minibatch) {
        const idx = perm.subarray(start, Math.min(N, start + opts.minibatch));
        const mb: HybridActions = {
          server: idx.map((k) => all.server[k]),
          split: idx.map((k) => all.split[k]),
          codec: idx.map((k) => all.codec[k]),
          u: Float32Array.from(idx, (k) => all.u[k]),
        };
        const I = tf.tensor1d(idx, 'int32');
        const cost = optimizer.minimize(() => {
          const x = tf.gather(X, I);
          const out = policy.forward(x);
          const lp = logProbHybrid(out, mb, policy.shape.servers);
          const pg = ppoClipLoss(lp, tf.gather(oldLogp, I) as tf.Tensor1D, tf.gather(adv, I) as tf.Tensor1D, opts.clip);
          const vLoss = tf.mean(tf.square(tf.sub(policy.value(x, tf.gather(G, I)), tf.gather(R, I))));
          const ent = tf.mean(entropyHybrid(out, policy.shape.servers));
          return tf.sub(tf.add(pg, tf.mul(opts.valueCoef, vLoss)), tf.mul(opts.entropyCoef, ent)) as tf.Scalar;
        }, true);
        cost?.dispose();
        I.dispose();
      }
    }
    const entT = tf.tidy(() => tf.mean(entropyHybrid(policy.forward(X), policy.shape.servers)));
    const entropy = (await entT.data())[0];
    entT.dispose();
    tf.dispose([X, G, R, oldLogp, v0, adv]);
    const entry = { iteration: it, meanReward: rewards.reduce((a, b) => a + b, 0) / N, collisionRate: collisions / opts.episodesPerIteration, entropy };
    log.push(entry);
    onIteration?.(entry);
  }
  optimizer.dispose();
  return { policy, log };
}

/** The trained planner on one instance: the policy's mode for every actor, then (optionally) the shields. */
export async function planMahppo(
  policy: HybridPolicy,
  inst: MultiInstance,
  opts: { shield: boolean },
): Promise<{ assignment: Strategy[]; raw: Strategy[]; substituted: number }> {
  const { proposals } = await act(policy, inst, undefined);
  if (!opts.shield) return { assignment: proposals, raw: proposals, substituted: 0 };
  const s = shieldActions(inst, proposals);
  return { assignment: s.assignment, raw: proposals, substituted: s.substituted };
}
