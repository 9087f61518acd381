import * as tf from '@tensorflow/tfjs-core';

/**
 * MAHPPO's hybrid-action actor (one set of weights shared by every actor, fed the actor's own
 * features: the standard MAPPO practice at 10–1000 agents; the paper has one network per device) and
 * its global critic. Heads: a categorical over servers plus "local" (index S), a categorical over split
 * points 0..K−1, a categorical over codecs, and a Gaussian over the pre-sigmoid bandwidth share u
 * (share w = sigmoid(u)) with a state-independent log σ. Pure tensor functions; weights are variables.
 */
export interface HybridShape {
  obs: number;
  servers: number;
  splits: number;
  codecs: number;
  hidden: number;
}

export interface HybridOut {
  server: tf.Tensor2D; // [N, S+1] logits
  split: tf.Tensor2D; // [N, K] logits
  codec: tf.Tensor2D; // [N, C] logits
  mu: tf.Tensor1D; // [N]
  logStd: tf.Scalar;
}

/** Actions of N actors: server index (S = local), split, codec, and the Gaussian sample u. */
export interface HybridActions {
  server: Int32Array;
  split: Int32Array;
  codec: Int32Array;
  u: Float32Array;
}

type Dense = { w: tf.Variable; b: tf.Variable };

function dense(inDim: number, outDim: number, seed: number, gain = Math.SQRT2): Dense {
  // Orthogonal-ish init as in common PPO code: scaled Gaussian (seeded), zero bias.
  const w = tf.variable(tf.randomNormal([inDim, outDim], 0, gain / Math.sqrt(inDim), 'float32', seed));
  return { w, b: tf.variable(tf.zeros([outDim])) };
}

const apply = (x: tf.Tensor2D, d: Dense): tf.Tensor2D => tf.add(tf.matMul(x, d.w), d.b);

export class HybridPolicy {
  readonly layers: Record<string, Dense>;
  readonly logStd: tf.Variable;

  constructor(
    readonly shape: HybridShape,
    seed = 1,
  ) {
    const h = shape.hidden;
    this.layers = {
      a1: dense(shape.obs, h, seed),
      a2: dense(h, h, seed + 1),
      server: dense(h, shape.servers + 1, seed + 2, 0.01),
      split: dense(h, shape.splits, seed + 3, 0.01),
      codec: dense(h, shape.codecs, seed + 4, 0.01),
      mu: dense(h, 1, seed + 5, 0.01),
      c1: dense(2 * shape.obs, h, seed + 6),
      c2: dense(h, h, seed + 7),
      v: dense(h, 1, seed + 8, 1),
    };
    this.logStd = tf.variable(tf.scalar(-0.5));
  }

  actorVariables(): tf.Variable[] {
    return [...['a1', 'a2', 'server', 'split', 'codec', 'mu'].flatMap((k) => [this.layers[k].w, this.layers[k].b]), this.logStd];
  }

  criticVariables(): tf.Variable[] {
    return ['c1', 'c2', 'v'].flatMap((k) => [this.layers[k].w, this.layers[k].b]);
  }

  forward(obs: tf.Tensor2D): HybridOut {
    const L = this.layers;
    const h = tf.tanh(apply(tf.tanh(apply(obs, L.a1)), L.a2));
    return {
      server: apply(h, L.server),
      split: apply(h, L.split),
      codec: apply(h, L.codec),
      mu: tf.reshape(apply(h, L.mu), [-1]),
      logStd: this.logStd as tf.Scalar,
    };
  }

  /** The global critic: V(actor's features, mean of every actor's features in the episode). */
  value(obs: tf.Tensor2D, globalMean: tf.Tensor2D): tf.Tensor1D {
    const L = this.layers;
    const h = tf.tanh(apply(tf.tanh(apply(tf.concat([obs, globalMean], 1), L.c1)), L.c2));
    return tf.reshape(apply(h, L.v), [-1]);
  }

  /** Weights as plain arrays (a planner checkpoint). */
  async save(): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const [k, d] of Object.entries(this.layers)) {
      out[`${k}.w`] = Array.from(await d.w.data());
      out[`${k}.b`] = Array.from(await d.b.data());
    }
    out.logStd = Array.from(await this.logStd.data());
    return out;
  }

  load(weights: Record<string, number[]>): void {
    for (const [k, d] of Object.entries(this.layers)) {
      for (const [name, v] of [
        [`${k}.w`, d.w],
        [`${k}.b`, d.b],
      ] as const) {
        const src = weights[name];
        if (!src || src.length !== v.size) throw new Error(`planner checkpoint: ${name} has ${src?.length ?? 0} values, the policy needs ${v.size}`);
        v.assign(tf.tensor(src, v.shape));
      }
    }
    if (weights.logStd?.length !== 1) throw new Error('planner checkpoint: logStd must hold one value');
    this.logStd.assign(tf.scalar(weights.logStd[0]));
  }
}

/** log π(idx) per row; a one-option head (e.g. no codecs yet) has log-probability 0. */
const pick = (logits: tf.Tensor2D, idx: Int32Array): tf.Tensor1D =>
  logits.shape[1] === 1 ? tf.zeros([logits.shape[0]]) : tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(idx, 'int32'), logits.shape[1])), 1);

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log π(a) of the hybrid action: log π(server) + [server ≠ local]·(log π(y) + log π(codec) + log N(u; μ, σ)).
 * The sub-actions of a local choice are not executed, so they carry no probability.
 */
export function logProbHybrid(out: HybridOut, a: HybridActions, servers: number): tf.Tensor1D {
  const offload = tf.cast(tf.notEqual(tf.tensor1d(a.server, 'int32'), servers), 'float32');
  const std = tf.exp(out.logStd);
  const z = tf.div(tf.sub(tf.tensor1d(a.u), out.mu), std);
  const gauss = tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), out.logStd), LOG_SQRT_2PI);
  const sub = tf.add(tf.add(pick(out.split, a.split), pick(out.codec, a.codec)), gauss);
  return tf.add(pick(out.server, a.server), tf.mul(offload, sub)) as tf.Tensor1D;
}

const categoricalEntropy = (logits: tf.Tensor2D): tf.Tensor1D => {
  const lp = tf.logSoftmax(logits);
  return tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), 1)) as tf.Tensor1D;
};

/** H(server) + P(offload)·(H(split) + H(codec) + H(N)): the entropy of the hybrid distribution. */
export function entropyHybrid(out: HybridOut, servers: number): tf.Tensor1D {
  const pOff = tf.sub(1, tf.reshape(tf.slice(tf.softmax(out.server), [0, servers], [-1, 1]), [-1]));
  const gaussH = tf.add(tf.add(out.logStd, 0.5), LOG_SQRT_2PI);
  return tf.add(
    categoricalEntropy(out.server),
    tf.mul(pOff, tf.add(tf.add(categoricalEntropy(out.split), categoricalEntropy(out.codec)), gaussH)),
  ) as tf.Tensor1D;
}

/** PPO's clipped surrogate (MAHPPO Eq. 19), as a loss to minimise: −E[min(r·Â, clip(r, 1−ε, 1+ε)·Â)]. */
export function ppoClipLoss(logp: tf.Tensor1D, oldLogp: tf.Tensor1D, adv: tf.Tensor1D, epsilon: number): tf.Scalar {
  const ratio = tf.exp(tf.sub(logp, oldLogp));
  const clipped = tf.clipByValue(ratio, 1 - epsilon, 1 + epsilon);
  return tf.neg(tf.mean(tf.minimum(tf.mul(ratio, adv), tf.mul(clipped, adv)))) as tf.Scalar;
}
