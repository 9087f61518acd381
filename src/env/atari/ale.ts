/**
 * ALE semantics over one emulated console, frame by frame (ALE src/ale/environment/stella_environment.cpp):
 * power-on RAM, the reset sequence with mode selection, sticky actions drawn every emulated frame, per-game reward/lives/terminal from RAM, the episode frame cap, and the
 * 160x210 screen cropped from Stella's frame the way ALE shows it. The preprocessing for agents
 * (frame skip, pooling, 84x84, stacking) lives in preprocessing.ts and env.ts.
 */
import { Rng } from '../../util/rng.js';
import { EnvError } from '../errors.js';
import { ACTION_BITS, A } from './actions.js';
import { JOY, type StellaCore, TIA_WIDTH } from './core.js';
import { GRAY_OF_INDEX } from './palette.js';
import { Mt19937, alePowerOnRam } from './mt19937.js';
import type { RomSettings, RomTracker } from './rom-settings.js';

/** ALE's screen: 160 x 210. */
export const ALE_SCREEN_WIDTH = TIA_WIDTH;
export const ALE_SCREEN_HEIGHT = 210;
/** ALE's default Display.YStart: the screen starts 34 scanlines after VSYNC (Props.cxx:305; TIA.cxx:230-240). */
export const ALE_DEFAULT_Y_START = 34;
/** Stella 7 starts its frame buffer 23 scanlines after VSYNC ends (FrameManager ystartNTSC). */
export const STELLA_FRAME_Y_START = 23;
/**
 * First row of Stella 7's frame buffer that is ALE's row 0 for a game with the default YStart.
 * Checked with the project's own test ROM, whose first visible line (37 lines after VSYNC) lands on ALE row 3.
 */
export const STELLA_ROW_OF_ALE_ROW_0 = ALE_DEFAULT_Y_START - STELLA_FRAME_Y_START;

/** The Stella row of ALE's row 0 for a game: its Display.YStart (DefProps.hxx) less Stella 7's 23. */
export function stellaRowOfAleRow0(settings: Pick<RomSettings, 'screenYStart'>): number {
  return (settings.screenYStart ?? ALE_DEFAULT_Y_START) - STELLA_FRAME_Y_START;
}

/** stella_environment.cpp:111 (noopSteps = 60). */
export const ALE_RESET_NOOP_FRAMES = 60;
/** stella_environment.cpp:51 (m_num_reset_steps = 4): frames RESET is held by softReset. */
export const ALE_RESET_PRESS_FRAMES = 4;
/** Frames ALE's Console constructor runs to detect NTSC/PAL before the first reset (Console.cxx:148-155). */
export const ALE_AUTODETECT_FRAMES = 60;
export const ALE_DEFAULT_STICKY = 0.25;
export const ALE_DEFAULT_MAX_EPISODE_FRAMES = 108_000;
/**
 * ALE's setMode loops until the mode shows, forever if it never does; we stop after this many SELECT
 * presses (the largest mode count among ALE's games is Asteroids' 33) and say so.
 */
export const MAX_SELECT_PRESSES = 256;

