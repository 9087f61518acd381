/**
 * One IMPALA learner update: forward the current network over a batch of unrolls, V-trace targets
 * from its logits and values, the IMPALA loss, gradients (accumulated over micro-batches of columns
 * when asked), global-norm clipping, and an RMSProp step with a linearly annealed learning rate.
 *
 * RMSProp: tf.train.rmsprop puts ε inside the square root, like TF1's RMSPropOptimizer that
 * scalable_agent uses (Δ = lr·g / sqrt(ms + ε)), not outside like Keras/PyTorch (lr·g / (sqrt(ms) + ε)).
 * TF1 starts ms at 1 and tfjs at 0; `rmspropInitialMeanSquare: 'ones'` (default) restores TF1's start
 * through the optimizer's public setWeights.
 *
 * V-trace is computed from the network outputs as constants for the loss (as the stop_gradient in
 * scalable_agent): on a GPU backend as tensor ops detached from the gradient tape, so nothing is read
 * back until the update's statistics, once per update; on in-process backends (wasm, cpu) in plain JS
 * on outputs copied back, which is cheaper there (vtrace-inputs.ts says why). Columns are independent in V-trace and the loss is a sum, so
 * micro-batching gives the same gradient as the whole batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '../backend/gradients.js';
import type { PolicyModel } from '../model/index.js';
import { impalaLoss } from '../vtrace/impala-loss.js';
import { sliceBatchColumns, type TrainBatch } from './batch.js';
import type { CodecTrainer } from './codec-training.js';
import { clipScale, squaredGlobalNorm } from './grad-clip.js';
import { resolveLearnerHyperParams, type LearnerHyperParams } from './hyperparams.js';
import { AnnealedRmsProp, linearAnnealedLr } from './schedule.js';
import { resolveVtraceOn, vtraceForLoss, type VtraceOn } from './vtrace-inputs.js';
import type { CodecCheckpoints, OptimizerSlot, Trainer, TrainStats } from './trainer.js';
import { loadCodecState, loadOffPathCodecStates, saveCodecState, saveOffPathCodecStates } from './codec-checkpoint.js';

/** Observations an off-path codec update looks at: enough for its statistics, bounded in cost. */
const OFF_PATH_SAMPLES = 256;

export type { OptimizerSlot, TrainStats } from './trainer.js';

/** The per-update sums, in the order chunkGradients stacks them (loss first, from variableGrads). */
const STATS = ['loss', 'pgLoss', 'baselineLoss', 'entropyLoss', 'vs', 'adv', 'rho'] as const;

export class TrainStep implements Trainer {
  readonly thread = 'main' as const;
  readonly hp: LearnerHyperParams;
  /** Environment frames consumed so far (drives the learning-rate schedule). */
  frames = 0;
  private readonly optimizer: AnnealedRmsProp;
  private readonly vars: tf.Variable[];
  /** Where V-trace runs (vtrace-inputs.ts); 'auto' decides per update from the active backend. */
  vtraceOn: VtraceOn = 'auto';
  /** A feature codec trained with the model (codec-training.ts); its variables follow `vars`. */
  private codec: CodecTrainer | undefined;
  private readonly offPath: CodecTrainer[] = [];
  /**
   * Float observations of a chunk, reused across updates on wasm, whose tensors copy their values
   * onto the heap (the cpu backend would keep a reference, so there each chunk gets a fresh array).
   */
  private obsScratch: Float32Array | undefined;

  private constructor(
    readonly model: PolicyModel,
    hp: LearnerHyperParams,
  ) {
    this.hp = hp;
    this.vars = model.variables;
    this.optimizer = new AnnealedRmsProp(hp.learningRate, hp.rmspropDecay, hp.rmspropMomentum, hp.rmspropEpsilon, false);
  }

