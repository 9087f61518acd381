/**
 * The public Atari API, `coknight/atari` (package.json exports["./atari"] -> dist/env/atari/public.js).
 *
 * Adding a game: describe its ROM and RAM rules as RomSettings and register them; the game is then
 * `makeEnv('atari/<id>', { romDir })` and is listed by `coknight atari list`. docs/atari.md has a
 * worked example.
 *
 *   import { registerRomSettings, ScoreTracker, decimalScore, readRam } from 'coknight/atari';
 *   registerRomSettings({
 *     id: 'my_game', name: 'My Game', md5: '<md5sum of the .bin>', minimalActions: [0, 1, 3, 4],
 *     hasLives: true,
 *     createTracker: () => new ScoreTracker({
 *       score: (ram) => decimalScore(ram, 0x81, 0x80),   // BCD, least significant byte first
 *       terminal: (ram) => readRam(ram, 0x83) !== 0,
 *       lives: (ram) => readRam(ram, 0x82),
 *     }),
 *   });
 */
import './index.js';

export {
  registerAtariRom as registerRomSettings,
  makeAtariEnv,
  makeAtariEnvFromRom,
  makeAtariEnvFromFile,
  AtariEnv,
  type AtariEnvOptions,
  AleGame,
  ALE_SCREEN_WIDTH,
  ALE_SCREEN_HEIGHT,
  ALE_ACTION_NAMES,
  romSettingsById,
  romSettingsByMd5,
  allRomSettings,
  decimalScore,
  readRam,
  ScoreTracker,
  type RomSettings,
  type RomTracker,
  ALE_GAMES,
  ROM_DIR_ENV,
  scanRomDir,
  findRomFile,
  md5Hex,
  checkRomImage,
  closestGames,
  identifyRomFile,
} from './index.js';
export { A as ACTIONS } from './actions.js';
export { bcdByte, type ScoreRules, type ModeSelect } from './rom-settings.js';
export { type AleOptions } from './ale.js';
export { listAtariGames, type AtariGameRow } from './listing.js';
