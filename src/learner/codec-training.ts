/**
 * Training a feature codec with the RL model (MAHPPO §2.4, adapted): at split y the training forward
 * pass goes head(x, y) → encoder → straight-through quantiser → decoder → tail, so the IMPALA loss
 * reaches the codec and the backbone learns the policy the actors are actually served; plus the
 * reconstruction loss λ·mean‖dec(q(enc(h))) − h‖² with h held constant (it trains the codec, not the
 * backbone), divided by mean‖h‖² so that it stays comparable while the backbone rescales h. The codec has its own RMSProp (same settings, and the
 * model's annealed learning rate each update, set by TrainStep), so the model optimizer's slots are unchanged;
 * its state is checkpointed beside them (codec-checkpoint.ts).
 *
 * 'joint': both from the first update. 'two-stage' (the paper's): the first `frozenUpdates` updates
 * train the codec alone with the backbone frozen, then everything at `fineTuneLrScale` × the learning rate.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fakeQuantize, foldExtremes, relativeSquaredError, tensorExtremes, type FeatureCodec } from '../codec/index.js';
import type { RunConfig } from '../config/schema.js';
import type { PolicyModel, PolicyOutput } from '../model/index.js';
import { clipScale, squaredGlobalNorm } from './grad-clip.js';
import { AnnealedRmsProp } from './schedule.js';

export interface CodecTrainingOptions {
  readonly mode: 'joint' | 'two-stage';
  /** λ on the reconstruction loss. */
  readonly reconstructionWeight: number;
  /** 'two-stage': codec-only updates before joint fine-tuning. */
  readonly frozenUpdates: number;
  /** 'two-stage': model learning-rate multiplier after the frozen stage. */
  readonly fineTuneLrScale: number;
}

export const DEFAULT_CODEC_TRAINING: CodecTrainingOptions = { mode: 'joint', reconstructionWeight: 1, frozenUpdates: 200, fineTuneLrScale: 0.1 };

/** EMA momentum of the quantiser range during training: fast enough to follow a backbone that is still learning. */
const RANGE_MOMENTUM = 0.9;

export class CodecTrainer {
  /** Updates seen (drives the two-stage schedule). */
  updates = 0;
  /** Last batch's relative reconstruction error mean‖ĥ − h‖² / mean‖h‖². */
  lastReconstruction = 0;
  readonly optimizer: AnnealedRmsProp;

  constructor(
    readonly model: PolicyModel,
    readonly codec: FeatureCodec,
    readonly y: number,
    readonly opts: CodecTrainingOptions,
    hp: { learningRate: number; rmspropDecay: number; rmspropMomentum: number; rmspropEpsilon: number },
  ) {
    if (y < 1 || y >= model.K) throw new RangeError(`codec training: split point ${y} must be in 1..${model.K - 1}`);
    if (!(opts.reconstructionWeight >= 0)) throw new RangeError(`codec training: reconstructionWeight must be >= 0, got ${opts.reconstructionWeight}`);
    this.optimizer = new AnnealedRmsProp(hp.learningRate, hp.rmspropDecay, hp.rmspropMomentum, hp.rmspropEpsilon, false);
  }

  /** Whether the model's own weights train this update ('two-stage' freezes them at first). */
  get backboneTrains(): boolean {
    return this.opts.mode === 'joint' || this.updates >= this.opts.frozenUpdates;
  }

  /** Multiplier on the model's learning rate this update. */
  get lrScale(): number {
    return this.opts.mode === 'two-stage' && this.backboneTrains ? this.opts.fineTuneLrScale : 1;
  }

  variables(): tf.Variable[] {
    return this.codec.variables();
  }

  /**
   * The training forward pass through the codec; call inside the gradient function. Also folds the
   * encoder outputs into the quantiser's running range (the range actors quantise with).
   */
  forward(x: tf.Tensor): { out: PolicyOutput; reconstruction: tf.Scalar } {
    const c = this.codec;
    const h = this.model.head(x, this.y);
    const z = c.encodeTensor(h);
    const q = c.quantParams();
    const zq = q ? fakeQuantize(z, q.scale, q.offset, c.spec.bits!) : z;
    const hh = c.decodeTensor(zq, h.shape[0]);
    // Relative to the feature's energy: the backbone may rescale h while it learns, and a plain MSE
    // would then swamp (or vanish beside) the IMPALA loss. h is the target: no gradient through it.
    const reconstruction = relativeSquaredError(hh, h);
    if (q) c.range = foldExtremes(c.range, ...tensorExtremes(z), RANGE_MOMENTUM);
    this.lastReconstruction = reconstruction.dataSync()[0];
    return { out: this.model.tail(hh, this.y), reconstruction: tf.mul(reconstruction, this.opts.reconstructionWeight) as tf.Scalar };
  }

  /**
   * A codec off the training forward path (not the first of distributed.codecs): h = head(x, y) is
   * computed without a gradient tape, the quantiser range follows its encoder output as on the path,
   * and a codec with convs takes one RMSProp step (its gradient clipped to `clipNorm`) on the relative
   * reconstruction loss alone. The backbone is not touched. Returns that loss (0 without convs).
   */
  offPathUpdate(x: tf.Tensor, lr: number, clipNorm: number): number {
    const c = this.codec;
    const h = tf.tidy(() => this.model.head(x, this.y));
    const q = c.quantParams();
    if (q) {
      const z = c.encodeTensor(h);
      c.range = foldExtremes(c.range, ...tensorExtremes(z), RANGE_MOMENTUM);
      if (z !== h) z.dispose();
    }
    const vars = this.variables();
    let loss = 0;
    if (vars.length > 0) {
      const qq = c.quantParams();
      const { value, grads } = tf.variableGrads(() => {
        const z = c.encodeTensor(h);
        const zq = qq ? fakeQuantize(z, qq.scale, qq.offset, c.spec.bits!) : z;
        return relativeSquaredError(c.decodeTensor(zq, h.shape[0]), h);
      }, vars);
      loss = value.dataSync()[0];
      const g = vars.map((v) => grads[v.name]);
      const squared = squaredGlobalNorm(g);
      const norm = Math.sqrt(squared.dataSync()[0]);
      squared.dispose();
      if (Number.isFinite(loss) && Number.isFinite(norm)) {
        this.optimizer.setLearningRate(lr);
        this.optimizer.applyScaledGradients(
          vars.map((v, i) => ({ name: v.name, tensor: g[i] })),
          clipNorm > 0 ? clipScale(norm, clipNorm) : 1,
        );
      }
      tf.dispose([value, ...g]);
    }
    h.dispose();
    this.lastReconstruction = loss;
    this.updates++;
    return loss;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** The codec training a run config asks for (distributed.codecTraining and its settings). */
export function codecTrainingOptions(config: RunConfig): CodecTrainingOptions {
  const d = config.distributed;
  return {
    mode: d.codecTraining,
    reconstructionWeight: d.codecReconstructionWeight,
    frozenUpdates: d.codecFrozenUpdates,
    fineTuneLrScale: d.codecFineTuneLrScale,
  };
}

/** The trainer a run config asks for, for `codec` at split y (learning-rate settings from `hyper`). */
export function codecTrainerFor(config: RunConfig, model: PolicyModel, codec: FeatureCodec, y: number): CodecTrainer {
  return new CodecTrainer(model, codec, y, codecTrainingOptions(config), config.hyper);
}
