/**
 * Atari 2600 games as `atari/<game>` environments. Importing this module registers the ids and
 * nothing else: the emulator (wasm) is compiled on the first makeEnv of an atari id, and the ROM is
 * looked up by md5 in the ROM directory then.
 */
import { registerEnv } from '../registry.js';
import type { Env, MakeEnvOptions } from '../types.js';
import { StellaCore } from './core.js';
import { AtariEnv, checkAtariOptions, type AtariEnvOptions } from './env.js';
import './games.js';
import './test-game.js';
import './catch-game.js';
import { allRomSettings, registerRomSettings as addRomSettings, type RomSettings } from './rom-settings.js';
import { checkRomImage, identifyRomFile, loadRom, resolveRomDir } from './roms.js';

/** Builds the env for a game: finds its ROM, starts an emulator instance, wraps it. */
export function makeAtariEnv(settings: RomSettings, opts: AtariEnvOptions = {}): AtariEnv {
  const id = `atari/${settings.id}`;
  checkAtariOptions(id, opts);
  const dir = resolveRomDir(opts.romDir, id);
  const { bytes } = loadRom(settings, dir);
  return makeAtariEnvFromRom(settings, bytes, opts);
}

/** Same, from ROM bytes already in hand (tests, or ROMs kept elsewhere); bytes that are no 2600 image are refused first. */
export function makeAtariEnvFromRom(settings: RomSettings, rom: Uint8Array, opts: AtariEnvOptions = {}): AtariEnv {
  checkAtariOptions(`atari/${settings.id}`, opts);
  checkRomImage(rom, `the ROM given for atari/${settings.id}`);
  const core = StellaCore.create();
  core.loadRom(rom, opts.seed ?? 0);
  return new AtariEnv(`atari/${settings.id}`, core, settings, opts);
}

/** From one ROM file, whatever its name: the game is found by md5 (errors name the file, its md5 and the closest titles). */
export function makeAtariEnvFromFile(path: string, opts: AtariEnvOptions = {}): AtariEnv {
  const { bytes, settings } = identifyRomFile(path);
  return makeAtariEnvFromRom(settings, bytes, opts);
}

/**
 * Adds a game everywhere: its RomSettings (found by md5 from then on) and the env id `atari/<id>`
 * for makeEnv. This is the public `registerRomSettings` of `coknight/atari`.
 */
export function registerAtariRom(settings: RomSettings): void {
  addRomSettings(settings);
  registerAtariGame(settings);
}

/** Registers `atari/<id>` for one game (the built-in table is registered on import). */
export function registerAtariGame(settings: RomSettings): void {
  const id = `atari/${settings.id}`;
  registerEnv(
    { id, family: 'atari', description: `Atari 2600 ${settings.name} (Stella core, ALE rules; needs your ROM, md5 ${settings.md5})` },
    (opts: MakeEnvOptions): Env => makeAtariEnv(settings, opts as AtariEnvOptions),
  );
}

for (const s of allRomSettings()) registerAtariGame(s);

export { AtariEnv, type AtariEnvOptions } from './env.js';
export { AleGame, ALE_SCREEN_WIDTH, ALE_SCREEN_HEIGHT } from './ale.js';
export { StellaCore, JOY } from './core.js';
export { ALE_ACTION_NAMES, ACTION_BITS } from './actions.js';
export {
  registerRomSettings,
  romSettingsById,
  romSettingsByMd5,
  allRomSettings,
  decimalScore,
  readRam,
  ScoreTracker,
  type RomSettings,
  type RomTracker,
} from './rom-settings.js';
export { ALE_GAMES } from './games.js';
export { ROM_DIR_ENV, scanRomDir, findRomFile, md5Hex, checkRomImage, closestGames, identifyRomFile } from './roms.js';

export { COKNIGHT_TEST_GAME, TEST_ROM_DIR } from './test-game.js';
export { COKNIGHT_CATCH } from './catch-game.js';
