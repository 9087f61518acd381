/**
 * An environment interface shaped like the Arcade Learning Environment, with Gymnasium's naming
 * (reset/step, terminated/truncated). Observations are compact uint8 arrays so that actors can ship
 * them over the network as they are.
 */

export interface ObservationSpec {
  /** Shape in HWC order, e.g. [10, 10, 4] for MinAtar Breakout or [84, 84, 4] for Atari. */
  readonly shape: readonly number[];
  readonly dtype: 'uint8';
  /** For one-hot/boolean grids: every value is 0 or 1 and the array may be bit-packed losslessly. */
  readonly binary: boolean;
  /** Optional per-channel names (MinAtar channels). */
  readonly channelNames?: readonly string[];
}

export interface ActionSpec {
  readonly n: number;
  /** Human-readable names in index order (ALE names: NOOP, FIRE, LEFT, ...). */
  readonly names: readonly string[];
}

export interface StepInfo {
  /** Lives left (games without lives report 1 while running, 0 once over). */
  readonly lives: number;
  /** Steps taken in this episode. */
  readonly episodeFrameNumber: number;
  /** Steps taken since the env was created. */
  readonly frameNumber: number;
  /** The action that was really executed after sticky actions, as an index of the full action set. */
  readonly executedAction: number;
}

export interface StepResult {
  readonly observation: Uint8Array;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly info: StepInfo;
}

export interface Env {
  readonly id: string;
  readonly numActions: number;
  readonly actionSpec: ActionSpec;
  readonly observationShape: readonly number[];
  readonly observationSpec: ObservationSpec;
  /** Starts a new episode. A seed re-seeds the env's generator; without one the stream continues. */
  reset(seed?: number): Uint8Array;
  step(action: number): StepResult;
  /** Writes the current observation into `out` at `offset` without allocating. */
  observeInto(out: Uint8Array, offset: number): void;
}

export interface MakeEnvOptions {
  seed?: number;
  /** Probability that the previous action is repeated instead of the chosen one (MinAtar 0.1, ALE 0.25). */
  stickyActionProb?: number;
  /** Use the game's minimal action set instead of the full one. */
  minimalActionSet?: boolean;
  /** MinAtar: make the game harder as it goes on (default true). */
  difficultyRamping?: boolean;
  /** Episode step cap; reaching it sets `truncated` (default 108,000 for MinAtar). */
  maxEpisodeSteps?: number;
  /** Atari: directory with ROM images (default $COKNIGHT_ROM_DIR); ignored by MinAtar. */
  romDir?: string;
  /** Atari: a lost life ends the episode (for training); ignored by games without lives. */
  terminalOnLifeLoss?: boolean;
}

export interface EnvDescription {
  readonly id: string;
  readonly family: 'minatar' | 'minatar-pixels' | 'atari';
  readonly description: string;
}
