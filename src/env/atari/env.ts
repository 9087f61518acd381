/**
 * The Atari environment agents see: ALE semantics (ale.ts) plus the standard preprocessing of
 * DQN/IMPALA — frame skip 4 with a max over the last two emulated frames, ALE grayscale, area
 * resize 160x210 -> 84x84, a stack of the last 4 frames (HWC, uint8 [84, 84, 4]), up to 30 NOOP
 * steps after each reset, optional end of episode on life loss, optional reward clipping, and the
 * 108,000-emulated-frame cap reported as `truncated`.
 * The max, grayscale and resize run as one pass over the two screens' palette indices
 * (AreaResizer.resizeMaxGray), equal to doing them one after the other.
 */
import { EnvError, checkAction } from '../errors.js';
import type { ActionSpec, Env, MakeEnvOptions, ObservationSpec, StepResult } from '../types.js';
import { A, ALE_ACTION_NAMES, FULL_ACTION_SET } from './actions.js';
import { ALE_DEFAULT_MAX_EPISODE_FRAMES, ALE_DEFAULT_STICKY, ALE_SCREEN_HEIGHT, ALE_SCREEN_WIDTH, AleGame } from './ale.js';
import type { StellaCore } from './core.js';
import { AreaResizer, FrameStack } from './preprocessing.js';
import { GRAY_OF_INDEX } from './palette.js';
import type { RomSettings } from './rom-settings.js';

export const ATARI_OBS_SIZE = 84;

/** Options of atari/<game> beyond the shared MakeEnvOptions (pass an object of this type to makeEnv). */
export interface AtariEnvOptions extends MakeEnvOptions {
  /** Directory with ROM images (found by md5); default $COKNIGHT_ROM_DIR. */
  romDir?: string;
  /** Emulated frames per agent step (default 4); the observation is the max of the last two. */
  frameSkip?: number;
  /** Frames stacked into the observation (default 4). */
  frameStack?: number;
  /** After each reset, a uniformly random number 0..noopMax of NOOP steps (default 30). */
  noopMax?: number;
  /** End the episode (terminated) when a life is lost; the next reset continues the game. For training. */
  terminalOnLifeLoss?: boolean;
  /** Report sign(reward) instead of the game's reward. For training. */
  clipRewards?: boolean;
  /** Emulated frames per episode before truncation (default 108,000; 0 = none). */
  maxEpisodeFrames?: number;
}

export interface AtariEnvConfig {
  readonly frameSkip: number;
  readonly frameStack: number;
  readonly noopMax: number;
  readonly terminalOnLifeLoss: boolean;
  readonly clipRewards: boolean;
}

