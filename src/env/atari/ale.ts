/**
 * ALE semantics over one emulated console, frame by frame: the reset sequence, sticky actions drawn
 * every emulated frame, per-game reward/lives/terminal from RAM, the episode frame cap, and the
 * 160x210 screen cropped from Stella's frame the way ALE shows it. The preprocessing for agents
 * (frame skip, pooling, 84x84, stacking) lives in preprocessing.ts and env.ts.
 */
import { Rng } from '../../util/rng.js';
import { EnvError } from '../errors.js';
import { ACTION_BITS, A } from './actions.js';
import { JOY, type StellaCore, TIA_WIDTH } from './core.js';
import { GRAY_OF_INDEX } from './palette.js';
import type { RomSettings, RomTracker } from './rom-settings.js';

/** ALE's screen: 160 x 210. */
export const ALE_SCREEN_WIDTH = TIA_WIDTH;
export const ALE_SCREEN_HEIGHT = 210;
/**
 * First row of Stella 7's frame buffer that is ALE's row 0. ALE's Stella 3 core starts its 210-line
 * window 34 lines after VSYNC ends (Display.YStart 34); Stella 7 starts its buffer 23 lines after
 * VSYNC ends (FrameManager ystartNTSC). Checked with the project's own test ROM, whose first visible
 * line (37 lines after VSYNC) lands on ALE row 3.
 */
export const STELLA_ROW_OF_ALE_ROW_0 = 34 - 23;

export const ALE_RESET_NOOP_FRAMES = 60;
export const ALE_RESET_PRESS_FRAMES = 4;
export const ALE_DEFAULT_STICKY = 0.25;
export const ALE_DEFAULT_MAX_EPISODE_FRAMES = 108_000;

export interface AleOptions {
  /** Seeds sticky actions and Stella's power-on generator. */
  seed?: number;
  /** Probability that the previous action is repeated, checked every emulated frame (ALE v5: 0.25). */
  stickyActionProb?: number;
  /** Emulated frames per episode after which the episode is truncated (0 = no cap). */
  maxEpisodeFrames?: number;
}

/** One Atari game with ALE's rules; actions are indices of the 18 ALE actions. */
export class AleGame {
  readonly settings: RomSettings;
  readonly core: StellaCore;
  readonly stickyActionProb: number;
  readonly maxEpisodeFrames: number;
  readonly rng: Rng;
  private readonly tracker: RomTracker;
  private lastAction = A.NOOP;
  private episodeFrames = 0;
  private totalFrames = 0;

  constructor(core: StellaCore, settings: RomSettings, opts: AleOptions = {}) {
    const sticky = opts.stickyActionProb ?? ALE_DEFAULT_STICKY;
    if (!(sticky >= 0 && sticky <= 1)) {
      throw new EnvError(`atari/${settings.id}: stickyActionProb must be a probability in [0, 1], got ${sticky}`);
    }
    const cap = opts.maxEpisodeFrames ?? ALE_DEFAULT_MAX_EPISODE_FRAMES;
    if (!(Number.isInteger(cap) && cap >= 0)) {
      throw new EnvError(`atari/${settings.id}: maxEpisodeFrames must be a non-negative integer (0 = no cap), got ${cap}`);
    }
    this.core = core;
    this.settings = settings;
    this.stickyActionProb = sticky;
    this.maxEpisodeFrames = cap;
    this.rng = new Rng(opts.seed ?? 0);
    this.tracker = settings.createTracker();
  }

  /**
   * ALE's reset: power-cycle (Stella seeded from our generator), 60 NOOP frames, RESET held for 4
   * frames, the game's tracker reset, then the game's starting actions, one frame each.
   */
  resetGame(): void {
    this.core.reset(this.rng.nextU32());
    for (let i = 0; i < ALE_RESET_NOOP_FRAMES; i++) this.core.step(0);
    for (let i = 0; i < ALE_RESET_PRESS_FRAMES; i++) this.core.step(JOY.RESET);
    this.tracker.reset(this.core.ram());
    for (const a of this.settings.startingActions ?? []) {
      this.core.step(ACTION_BITS[a]!);
      this.tracker.step(this.core.ram());
    }
    this.lastAction = A.NOOP;
    this.episodeFrames = 0;
  }

  /**
   * Emulates one frame. With probability stickyActionProb the previous frame's action is repeated
   * instead of `action`. Returns the reward of this frame; `executedAction` says what was played.
   */
  act(action: number): number {
    if (this.stickyActionProb === 0 || this.rng.random() >= this.stickyActionProb) this.lastAction = action;
    this.core.step(ACTION_BITS[this.lastAction]!);
    this.tracker.step(this.core.ram());
    this.episodeFrames++;
    this.totalFrames++;
    return this.tracker.reward;
  }

  get executedAction(): number {
    return this.lastAction;
  }

  /** The game says it is over. */
  get terminal(): boolean {
    return this.tracker.terminal;
  }

  /** The frame cap was reached (and the game is not over by itself). */
  get truncated(): boolean {
    return !this.tracker.terminal && this.maxEpisodeFrames > 0 && this.episodeFrames >= this.maxEpisodeFrames;
  }

  /** ALE's lives(); for games without lives, 1 while running and 0 once over (this repository's Env convention). */
  get lives(): number {
    if (this.settings.hasLives) return this.tracker.lives;
    return this.tracker.terminal ? 0 : 1;
  }

  get episodeFrameNumber(): number {
    return this.episodeFrames;
  }

  get frameNumber(): number {
    return this.totalFrames;
  }

  /** The 128 bytes of RAM, live view. */
  ram(): Uint8Array {
    return this.core.ram();
  }

  /** ALE's screen as palette indices, 160 x 210, into `out` (allocated when omitted). */
  screen(out: Uint8Array = new Uint8Array(ALE_SCREEN_WIDTH * ALE_SCREEN_HEIGHT)): Uint8Array {
    const frame = this.core.frame();
    copyAleWindow(frame, this.core.frameHeight, out);
    return out;
  }

  /** ALE's grayscale screen (luminance of the NTSC palette), 160 x 210, into `out`. */
  screenGrayscale(out: Uint8Array = new Uint8Array(ALE_SCREEN_WIDTH * ALE_SCREEN_HEIGHT)): Uint8Array {
    const frame = this.core.frame();
    const height = this.core.frameHeight;
    for (let y = 0; y < ALE_SCREEN_HEIGHT; y++) {
      const src = y + STELLA_ROW_OF_ALE_ROW_0;
      const o = y * ALE_SCREEN_WIDTH;
      if (src >= height) {
        out.fill(0, o, o + ALE_SCREEN_WIDTH);
        continue;
      }
      const s = src * ALE_SCREEN_WIDTH;
      for (let x = 0; x < ALE_SCREEN_WIDTH; x++) out[o + x] = GRAY_OF_INDEX[frame[s + x]!]!;
    }
    return out;
  }
}

/** Copies ALE's 210-row window out of Stella's frame (rows beyond the frame read as black). */
export function copyAleWindow(frame: Uint8Array, frameHeight: number, out: Uint8Array): void {
  const w = ALE_SCREEN_WIDTH;
  const rows = Math.max(0, Math.min(ALE_SCREEN_HEIGHT, frameHeight - STELLA_ROW_OF_ALE_ROW_0));
  out.set(frame.subarray(STELLA_ROW_OF_ALE_ROW_0 * w, (STELLA_ROW_OF_ALE_ROW_0 + rows) * w), 0);
  out.fill(0, rows * w, ALE_SCREEN_HEIGHT * w);
}
