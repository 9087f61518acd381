/**
 * A small DDPG agent (Lillicrap et al. 2016) on tfjs-core, for OSDS: deterministic actor μ(s) with
 * tanh outputs in [A, B] = [−1, 1], critic Q(s, a), target copies updated softly, a replay buffer.
 * Every weight is initialised from our seeded Rng, so a run is reproducible.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../../backend/read-floats.js';
import { Rng } from '../../util/rng.js';

export interface DdpgOptions {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly hidden?: readonly number[];
  readonly lrActor?: number;
  readonly lrCritic?: number;
  readonly gamma?: number;
  readonly tau?: number;
  readonly batch?: number;
  readonly bufferSize?: number;
  readonly seed?: number;
}

export interface Transition {
  readonly s: readonly number[];
  readonly a: readonly number[];
  readonly r: number;
  readonly s2: readonly number[];
  readonly done: boolean;
}

type Mlp = { w: tf.Variable[]; b: tf.Variable[] };

function mlp(sizes: readonly number[], rng: Rng): Mlp {
  const w: tf.Variable[] = [];
  const b: tf.Variable[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const limit = Math.sqrt(6 / (sizes[i] + sizes[i + 1])) * (i + 2 === sizes.length ? 0.1 : 1);
    const vals = Float32Array.from({ length: sizes[i] * sizes[i + 1] }, () => (2 * rng.random() - 1) * limit);
    w.push(tf.variable(tf.tensor2d(vals, [sizes[i], sizes[i + 1]])));
    b.push(tf.variable(tf.zeros([sizes[i + 1]])));
  }
  return { w, b };
}

function forward(n: Mlp, x: tf.Tensor2D, out: 'tanh' | 'linear'): tf.Tensor2D {
  let h = x;
  n.w.forEach((w, i) => {
    h = tf.add(tf.matMul(h, w), n.b[i]);
    if (i + 1 < n.w.length) h = tf.relu(h);
  });
  return out === 'tanh' ? tf.tanh(h) : h;
}

const vars = (n: Mlp): tf.Variable[] => [...n.w, ...n.b];

export class Ddpg {
  private readonly actor: Mlp;
  private readonly critic: Mlp;
  private readonly actorT: Mlp;
  private readonly criticT: Mlp;
  private readonly optA: tf.Optimizer;
  private readonly optC: tf.Optimizer;
  private readonly buffer: Transition[] = [];
  private readonly rng: Rng;
  private readonly o: Required<DdpgOptions>;

  constructor(opts: DdpgOptions) {
    this.o = { hidden: [64, 64], lrActor: 1e-3, lrCritic: 1e-3, gamma: 0.99, tau: 0.01, batch: 32, bufferSize: 20_000, seed: 0, ...opts };
    this.rng = new Rng(this.o.seed);
    const { stateDim: s, actionDim: a, hidden } = this.o;
    this.actor = mlp([s, ...hidden, a], this.rng);
    this.critic = mlp([s + a, ...hidden, 1], this.rng);
    this.actorT = mlp([s, ...hidden, a], this.rng);
    this.criticT = mlp([s + a, ...hidden, 1], this.rng);
    this.copy(1);
    this.optA = tf.train.adam(this.o.lrActor);
    this.optC = tf.train.adam(this.o.lrCritic);
  }

  act(s: readonly number[]): number[] {
    return Array.from(readFloats(() => forward(this.actor, tf.tensor2d([s as number[]]), 'tanh')));
  }

  remember(t: Transition): void {
    if (this.buffer.length >= this.o.bufferSize) this.buffer[this.rng.int(this.buffer.length)] = t;
    else this.buffer.push(t);
  }

  /** One gradient step on a sampled minibatch (none until the buffer holds a batch). */
  train(): void {
    const n = this.o.batch;
    if (this.buffer.length < n) return;
    const batch = Array.from({ length: n }, () => this.buffer[this.rng.int(this.buffer.length)]);
    tf.tidy(() => {
      const s = tf.tensor2d(batch.map((t) => t.s as number[]));
      const a = tf.tensor2d(batch.map((t) => t.a as number[]));
      const s2 = tf.tensor2d(batch.map((t) => t.s2 as number[]));
      const r = tf.tensor2d(batch.map((t) => [t.r]));
      const notDone = tf.tensor2d(batch.map((t) => [t.done ? 0 : 1]));
      const q2 = forward(this.criticT, tf.concat([s2, forward(this.actorT, s2, 'tanh')], 1), 'linear');
      const y = tf.add(r, tf.mul(tf.mul(notDone, this.o.gamma), q2));
      this.optC.minimize(() => tf.mean(tf.square(tf.sub(y, forward(this.critic, tf.concat([s, a], 1), 'linear')))) as tf.Scalar, false, vars(this.critic));
      this.optA.minimize(
        () => tf.neg(tf.mean(forward(this.critic, tf.concat([s, forward(this.actor, s, 'tanh')], 1), 'linear'))) as tf.Scalar,
        false,
        vars(this.actor),
      );
    });
    this.copy(this.o.tau);
  }

  private copy(tau: number): void {
    tf.tidy(() => {
      const pairs: [tf.Variable, tf.Variable][] = [
        ...vars(this.actorT).map((v, i) => [v, vars(this.actor)[i]] as [tf.Variable, tf.Variable]),
        ...vars(this.criticT).map((v, i) => [v, vars(this.critic)[i]] as [tf.Variable, tf.Variable]),
      ];
      for (const [t, src] of pairs) t.assign(tau === 1 ? src : tf.add(tf.mul(src, tau), tf.mul(t, 1 - tau)));
    });
  }

  dispose(): void {
    for (const n of [this.actor, this.critic, this.actorT, this.criticT]) tf.dispose(vars(n));
    this.optA.dispose();
    this.optC.dispose();
  }
}
