/** What the dashboard page receives (JSON over /dashboard/api/state and server-sent events). */

/** [frames, return, seconds since the run started]. */
export type EpisodeRow = [frames: number, ret: number, t: number];

export interface TrainRow {
  frames: number;
  t: number;
  fps?: number;
  inferenceBusy?: number;
  trainingBusy?: number;
  policyLag?: number;
  loss?: number;
  entropy?: number;
  meanReturn?: number;
}

export interface PlanEvent {
  t: number;
  event: string;
  actor: string;
  splitPoint?: number;
  /** Other actors the plan moved at this event. */
  moves: { actor: string; from: number | null; to: number }[];
  planner?: string;
}

export interface ActorView {
  id: string;
  connected: boolean;
  splitPoint: number;
  /** Device forward-pass FLOP/s the actor reported (its device class). */
  flops?: number;
  /** Link cap in bytes/s the actor reported (absent: unlimited). */
  linkCap?: number;
  /** Codec of its activations, once actors report one. */
  codec?: string;
  numEnvs?: number;
  stepsServed: number;
  stepsLocal: number;
  /** Bytes the learner received from / sent to this actor (all channels). */
  bytesUp: number;
  bytesDown: number;
  /** Recent bytes/s (live runs only). */
  upPerSec?: number;
  downPerSec?: number;
  restarts: number;
}

export interface RunInfo {
  dir: string;
  env?: string;
  mode?: string;
  seed?: number;
  targetFrames?: number;
  returnWindow: number;
  K?: number;
  live: boolean;
}

export interface Status {
  frames: number;
  fps?: number;
  inferenceBusy?: number;
  trainingBusy?: number;
  policyLag?: number;
  connected?: number;
  done: boolean;
  planner?: string;
  budgets?: Record<string, { used: number; budget: number }>;
}

export interface Snapshot {
  run: RunInfo;
  episodes: EpisodeRow[];
  train: TrainRow[];
  events: PlanEvent[];
  actors: ActorView[];
  status: Status;
}

export interface Delta {
  episodes: EpisodeRow[];
  train: TrainRow[];
  events: PlanEvent[];
  actors: ActorView[];
  status: Status;
}

/** The live learner's side (actors and counters); a finished run has none and reads summary.json. */
export interface LiveSource {
  K: number;
  actors(): ActorView[];
  status(): Status;
}
