/**
 * Per-game knowledge in the shape of ALE's RomSettings (ALE src/ale/games/RomSettings.hpp): which
 * ROM (md5), which actions matter, how to select the default mode, and how to read reward, lives and
 * the end of the game from the console's 128 bytes of RAM.
 *
 * A tracker sees the RAM after every emulated frame, as ALE's RomSettings::step does: ALE calls step
 * inside StellaEnvironment::emulate for every frame it runs, the reset sequence's NOOP and RESET frames
 * included (stella_environment.cpp:294-303), and RomSettings::reset in the middle of that sequence
 * (stella_environment.cpp:118). So the score baseline of an episode is the score the RAM shows
 * after the reset sequence's last frame, not 0.
 */
import { EnvError } from '../errors.js';

/** What a game's RAM says after one emulated frame (ALE's RomSettings step/getReward/isTerminal/lives). */
export interface RomTracker {
  /**
   * ALE's RomSettings::reset(): back to the game's initial values (reward 0, score baseline 0, not
   * terminal, ALE's initial lives). Called in the middle of the reset sequence, with the RAM then;
   * ALE's built-in games ignore it (their reset() takes no RAM), a user's game may read it.
   */
  reset(ram: Uint8Array): void;
  /** ALE's RomSettings::step(): reads RAM after one frame; updates reward (this frame's), terminal and lives. */
  step(ram: Uint8Array): void;
  /**
   * Called once ALE's setMode has pressed SELECT until the default mode shows, before its RESET press
   * (Demon Attack sets its level-change flag here: DemonAttack.cpp:128).
   */
  modeSet?(): void;
  readonly reward: number;
  readonly terminal: boolean;
  /** ALE's lives(): most games report 0 on the terminal frame (`isTerminal() ? 0 : m_lives`). */
  readonly lives: number;
}

/**
 * ALE's setMode for the default mode, for games that override it: press SELECT (held `selectFrames`
 * frames, then one NOOP frame: stella_environment.cpp:257-266) until `reached(ram)`, then press RESET
 * (softReset). Games that do not override setMode do nothing for the default mode (RomSettings.cpp:60-65).
 */
export interface ModeSelect {
  /** ALE's getDefaultMode(): the first of getAvailableModes() (RomSettings.cpp:67-75). */
  readonly defaultMode: number;
  /** The argument of pressSelect(n) in the game's setMode (ALE's default is 1). */
  readonly selectFrames: number;
  /** The loop condition of the game's setMode, negated: true once RAM shows the default mode. */
  reached(ram: Uint8Array): boolean;
  /** What `reached` reads, for error messages ("RAM $B2 == 0"). */
  readonly describe: string;
}

export interface RomSettings {
  /** Game id as in `atari/<id>` and in ALE's ROM file name (`<id>.bin`). Letters, digits, `_` and `-`. */
  readonly id: string;
  readonly name: string;
  /** md5 (lowercase hex) of the ROM image ALE supports. */
  readonly md5: string;
  /** ALE's minimal action set, as indices of the 18 ALE actions, ascending (RomSettings.cpp:32-40). */
  readonly minimalActions: readonly number[];
  /** Actions ALE plays once after every reset (getStartingActions), one frame each. */
  readonly startingActions?: readonly number[];
  /** True when the game has lives (its RomSettings overrides lives() with a count). */
  readonly hasLives: boolean;
  /** Default-mode selection when the game's RomSettings overrides setMode; absent: none. */
  readonly modeSelect?: ModeSelect;
  /**
   * First scanline after VSYNC of ALE's 210-line screen: the ROM's Display.YStart in ALE's property
   * database (DefProps.hxx), default 34 (Props.cxx:305).
   */
  readonly screenYStart?: number;
  createTracker(): RomTracker;
}

/** ALE's readRam: addresses are taken modulo 128 (RomUtils.cpp:26-32), so 0x80..0xFF and 0x00..0x7F are the same byte. */
export function readRam(ram: Uint8Array, address: number): number {
  return ram[address & 0x7f]!;
}

/** One packed-BCD byte as ALE decodes it: 10 * high nibble + low nibble (RomUtils.cpp:82-90); 0xAB gives 111. */
export function bcdByte(b: number): number {
  return 10 * (b >> 4) + (b & 0x0f);
}

/**
 * ALE's getDecimalScore (RomUtils.cpp:82-118): packed-BCD bytes from least to most significant, each
 * worth 100x the previous one. Nibbles above 9 are not checked, as in ALE.
 */
export function decimalScore(ram: Uint8Array, ...addresses: number[]): number {
  let score = 0;
  let scale = 1;
  for (const a of addresses) {
    score += bcdByte(readRam(ram, a)) * scale;
    scale *= 100;
  }
  return score;
}