export interface AleOptions {
  /**
   * Seeds sticky actions (ALE's `random_seed`: an mt19937 drawn twice per frame, as ALE does) and the
   * generator that seeds Stella's power cycle.
   */
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
  /** Seeds the power cycles; the env also draws its no-op starts from it. */
  readonly rng: Rng;
  /** ALE's environment generator (stella_environment.cpp:55-63): sticky-action draws only. */
  readonly stickyRng: Mt19937;
  private readonly tracker: RomTracker;
  private readonly rowOffset: number;
  private lastAction = A.NOOP;
  private episodeFrames = 0;
  private totalFrames = 0;
  private poweredOn = false;
  /** Frames the last resetGame() emulated (JOY bits held, and whether the tracker read the RAM after it). */
  readonly lastResetTrace: { bits: number; stepped: boolean }[] = [];
  /** SELECT presses the last resetGame() made to reach the default mode. */
  lastSelectPresses = 0;

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
    this.stickyRng = new Mt19937((opts.seed ?? 0) >>> 0);
    this.tracker = settings.createTracker();
    this.rowOffset = stellaRowOfAleRow0(settings);
  }

  /** Re-seeds both generators (as a new ALE with `random_seed` = seed would be). */
  seed(seed: number): void {
    this.rng.seed(seed);
    this.stickyRng.seed(seed >>> 0);
  }

  /** One frame of ALE's emulate(): the bits held, then RomSettings::step on the RAM (stella_environment.cpp:294-303). */
  private emulate(bits: number, frames = 1, step = true): void {
    for (let i = 0; i < frames; i++) {
      this.core.step(bits);
      if (step) this.tracker.step(this.core.ram());
      this.lastResetTrace.push({ bits, stepped: step });
    }
  }

  /** ALE's softReset: RESET held 4 frames, then the previous action is NOOP (stella_environment.cpp:205-211). */
  private softReset(): void {
    this.emulate(JOY.RESET, ALE_RESET_PRESS_FRAMES);
    this.lastAction = A.NOOP;
  }

  /**
   * ALE's System::reset keeps the RIOT's RAM (M6532::reset does not touch it: M6532.cxx:61-72), while
   * Stella 7's clears it: power-cycle, then put the RAM back.
   */
  private systemReset(): void {
    const ram = this.core.ram().slice();
    this.core.reset(this.rng.nextU32());
    for (let i = 0; i < 128; i++) this.core.writeRam(i, ram[i]!);
  }

  /**
   * ALE's StellaEnvironment::reset (stella_environment.cpp:101-130), frame for frame:
   * System::reset; 60 NOOP frames; softReset (RESET 4 frames); RomSettings::reset; setMode(default):
   * for games that override it, SELECT presses until the mode shows, then softReset; softReset again;
   * the game's starting actions, one frame each. The tracker reads RAM after every frame except the
   * SELECT frames themselves (pressSelect runs them outside emulate: stella_environment.cpp:257-266).
   * The first reset also builds ALE's power-on state: RAM from ALE's generator (alePowerOnRam), the
   * 60 frames ALE's Console constructor runs to detect the TV format, and the reset ALE's loadROM does.
   */
  resetGame(): void {
    if (!this.poweredOn) {
      // ALE's console: power-on RAM, then the TV-format detection frames (Console.cxx:148-155).
      this.core.reset(this.rng.nextU32());
      const ram = alePowerOnRam();
      for (let i = 0; i < 128; i++) this.core.writeRam(i, ram[i]!);
      this.emulate(0, ALE_AUTODETECT_FRAMES, false);
      this.poweredOn = true;
      // ALEInterface::loadROM resets the environment once itself (ale_interface.cpp:165), before the
      // user's first reset_game(): so the first episode follows two reset sequences, as here.
      this.resetSequence();
    }
    this.resetSequence();
  }

  private resetSequence(): void {
    this.lastResetTrace.length = 0;
    this.episodeFrames = 0; // stella_environment.cpp:102
    this.systemReset(); // :107
    this.emulate(0, ALE_RESET_NOOP_FRAMES); // :111-113
    this.softReset(); // :115
    this.tracker.reset(this.core.ram()); // :118
    this.lastSelectPresses = 0;
    const ms = this.settings.modeSelect;
    if (ms) {
      // The game's setMode (e.g. Breakout.cpp:117-133), called at stella_environment.cpp:121-122.
      while (!ms.reached(this.core.ram())) {
        if (this.lastSelectPresses >= MAX_SELECT_PRESSES) {
          throw new EnvError(
            `atari/${this.settings.id}: pressed SELECT ${MAX_SELECT_PRESSES} times and the RAM never showed the default mode ` +
              `${ms.defaultMode} (${ms.describe}); is this the ROM the settings were written for (md5 ${this.settings.md5})? ` +
              'Fix modeSelect.reached in its RomSettings, or drop modeSelect if the game has no modes.',
          );
        }
        // pressSelect(n): SELECT held n frames without RomSettings::step, then one NOOP frame through
        // emulate, and the frame counters move on by one (stella_environment.cpp:257-266).
        this.emulate(JOY.SELECT, ms.selectFrames, false);
        this.emulate(0);
        this.episodeFrames++;
        this.totalFrames++;
        this.lastSelectPresses++;
      }
      this.tracker.modeSet?.();
      this.softReset();
    }
    this.softReset(); // :123
    for (const a of this.settings.startingActions ?? []) this.emulate(ACTION_BITS[a]!); // :126-129
    this.lastAction = A.NOOP;
  }

  /**
   * Emulates one frame. With probability stickyActionProb the previous frame's action is repeated
   * instead of `action` (ALE draws twice per frame, for player A then player B:
   * stella_environment.cpp:172-180). Returns the reward of this frame; `executedAction` says what was played.
   */
  act(action: number): number {
    const drawA = this.stickyRng.nextDouble();
    this.stickyRng.nextDouble(); // player B's draw
    if (drawA >= this.stickyActionProb) this.lastAction = action;
    // oneStepAct: once terminal (or truncated) ALE refuses to emulate further (stella_environment.cpp:220-221).
    if (this.tracker.terminal || this.truncated) return 0;
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

  /** ALE's lives() exactly: 0 throughout for Pong, Enduro, Freeway and Boxing, as in ALE. */
  get lives(): number {
    return this.tracker.lives;
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
    copyAleWindow(frame, this.core.frameHeight, out, this.rowOffset);
    return out;
  }

  /** ALE's grayscale screen (luminance of the NTSC palette), 160 x 210, into `out`. */
  screenGrayscale(out: Uint8Array = new Uint8Array(ALE_SCREEN_WIDTH * ALE_SCREEN_HEIGHT)): Uint8Array {
    const frame = this.core.frame();
    const height = this.core.frameHeight;
    for (let y = 0; y < ALE_SCREEN_HEIGHT; y++) {
      const src = y + this.rowOffset;
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
export function copyAleWindow(frame: Uint8Array, frameHeight: number, out: Uint8Array, rowOffset = STELLA_ROW_OF_ALE_ROW_0): void {
  const w = ALE_SCREEN_WIDTH;
  const rows = Math.max(0, Math.min(ALE_SCREEN_HEIGHT, frameHeight - rowOffset));
  out.set(frame.subarray(rowOffset * w, (rowOffset + rows) * w), 0);
  out.fill(0, rows * w, ALE_SCREEN_HEIGHT * w);
}
