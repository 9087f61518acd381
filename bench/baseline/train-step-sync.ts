/**
 * The bench's peer: TrainStep as it was before the update went async (commit 32b298c), with V-trace in
 * plain JS on logits and values read back with dataSync inside the gradient function, once per
 * micro-batch, and a synchronous global norm. Only bench/train-step-async.ts uses it, to measure
 * the async TrainStep against it in the same process. Checkpoint slots are left out.
 *
 * Original header: one IMPALA learner update: forward the current network over a batch of unrolls, V-trace targets
 * from its logits and values, the IMPALA loss, gradients (accumulated over micro-batches of columns
 * when asked), global-norm clipping, and an RMSProp step with a linearly annealed learning rate.
 *
 * RMSProp: tf.train.rmsprop puts ε inside the square root, like TF1's RMSPropOptimizer that
 * scalable_agent uses (Δ = lr·g / sqrt(ms + ε)), not outside like Keras/PyTorch (lr·g / (sqrt(ms) + ε)).
 * TF1 starts ms at 1 and tfjs at 0; `rmspropInitialMeanSquare: 'ones'` (default) restores TF1's start
 * through the optimizer's public setWeights.
 *
 * V-trace is computed in plain JS from the network outputs read back inside the gradient function;
 * it depends only on numbers, so vs and the advantages enter the loss as constants (as the
 * stop_gradient in scalable_agent). Columns are independent in V-trace and the loss is a sum, so
 * micro-batching gives the same gradient as the whole batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '../../src/backend/gradients.js';
import type { PolicyModel } from '../../src/model/index.js';
import { impalaLoss } from '../../src/vtrace/impala-loss.js';
import { vtraceFlat } from '../../src/vtrace/vtrace.js';
import { sliceBatchColumns, type TrainBatch } from '../../src/learner/batch.js';
import { resolveLearnerHyperParams, type LearnerHyperParams } from '../../src/learner/hyperparams.js';
import { linearAnnealedLr } from '../../src/learner/schedule.js';

export interface TrainStats {
  /** Total loss (sum over T and B). */
  readonly loss: number;
  readonly pgLoss: number;
  /** ½ Σ (vs − V)², before the baseline cost. */
  readonly baselineLoss: number;
  /** −Σ H, before the entropy cost. */
  readonly entropyLoss: number;
  /** Mean policy entropy per step (nats). */
  readonly entropy: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Learning rate used for this update. */
  readonly lr: number;
  readonly meanVs: number;
  readonly meanPgAdvantage: number;
  /** Mean importance weight π/μ of the taken actions (1 when on-policy). */
  readonly meanRho: number;
  /** Environment frames consumed including this update. */
  readonly frames: number;
  /** Parameter version after this update. */
  readonly version: number;
  /** Set when the loss or the gradient was not finite: no update was applied (weights, frames, version unchanged). */
  readonly skipped?: boolean;
}

/** RMSProp whose learning rate the annealing schedule can change between steps. */
class AnnealedRmsProp extends tf.RMSPropOptimizer {
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}

