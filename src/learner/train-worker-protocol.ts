/**
 * Messages between the learner's main thread and its training worker (worker-train-step.ts and
 * train-worker-main.ts). Weights travel as one Float32Array of every variable in the model's
 * `variables` order, its buffer transferred, not copied.
 */
import type { CodecState } from '../codec/index.js';
import type { NetworkSpec } from '../model/index.js';
import type { CodecTrainingOptions } from './codec-training.js';
import type { TrainBatch } from './batch.js';
import type { LearnerHyperParams } from './hyperparams.js';
import type { CodecCheckpoints, OptimizerSlot, TrainStats } from './trainer.js';

/**
 * The feature codecs that train with the model, main one first (split-codecs.ts): each rebuilt in
 * the worker at split point y and loaded from the main thread's state (weights and first range).
 */
export interface TrainWorkerCodecs {
  readonly entries: readonly { readonly y: number; readonly state: CodecState }[];
  readonly training: CodecTrainingOptions;
}

/** workerData: what the worker needs to build the same network and optimizer. */
export interface TrainWorkerInit {
  readonly spec: NetworkSpec;
  readonly inputShape: readonly [number, number, number];
  readonly numActions: number;
  readonly seed: number;
  readonly hyper: LearnerHyperParams;
  /** The main thread's backend ('native', 'wasm' or 'cpu'): the worker trains on the same one. */
  readonly backend: 'native' | 'wasm' | 'cpu';
  readonly threads: number;
  readonly codecs?: TrainWorkerCodecs;
}

export type TrainWorkerRequest =
  | {
      readonly kind: 'step';
      readonly id: number;
      readonly batch: TrainBatch;
      /** Frames and version the update starts from (the main thread's, which a restore may have set). */
      readonly frames: number;
      readonly version: number;
      /** Every variable's values, when the main thread's weights changed outside training (start, restore). */
      readonly weights?: { readonly names: readonly string[]; readonly data: Float32Array };
    }
  | { readonly kind: 'getOptimizer'; readonly id: number }
  | { readonly kind: 'setOptimizer'; readonly id: number; readonly slots: readonly OptimizerSlot[] }
  | { readonly kind: 'saveCodecs'; readonly id: number }
  | { readonly kind: 'restoreCodecs'; readonly id: number; readonly saved: CodecCheckpoints };

export type TrainWorkerReply =
  | { readonly kind: 'ready' }
  | {
      readonly kind: 'stepped';
      readonly id: number;
      readonly stats: TrainStats;
      readonly frames: number;
      readonly weights?: Float32Array;
      /** The codecs' weights and ranges after the update, in TrainWorkerCodecs order. */
      readonly codecs?: readonly CodecState[];
    }
  | { readonly kind: 'optimizer'; readonly id: number; readonly slots: OptimizerSlot[] }
  | { readonly kind: 'done'; readonly id: number }
  | { readonly kind: 'codecsSaved'; readonly id: number; readonly saved: CodecCheckpoints }
  | { readonly kind: 'codecsRestored'; readonly id: number; readonly codecs: readonly CodecState[] }
  | { readonly kind: 'error'; readonly id: number; readonly name: string; readonly message: string };