  /** Build a train step for `model`; overrides go onto DEFAULT_LEARNER_HYPERPARAMS. */
  static async create(model: PolicyModel, overrides: Partial<LearnerHyperParams> = {}, vtraceOn: VtraceOn = 'auto'): Promise<TrainStep> {
    const step = new TrainStep(model, resolveLearnerHyperParams(overrides));
    step.vtraceOn = vtraceOn;
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

  /**
   * Optimizer state for checkpoints: 'iterations', then '<variable>/rms' and '<variable>/momentum'
   * per variable, named by the model's stable variable names.
   */
  async getOptimizerState(): Promise<OptimizerSlot[]> {
    const weights = await this.optimizer.getWeights();
    const n = this.vars.length;
    if (weights.length !== 1 + 2 * n) throw new Error(`optimizer holds ${weights.length - 1} slots, expected ${2 * n}`);
    const names = this.model.variableNames;
    const out: OptimizerSlot[] = [{ name: 'iterations', shape: [], data: Float32Array.from(await weights[0].tensor.data()) }];
    weights[0].tensor.dispose(); // getWeights makes a fresh scalar for the iteration count
    for (let i = 0; i < 2 * n; i++) {
      const t = weights[1 + i].tensor;
      out.push({ name: `${names[i % n]}/${i < n ? 'rms' : 'momentum'}`, shape: [...t.shape], data: Float32Array.from(await t.data()) });
    }
    return out;
  }

  /** Restore what getOptimizerState returned (same network spec); names and shapes are checked. */
  async setOptimizerState(slots: readonly OptimizerSlot[]): Promise<void> {
    const names = this.model.variableNames;
    const byName = new Map(slots.map((s) => [s.name, s]));
    // validate everything before creating any tensor, so a bad state leaks nothing
    const take = (name: string, shape: readonly number[]): OptimizerSlot => {
      const s = byName.get(name);
      if (!s) throw new Error(`optimizer state has no '${name}'; was it saved from a ${this.model.spec} model?`);
      if (s.shape.join('x') !== shape.join('x')) {
        throw new Error(`optimizer state '${name}' has shape [${s.shape.join(', ')}], expected [${shape.join(', ')}]`);
      }
      const size = shape.reduce((a, b) => a * b, 1);
      if (s.data.length !== size) throw new Error(`optimizer state '${name}' holds ${s.data.length} values, but its shape [${shape.join(', ')}] needs ${size}`);
      for (const v of s.data) if (!Number.isFinite(v)) throw new Error(`optimizer state '${name}' holds a non-finite value (${v})`);
      return s;
    };
    const iterations = take('iterations', []).data[0];
    const rms = this.vars.map((v, i) => take(`${names[i]}/rms`, v.shape));
    const momentum = this.vars.map((v, i) => take(`${names[i]}/momentum`, v.shape));
    const toTensor = (s: OptimizerSlot): tf.Tensor => tf.tensor(s.data, [...s.shape], 'float32');
    await this.loadSlots(iterations, rms.map(toTensor), momentum.map(toTensor));
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

  /** The model it trains is the one it was given: nothing to copy. */
  weightsChanged(): void {}

  async saveCodecs(): Promise<CodecCheckpoints> {
    return {
      ...(this.codec ? { codec: await saveCodecState(this.codec) } : {}),
      ...(this.offPath.length ? { offPathCodecs: await saveOffPathCodecStates(this.offPath) } : {}),
    };
  }

  async restoreCodecs(s: CodecCheckpoints): Promise<void> {
    // A codec state without a codec in this run is left out (the model weights stand alone).
    if (this.codec && s.codec) await loadCodecState(this.codec, s.codec);
    await loadOffPathCodecStates(this.offPath, s.offPathCodecs ?? []);
  }

  /** Every attached codec, the main one first: the order a training worker reports their states in. */
  get codecTrainers(): readonly CodecTrainer[] {
    return this.codec ? [this.codec, ...this.offPath] : this.offPath;
  }

  /** The codec trained with the model, if one is attached. */
  get codecTrainer(): CodecTrainer | undefined {
    return this.codec;
  }

  /** Trains `codec` with the model from the next update on (the forward pass goes through it). */
  attachCodec(codec: CodecTrainer): void {
    this.codec = codec;
  }

  /** Codecs off the forward path (distributed.codecs after the first): updated after each update. */
  get offPathTrainers(): readonly CodecTrainer[] {
    return this.offPath;
  }

  attachOffPathCodecs(trainers: readonly CodecTrainer[]): void {
    this.offPath.push(...trainers);
  }

  /** One off-path update of each such codec on the batch's first observations (at most OFF_PATH_SAMPLES). */
  private updateOffPath(batch: TrainBatch, lr: number): void {
    const S = this.model.inputShape.reduce((a, b) => a * b, 1);
    const n = Math.min(OFF_PATH_SAMPLES, batch.obs.length / S);
    const x = this.model.activationTensor(batch.obs.subarray(0, n * S), n, 0);
    for (const t of this.offPath) t.offPathUpdate(x, lr, this.hp.gradClipNorm);
    x.dispose();
  }

  /** Variables this update differentiates: the model's (unless frozen), then the codec's. */
  private trainVars(): tf.Variable[] {
    if (!this.codec) return this.vars;
    return [...(this.codec.backboneTrains ? this.vars : []), ...this.codec.variables()];
  }

  /** The learning rate the next update will use. */
  get learningRate(): number {
    return this.hp.annealLearningRate ? linearAnnealedLr(this.hp.learningRate, this.frames, this.hp.totalFrames) : this.hp.learningRate;
  }

  /**
   * One update. Everything stays on the backend until the end, where the loss terms and the gradient
   * norm come back in one read (a GPU backend allows only async reads, and each costs a round trip).
   */
  async step(batch: TrainBatch): Promise<TrainStats> {
    const { unrollLength: T, batchSize: B } = this.hp;
    this.checkBatch(batch);
    const micro = this.hp.microBatchSize > 0 ? Math.min(this.hp.microBatchSize, B) : B;
    let summed: tf.Tensor[] | null = null;
    let sums: tf.Tensor1D | null = null;
    for (let b0 = 0; b0 < B; b0 += micro) {
      const { grads, stats } = outOfMemoryHint(() => this.chunkGradients(batch, b0, Math.min(B, b0 + micro)), micro, T);
      if (summed === null || sums === null) {
        [summed, sums] = [grads, stats];
      } else {
        const [prev, prevSums]: [tf.Tensor[], tf.Tensor1D] = [summed, sums];
        summed = prev.map((g, i) => tf.add(g, grads[i]));
        sums = tf.add(prevSums, stats) as tf.Tensor1D;
        tf.dispose([...prev, ...grads, prevSums, stats]);
      }
    }
    const accumulated = summed as tf.Tensor[];
    const packed = tf.tidy(() => tf.concat([sums as tf.Tensor1D, tf.reshape(squaredGlobalNorm(accumulated), [1])]));
    tf.dispose(sums as tf.Tensor1D);
    const host = await packed.data();
    packed.dispose();
    const [loss, pgLoss, baselineLoss, entropyLoss, vs, adv, rho] = Array.from(host.subarray(0, STATS.length));
    const gradNorm = Math.sqrt(host[STATS.length]);
    const lr = this.learningRate;
    const n = T * B;
    const report = (norm: number, skipped: boolean): TrainStats => ({
      loss,
      pgLoss,
      baselineLoss,
      entropyLoss,
      entropy: -entropyLoss / n,
      gradNorm: norm,
      lr,
      meanVs: vs / n,
      meanPgAdvantage: adv / n,
      meanRho: rho / n,
      frames: this.frames,
      version: this.model.version,
      ...(skipped ? { skipped: true } : {}),
    });
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      // A non-finite loss or gradient would poison every weight: skip the update instead.
      tf.dispose(accumulated);
      return report(NaN, true);
    }
    const scale = clipScale(gradNorm, this.hp.gradClipNorm);
    const vars = this.trainVars();
    const nModel = this.codec && !this.codec.backboneTrains ? 0 : this.vars.length;
    if (nModel > 0) {
      this.optimizer.setLearningRate(lr * (this.codec?.lrScale ?? 1));
      this.optimizer.applyScaledGradients(
        this.vars.map((v, i) => ({ name: v.name, tensor: accumulated[i]! })),
        scale,
      );
    }
    if (this.codec) {
      // The codec follows the model's schedule (annealed, not scaled by the two-stage fine-tuning factor).
      this.codec.optimizer.setLearningRate(lr);
      this.codec.optimizer.applyScaledGradients(
        vars.slice(nModel).map((v, i) => ({ name: v.name, tensor: accumulated[nModel + i]! })),
        scale,
      );
      this.codec.updates++;
    }
    tf.dispose(accumulated);
    if (this.offPath.length > 0) this.updateOffPath(batch, lr);
    // Inference that reads the weights elsewhere (the ONNX runner) re-reads them after this.
    this.model.markUpdated();

    this.frames += T * B * this.hp.actionRepeat;
    this.model.version += 1;
    const r = report(gradNorm, false);
    return this.codec ? { ...r, codecReconstruction: this.codec.lastReconstruction } : r;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.codec?.dispose();
    for (const t of this.offPath) t.dispose();
  }

  /** Gradients (in this.vars order) and the STATS sums, as a tensor, for batch columns b0..b1−1. */
  private chunkGradients(batch: TrainBatch, b0: number, b1: number): { grads: tf.Tensor[]; stats: tf.Tensor1D } {
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
      tf.getBackend() === 'wasm' ? this.obsScratch : undefined,
    );
    if (tf.getBackend() === 'wasm') this.obsScratch = obs;

    const on = resolveVtraceOn(this.vtraceOn);
    let terms: tf.Tensor1D | undefined;
    const vars = this.trainVars();
    const { value, grads } = tf.variableGrads(() => {
      const x = tf.tensor4d(obs, [(T + 1) * Bc, H, W, C]);
      const coded = this.codec?.forward(x);
      const out = coded ? coded.out : this.model.forward(x);
      const n = T * Bc;
      const logits = tf.slice(out.logits, [0, 0], [n, A]);
      const values = tf.slice(out.value, [0], [n]);
      const vt = vtraceForLoss(on, {
        T,
        B: Bc,
        targetLogits: logits,
        values,
        bootstrapValue: tf.slice(out.value, [n], [Bc]),
        behaviourLogits,
        actions,
        discounts,
        rewards,
        clipRhoThreshold: this.hp.clipRhoThreshold,
        clipPgRhoThreshold: this.hp.clipPgRhoThreshold,
        clipCThreshold: this.hp.clipCThreshold,
        lambda: this.hp.lambda,
      });
      const loss = impalaLoss({
        logits,
        values,
        actions,
        vs: vt.vs,
        pgAdvantages: vt.pgAdvantages,
        baselineCost: this.hp.baselineCost,
        entropyCost: this.hp.entropyCost,
      });
      // off the path to the loss, so the backward pass ignores it
      terms = tf.keep(tf.concat([tf.stack([loss.pgLoss, loss.baselineLoss, loss.entropyLoss]), vt.sums]) as tf.Tensor1D);
      return coded ? (tf.add(loss.total, coded.reconstruction) as tf.Scalar) : loss.total;
    }, vars);
    const stats = tf.tidy(() => tf.concat([tf.reshape(value, [1]), terms as tf.Tensor1D]) as tf.Tensor1D);
    tf.dispose([value, terms as tf.Tensor1D]);
    // A variable the loss does not reach (none here) would have no entry: give it a zero gradient.
    return { grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)), stats };
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

/**
 * A batch whose activations do not fit the backend's memory (the wasm heap stops at 4 GiB) fails deep
 * inside a kernel with a bare RangeError; say what to change instead.
 */
export function outOfMemoryHint<T>(f: () => T, micro: number, T: number): T {
  try {
    return f();
  } catch (e) {
    const m = (e as Error).message ?? '';
    if (!(e instanceof RangeError) || !/Invalid typed array length|Array buffer allocation failed|out of memory/i.test(m)) throw e;
    throw new RangeError(
      `a training step on ${micro} × ${T + 1} frames ran out of the backend's memory (${m}): set hyper.microBatchSize to ${Math.max(1, Math.floor(micro / 4))} ` +
        '(the update accumulates its gradients over chunks of that many unrolls: same update, less memory) or lower hyper.batchSize',
      { cause: e },
    );
  }
}