function globalNorm(grads: readonly tf.Tensor[]): number {
  if (grads.length === 0) return 0;
  return tf.tidy(() => Math.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
}

function clipByGlobalNorm(grads: readonly tf.Tensor[], clipNorm: number): { grads: tf.Tensor[]; norm: number } {
  const norm = globalNorm(grads);
  const scale = clipNorm / Math.max(norm, clipNorm);
  return { grads: grads.map((g) => tf.tidy(() => (scale === 1 ? tf.clone(g) : tf.mul(g, scale)))), norm };
}

export class SyncTrainStep {
  readonly hp: LearnerHyperParams;
  /** Environment frames consumed so far (drives the learning-rate schedule). */
  frames = 0;
  private readonly optimizer: AnnealedRmsProp;
  private readonly vars: tf.Variable[];

  private constructor(
    readonly model: PolicyModel,
    hp: LearnerHyperParams,
  ) {
    this.hp = hp;
    this.vars = model.variables;
    this.optimizer = new AnnealedRmsProp(hp.learningRate, hp.rmspropDecay, hp.rmspropMomentum, hp.rmspropEpsilon, false);
  }

  /** Build a train step for `model`; overrides go onto DEFAULT_LEARNER_HYPERPARAMS. */
  static async create(model: PolicyModel, overrides: Partial<LearnerHyperParams> = {}): Promise<SyncTrainStep> {
    const step = new SyncTrainStep(model, resolveLearnerHyperParams(overrides));
    await ensureGradients(); // tfjs-core's Node bundle registers no gradient functions by itself
    // Create the slots now (tfjs would make them lazily, at 0) so they exist for checkpoints.
    const ms = step.hp.rmspropInitialMeanSquare === 'ones' ? tf.onesLike : tf.zerosLike;
    await step.loadSlots(
      0,
      step.vars.map((v) => ms(v)),
      step.vars.map((v) => tf.zerosLike(v)),
    );
    return step;
  }

  /** Replace the optimizer's slots through its public setWeights (takes ownership of the tensors). */
  private async loadSlots(iterations: number, rms: tf.Tensor[], momentum: tf.Tensor[]): Promise<void> {
    const weights = [
      { name: 'iter', tensor: tf.scalar(iterations, 'int32') },
      ...rms.map((t, i) => ({ name: `${this.vars[i].name}/rms`, tensor: t })),
      ...momentum.map((t, i) => ({ name: `${this.vars[i].name}/momentum`, tensor: t })),
    ];
    const old = this.optimizer.getWeights();
    await this.optimizer.setWeights(weights);
    // setWeights wraps each tensor in a new variable and drops the previous ones without disposing
    // (and its iteration count is a fresh scalar)
    for (const w of await old) w.tensor.dispose();
    tf.dispose(weights.map((w) => w.tensor));
  }

  /** The learning rate the next update will use. */
  get learningRate(): number {
    return this.hp.annealLearningRate ? linearAnnealedLr(this.hp.learningRate, this.frames, this.hp.totalFrames) : this.hp.learningRate;
  }

  step(batch: TrainBatch): TrainStats {
    const { unrollLength: T, batchSize: B } = this.hp;
    this.checkBatch(batch);
    const micro = this.hp.microBatchSize > 0 ? Math.min(this.hp.microBatchSize, B) : B;
    let summed: tf.Tensor[] | null = null;
    const totals = { loss: 0, pgLoss: 0, baselineLoss: 0, entropyLoss: 0, vs: 0, adv: 0, rho: 0 };
    for (let b0 = 0; b0 < B; b0 += micro) {
      const b1 = Math.min(B, b0 + micro);
      const { grads, stats } = this.chunkGradients(batch, b0, b1);
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += stats[k];
      if (summed === null) {
        summed = grads;
      } else {
        const prev: tf.Tensor[] = summed;
        summed = prev.map((g, i) => tf.add(g, grads[i]));
        tf.dispose([...prev, ...grads]);
      }
    }
    const accumulated = summed as tf.Tensor[];
    const lr = this.learningRate;
    const n = T * B;
    const report = (gradNorm: number, skipped: boolean): TrainStats => ({
      loss: totals.loss,
      pgLoss: totals.pgLoss,
      baselineLoss: totals.baselineLoss,
      entropyLoss: totals.entropyLoss,
      entropy: -totals.entropyLoss / n,
      gradNorm,
      lr,
      meanVs: totals.vs / n,
      meanPgAdvantage: totals.adv / n,
      meanRho: totals.rho / n,
      frames: this.frames,
      version: this.model.version,
      ...(skipped ? { skipped: true } : {}),
    });
    if (!Number.isFinite(totals.loss) || !Number.isFinite(globalNorm(accumulated))) {
      // A non-finite loss or gradient would poison every weight: skip the update instead.
      tf.dispose(accumulated);
      return report(NaN, true);
    }
    const { grads: clipped, norm } = clipByGlobalNorm(accumulated, this.hp.gradClipNorm);
    tf.dispose(accumulated);
    this.optimizer.setLearningRate(lr);
    this.optimizer.applyGradients(this.vars.map((v, i) => ({ name: v.name, tensor: clipped[i] })));
    tf.dispose(clipped);

    this.frames += T * B * this.hp.actionRepeat;
    this.model.version += 1;
    return report(norm, false);
  }

  dispose(): void {
    this.optimizer.dispose();
  }

  /** Gradients (in this.vars order) and loss sums for batch columns b0..b1−1. */
  private chunkGradients(batch: TrainBatch, b0: number, b1: number) {
    const { unrollLength: T, batchSize: B } = this.hp;
    const A = this.model.numActions;
    const [H, W, C] = this.model.inputShape;
    const { Bc, obs, behaviourLogits, actions, rewards, discounts } = sliceBatchColumns(
      batch,
      { T, B, A, obsSize: H * W * C },
      b0,
      b1,
      this.hp.discount,
      this.hp.rewardClip,
    );

    const stats = { loss: 0, pgLoss: 0, baselineLoss: 0, entropyLoss: 0, vs: 0, adv: 0, rho: 0 };
    const { value, grads } = tf.variableGrads(() => {
      const x = tf.tensor4d(obs, [(T + 1) * Bc, H, W, C]);
      const out = this.model.forward(x);
      const n = T * Bc;
      const values = out.value.dataSync();
      const vt = vtraceFlat({
        T,
        B: Bc,
        A,
        behaviourLogits,
        targetLogits: out.logits.dataSync().subarray(0, n * A),
        actions,
        discounts,
        rewards,
        values: values.subarray(0, n),
        bootstrapValue: values.subarray(n, n + Bc),
        clipRhoThreshold: this.hp.clipRhoThreshold,
        clipPgRhoThreshold: this.hp.clipPgRhoThreshold,
        clipCThreshold: this.hp.clipCThreshold,
        lambda: this.hp.lambda,
      });
      const terms = impalaLoss({
        logits: tf.slice(out.logits, [0, 0], [n, A]),
        values: tf.slice(out.value, [0], [n]),
        actions,
        vs: vt.vs,
        pgAdvantages: vt.pgAdvantages,
        baselineCost: this.hp.baselineCost,
        entropyCost: this.hp.entropyCost,
      });
      stats.pgLoss = terms.pgLoss.dataSync()[0];
      stats.baselineLoss = terms.baselineLoss.dataSync()[0];
      stats.entropyLoss = terms.entropyLoss.dataSync()[0];
      for (let i = 0; i < n; i++) {
        stats.vs += vt.vs[i];
        stats.adv += vt.pgAdvantages[i];
        stats.rho += Math.exp(vt.logRhos[i]);
      }
      return terms.total;
    }, this.vars);
    stats.loss = value.dataSync()[0];
    value.dispose();
    return { grads: this.vars.map((v) => grads[v.name]), stats };
  }

  private checkBatch(batch: TrainBatch): void {
    const { unrollLength: T, batchSize: B } = this.hp;
    const A = this.model.numActions;
    const [H, W, C] = this.model.inputShape;
    const want: [keyof TrainBatch, number, string][] = [
      ['obs', (T + 1) * B * H * W * C, `(T+1)·B·H·W·C = ${T + 1}·${B}·${H}·${W}·${C}`],
      ['actions', T * B, `T·B = ${T}·${B}`],
      ['rewards', T * B, `T·B = ${T}·${B}`],
      ['dones', T * B, `T·B = ${T}·${B}`],
      ['behaviourLogits', T * B * A, `T·B·A = ${T}·${B}·${A}`],
    ];
    for (const [field, n, dims] of want) {
      const got = batch[field]?.length;
      if (got !== n) {
        throw new RangeError(`train batch: ${field} must hold ${dims} = ${n} values (time-major, unrollLength ${T}, batchSize ${B}), got ${String(got)}`);
      }
    }
  }
}
