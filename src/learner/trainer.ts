/** What the learner needs of its trainer: TrainStep on the main thread, WorkerTrainStep in a worker. */
import type { TrainBatch } from './batch.js';
import type { RangeStats } from '../codec/index.js';
import type { LearnerHyperParams } from './hyperparams.js';

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
  /** With a feature codec attached: its reconstruction loss in this update. */
  readonly codecReconstruction?: number;
}

/** One optimizer slot as stored in a checkpoint. */
export interface OptimizerSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface Trainer {
  readonly hp: LearnerHyperParams;
  /** Environment frames consumed so far (drives the learning-rate schedule). */
  frames: number;
  /** 'main' or 'worker': where updates run. */
  readonly thread: 'main' | 'worker';
  /** One update; the batch's arrays may be handed to another thread (do not reuse them). */
  step(batch: TrainBatch): Promise<TrainStats>;
  getOptimizerState(): Promise<OptimizerSlot[]>;
  setOptimizerState(slots: readonly OptimizerSlot[]): Promise<void>;
  /** The trained feature codecs' checkpoint states (none without codecs). */
  saveCodecs(): Promise<CodecCheckpoints>;
  /**
   * Continues the codecs from a checkpoint: the main codec from `codec`, each off-path one that
   * `offPathCodecs` holds (codec-checkpoint.ts); a codec without a saved state keeps its seeded start.
   */
  restoreCodecs(s: CodecCheckpoints): Promise<void>;
  /** The model's weights were set outside training (a restore): the next update starts from them. */
  weightsChanged(): void;
  dispose(): void;
}

/** The codec states a checkpoint carries beside the model's (LearnerState's fields of the same names). */
export interface CodecCheckpoints {
  readonly codec?: CodecCheckpoint;
  readonly offPathCodecs?: readonly CodecCheckpoint[];
}

export interface CodecCheckpointMeta {
  readonly y: number;
  readonly codec: string;
  readonly version: number;
  readonly range: RangeStats;
  /** Codec updates seen (drives the two-stage schedule). */
  readonly updates: number;
}

export interface CodecCheckpoint {
  readonly meta: CodecCheckpointMeta;
  /** Named `codec/var<i>` (the codec's variables in order), `codec/iterations`, `codec/var<i>/rms|momentum`. */
  readonly arrays: readonly OptimizerSlot[];
}