function checkInt(id: string, name: string, v: number, min: number): number {
  if (!(Number.isInteger(v) && v >= min)) throw new EnvError(`${id}: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Validates the options (cheap: call it before paying for a ROM load). */
export function checkAtariOptions(id: string, opts: AtariEnvOptions): { config: AtariEnvConfig; maxEpisodeSteps: number } {
  const frameSkip = checkInt(id, 'frameSkip', opts.frameSkip ?? 4, 1);
  const frameStack = checkInt(id, 'frameStack', opts.frameStack ?? 4, 1);
  const noopMax = checkInt(id, 'noopMax', opts.noopMax ?? 30, 0);
  const maxEpisodeSteps = checkInt(id, 'maxEpisodeSteps', opts.maxEpisodeSteps ?? Number.MAX_SAFE_INTEGER, 1);
  const sticky = opts.stickyActionProb ?? ALE_DEFAULT_STICKY;
  if (!(sticky >= 0 && sticky <= 1)) throw new EnvError(`${id}: stickyActionProb must be a probability in [0, 1], got ${sticky}`);
  const cap = opts.maxEpisodeFrames ?? ALE_DEFAULT_MAX_EPISODE_FRAMES;
  if (!(Number.isInteger(cap) && cap >= 0)) {
    throw new EnvError(`${id}: maxEpisodeFrames must be a non-negative integer (0 = no cap), got ${cap}`);
  }
  const config: AtariEnvConfig = {
    frameSkip,
    frameStack,
    noopMax,
    terminalOnLifeLoss: opts.terminalOnLifeLoss ?? false,
    clipRewards: opts.clipRewards ?? false,
  };
  return { config, maxEpisodeSteps };
}

export class AtariEnv implements Env {
  readonly id: string;
  readonly numActions: number;
  readonly actionSpec: ActionSpec;
  readonly observationShape: readonly number[];
  readonly observationSpec: ObservationSpec;
  readonly game: AleGame;
  readonly config: AtariEnvConfig;
  private readonly actionMap: readonly number[];
  private readonly obsLen: number;
  private readonly maxEpisodeSteps: number;
  private readonly resizer = new AreaResizer(ALE_SCREEN_WIDTH, ALE_SCREEN_HEIGHT, ATARI_OBS_SIZE, ATARI_OBS_SIZE);
  private readonly stack: FrameStack;
  /** The last two emulated screens of a step as palette indices: older, newer. */
  private screenA = new Uint8Array(ALE_SCREEN_WIDTH * ALE_SCREEN_HEIGHT);
  private screenB = new Uint8Array(ALE_SCREEN_WIDTH * ALE_SCREEN_HEIGHT);
  private episodeSteps = 0;
  private totalSteps = 0;
  private needsReset = true;
  /** The last episode ended on a life loss only: the next reset() continues the same game. */
  private lifeLossPending = false;
  private livesAtStepStart = 0;

  constructor(id: string, core: StellaCore, settings: RomSettings, opts: AtariEnvOptions = {}) {
    this.id = id;
    const { config, maxEpisodeSteps } = checkAtariOptions(id, opts);
    this.config = config;
    this.maxEpisodeSteps = maxEpisodeSteps;
    const { frameStack } = config;
    this.game = new AleGame(core, settings, {
      seed: opts.seed,
      stickyActionProb: opts.stickyActionProb,
      maxEpisodeFrames: opts.maxEpisodeFrames,
    });
    this.actionMap = opts.minimalActionSet === false ? FULL_ACTION_SET : settings.minimalActions;
    this.numActions = this.actionMap.length;
    this.actionSpec = { n: this.numActions, names: this.actionMap.map((a) => ALE_ACTION_NAMES[a]!) };
    this.observationShape = [ATARI_OBS_SIZE, ATARI_OBS_SIZE, frameStack];
    this.observationSpec = { shape: this.observationShape, dtype: 'uint8', binary: false };
    this.obsLen = ATARI_OBS_SIZE * ATARI_OBS_SIZE * frameStack;
    this.stack = new FrameStack(ATARI_OBS_SIZE * ATARI_OBS_SIZE, frameStack);
  }

  reset(seed?: number): Uint8Array {
    if (seed !== undefined) {
      this.game.seed(seed);
      this.lifeLossPending = false;
    }
    if (this.lifeLossPending) {
      // Only a life was lost: keep playing the same game, one NOOP step to move on.
      this.lifeLossPending = false;
      this.runStep(A.NOOP);
    } else {
      this.game.resetGame();
      const noops = this.config.noopMax > 0 ? this.game.rng.int(this.config.noopMax + 1) : 0;
      for (let i = 0; i < noops; i++) {
        this.runStep(A.NOOP);
        if (this.game.terminal) this.game.resetGame();
      }
      if (noops === 0) {
        this.game.screen(this.screenB);
        this.pushPooled(this.screenB, this.screenB);
      }
    }
    this.stack.fillWithNewest();
    this.episodeSteps = 0;
    this.needsReset = false;
    return this.observation();
  }

  step(action: number): StepResult {
    const executed = this.advance(action);
    const terminated = this.lastTerminated;
    const truncated = this.lastTruncated;
    return {
      observation: this.observation(),
      reward: this.lastReward,
      terminated,
      truncated,
      info: {
        lives: this.lives,
        episodeFrameNumber: this.episodeSteps,
        frameNumber: this.totalSteps,
        executedAction: executed,
      },
    };
  }

  /**
   * Lives as the Env interface reports them (types.ts): ALE's lives() for games with lives; for the
   * others 1 while running and 0 once over (ALE reports 0 throughout for those: `game.lives`).
   */
  get lives(): number {
    if (this.game.settings.hasLives) return this.game.lives;
    return this.game.terminal ? 0 : 1;
  }

  /** Reward of the last step, after clipping when enabled. */
  lastReward = 0;
  private lastTerminated = false;
  private lastTruncated = false;

  /** Steps without building a result: 0 running, 1 terminated, 2 truncated (VectorEnv's fast path). */
  stepFast(action: number): number {
    this.advance(action);
    return this.lastTerminated ? 1 : this.lastTruncated ? 2 : 0;
  }

  observeInto(out: Uint8Array, offset: number): void {
    this.stack.writeHWC(out, offset);
  }

  private advance(action: number): number {
    if (this.needsReset) {
      throw new EnvError(
        `${this.id}: step() called ${this.totalSteps === 0 ? 'before reset()' : 'after the episode ended (terminated or truncated)'}; call reset() to start a new episode`,
      );
    }
    checkAction(this.id, action, this.numActions, this.actionSpec.names);
    this.livesAtStepStart = this.game.lives;
    const reward = this.runStep(this.actionMap[action]!);
    this.episodeSteps++;
    this.totalSteps++;
    const gameOver = this.game.terminal;
    const lifeLost = this.config.terminalOnLifeLoss && !gameOver && this.game.lives < this.livesAtStepStart;
    this.lastTerminated = gameOver || lifeLost;
    this.lastTruncated = !this.lastTerminated && (this.game.truncated || this.episodeSteps >= this.maxEpisodeSteps);
    this.lifeLossPending = lifeLost && !this.lastTruncated;
    this.lastReward = this.config.clipRewards ? Math.sign(reward) : reward;
    if (this.lastTerminated || this.lastTruncated) this.needsReset = true;
    return this.game.executedAction;
  }

  /**
   * One agent step: frameSkip emulated frames (stopping early when the game ends), the sum of their
   * rewards, and the max of the last two frames' grayscale pushed onto the stack.
   */
  private runStep(aleAction: number): number {
    const skip = this.config.frameSkip;
    let reward = 0;
    let grabbed = 0;
    for (let k = 0; k < skip; k++) {
      reward += this.game.act(aleAction);
      const over = this.game.terminal || this.game.truncated;
      if (k >= skip - 2 || over) {
        // Keep the last two screens: screenA = older, screenB = newer (swap, then overwrite B).
        const t = this.screenA;
        this.screenA = this.screenB;
        this.screenB = t;
        this.game.screen(this.screenB);
        grabbed++;
      }
      if (over) break;
    }
    // One frame only (frame skip 1, or the game ended on the step's first frames): pool it with itself.
    this.pushPooled(grabbed === 1 ? this.screenB : this.screenA, this.screenB);
    return reward;
  }

  /** max(gray(a), gray(b)) resized to 84x84 becomes the newest stacked frame. */
  private pushPooled(a: Uint8Array, b: Uint8Array): void {
    this.resizer.resizeMaxGray(a, b, GRAY_OF_INDEX, this.stack.nextPlane());
    this.stack.push();
  }

  private observation(): Uint8Array {
    const out = new Uint8Array(this.obsLen);
    this.stack.writeHWC(out, 0);
    return out;
  }
}
