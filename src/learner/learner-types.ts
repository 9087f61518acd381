/** The Learner's options, the state it saves to a checkpoint, and its step accounting. */
import type { SplitCodecs } from './split-codecs.js';
import type { RunConfig } from '../config/schema.js';
import type { PolicyModel } from '../model/index.js';
import type { ServerTls } from '../transport/index.js';
import type { LearnerSink } from './sink.js';
import type { SplitPlanner } from './split-planner.js';
import type { CodecCheckpoint } from './codec-checkpoint.js';
import type { OptimizerSlot } from './train-step.js';

export interface LearnerOptions {
  readonly config: RunConfig;
  readonly token: string;
  readonly sink: LearnerSink;
  /** Builds the split planner once the model (and the learner's measured FLOP/s) are known. */
  /** `codecs`: the feature codecs of the run (distributed.codec), for a planner that prices them. */
  readonly planner: (model: PolicyModel, edgeFlops: number, codecs?: SplitCodecs) => SplitPlanner;
  readonly tls?: ServerTls;
}

/** Step counts whose identities (served = assembled + pending + dropped; assembled = trained + queued + discarded) must hold. */
export interface StepAccounting {
  readonly served: number;
  readonly assembled: number;
  readonly pending: number;
  readonly dropped: number;
  readonly duplicates: number;
  /** Pieces of unrolls that were already closed (replays), ignored and never counted as served. */
  readonly stale: number;
  readonly trained: number;
  readonly queued: number;
  readonly discarded: number;
  /** The part of `discarded` dropped because the unroll queue was full (the rest: after the frame budget). */
  readonly discardedQueueFull: number;
}

/** What a checkpoint holds of a learner. */
export interface LearnerState {
  readonly weights: Uint8Array;
  readonly optimizer: readonly OptimizerSlot[];
  readonly frames: number;
  readonly updates: number;
  /** The trained codec's state (codec-checkpoint.ts), when the learner trains one. */
  readonly codec?: CodecCheckpoint;
  /** The other codecs' states (distributed.codecs after the first), each under codec/<y>/<id>/. */
  readonly offPathCodecs?: readonly CodecCheckpoint[];
}