/** The common shape of a game: reward = change of a score read from RAM; terminal and lives read from RAM. */
export interface ScoreRules {
  score(ram: Uint8Array): number;
  terminal(ram: Uint8Array): boolean;
  /** Lives as the RAM shows them; omit for games without lives (then lives() is 1 while running, 0 once over). */
  lives?(ram: Uint8Array): number;
  /** lives() from reset until the first frame is read (ALE's m_lives in RomSettings::reset); default: `lives(ram)` at reset. */
  initialLives?: number;
  /** The reward for a score change, for wraps and clamps; default `score - previous`. */
  reward?(score: number, previous: number): number;
  /** lives() is 0 on the terminal frame (ALE's `isTerminal() ? 0 : m_lives`); default true. */
  zeroLivesWhenTerminal?: boolean;
}

/** A tracker for games whose reward is the score difference between frames (ALE's common step()). */
export class ScoreTracker implements RomTracker {
  reward = 0;
  terminal = false;
  private livesValue = 0;
  private score = 0;

  constructor(private readonly rules: ScoreRules) {
    for (const k of ['score', 'terminal'] as const) {
      if (typeof rules[k] !== 'function') throw new EnvError(`ScoreTracker: rules.${k} must be a function (ram) => ${k === 'score' ? 'number' : 'boolean'}`);
    }
  }

  get lives(): number {
    if (!this.rules.lives) return this.terminal ? 0 : 1; // RomSettings.hpp:99-101
    if (this.terminal && this.rules.zeroLivesWhenTerminal !== false) return 0;
    return this.livesValue;
  }

  reset(ram: Uint8Array): void {
    this.reward = 0;
    this.terminal = false;
    this.score = 0;
    this.livesValue = this.rules.initialLives ?? (this.rules.lives ? this.rules.lives(ram) : 0);
  }

  step(ram: Uint8Array): void {
    const score = this.rules.score(ram);
    this.reward = this.rules.reward ? this.rules.reward(score, this.score) : score - this.score;
    this.score = score;
    this.terminal = this.rules.terminal(ram);
    if (this.rules.lives) this.livesValue = this.rules.lives(ram);
  }
}

const byMd5 = new Map<string, RomSettings>();
const byId = new Map<string, RomSettings>();

/**
 * Adds a game. Throws, naming the field, if its id or md5 is taken or a field is malformed. Register
 * the env id too (registerAtariGame in ./index.js, or registerAtariRom from the public API) to get
 * `makeEnv('atari/<id>')`.
 */
export function registerRomSettings(settings: RomSettings): void {
  const where = `RomSettings ${JSON.stringify(settings?.id)}`;
  if (typeof settings?.id !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/i.test(settings.id)) {
    throw new EnvError(`${where}: id must be letters, digits, '_' or '-' (it becomes atari/<id>)`);
  }
  if (typeof settings.md5 !== 'string' || !/^[0-9a-f]{32}$/i.test(settings.md5)) {
    throw new EnvError(`${where}: md5 must be 32 hex digits (md5sum of the ROM file), got ${JSON.stringify(settings.md5)}`);
  }
  const md5 = settings.md5.toLowerCase();
  if (byId.has(settings.id)) throw new EnvError(`${where}: game id "${settings.id}" is registered already; pick another id`);
  const other = byMd5.get(md5);
  if (other) throw new EnvError(`${where}: md5 ${md5} already belongs to ${other.id}; one ROM image has one set of rules`);
  if (!Array.isArray(settings.minimalActions) || settings.minimalActions.length === 0) {
    throw new EnvError(`${where}: minimalActions must be a non-empty array of ALE action indices 0..17`);
  }
  if (settings.minimalActions.some((a) => !Number.isInteger(a) || a < 0 || a > 17)) {
    throw new EnvError(`${where}: minimalActions must be ALE action indices 0..17, got [${settings.minimalActions.join(', ')}]`);
  }
  if ((settings.startingActions ?? []).some((a) => !Number.isInteger(a) || a < 0 || a > 17)) {
    throw new EnvError(`${where}: startingActions must be ALE action indices 0..17`);
  }
  if (settings.screenYStart !== undefined && !(Number.isInteger(settings.screenYStart) && settings.screenYStart >= 23 && settings.screenYStart <= 40)) {
    throw new EnvError(`${where}: screenYStart must be an integer scanline in 23..40 (ALE's Display.YStart; default 34), got ${settings.screenYStart}`);
  }
  const ms = settings.modeSelect;
  if (ms && !(Number.isInteger(ms.selectFrames) && ms.selectFrames >= 1 && typeof ms.reached === 'function')) {
    throw new EnvError(`${where}: modeSelect needs selectFrames (integer >= 1) and reached(ram) => boolean`);
  }
  if (typeof settings.createTracker !== 'function')
    throw new EnvError(`${where}: createTracker must be a function returning a RomTracker (e.g. new ScoreTracker({...}))`);
  byMd5.set(md5, settings);
  byId.set(settings.id, settings);
}

export function romSettingsByMd5(md5: string): RomSettings | undefined {
  return byMd5.get(md5.toLowerCase());
}

export function romSettingsById(id: string): RomSettings | undefined {
  return byId.get(id);
}

export function allRomSettings(): RomSettings[] {
  return [...byId.values()];
}
