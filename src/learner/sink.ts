/**
 * What a learner reports, to whoever runs it (run/ writes files and draws the screen; tests keep it
 * in memory). The learner itself does no IO: it calls these and carries on.
 */
import type { TrainStats } from './train-step.js';

export interface EpisodeReport {
  readonly ret: number;
  readonly length: number;
  /** Actor id and env index, in distributed runs. */
  readonly actor?: string;
  readonly env?: number;
}

export interface UpdateReport {
  readonly stats: TrainStats;
  /** Updates done so far, including this one. */
  readonly updates: number;
  /** Mean policy lag of this batch, in updates. */
  readonly policyLag: number;
  readonly inferenceBusy: number;
  readonly trainingBusy: number;
}

export interface LearnerSink {
  episode(e: EpisodeReport): void;
  /** After every update; the train loop waits for a returned promise (a checkpoint, say) before the next. */
  update(u: UpdateReport): void | Promise<void>;
  /** Joins, leaves, moves, rejected uploads: one JSON-able object each. */
  event(e: Record<string, unknown>): void;
  log(message: string): void;
}

/** A sink that drops everything (library use and tests that only read the learner's counters). */
export const nullSink: LearnerSink = {
  episode: () => undefined,
  update: () => undefined,
  event: () => undefined,
  log: () => undefined,
};
