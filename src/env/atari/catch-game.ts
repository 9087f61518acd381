import { A } from './actions.js';
import { ScoreTracker, decimalScore, readRam, registerRomSettings, type RomSettings } from './rom-settings.js';

/**
 * Coknight Catch (packages/ale-wasm/test-roms/catch.asm, assembled with dasm): a block falls, the
 * joystick moves a paddle to catch it; 1 point a catch, a life lost a miss, over after 3 misses or 30
 * blocks. Score packed BCD at $80 (hi) / $81 (lo), lives $82, game over $83, mode $89 (SELECT
 * toggles the speed; mode 0, the slow one, is the default). A random policy scores about 1.5, a
 * policy that follows the block 30. It ships with the repository, so an Atari game can be shown to
 * learn without a commercial ROM: `--env atari/coknight_catch --set env.romDir=packages/ale-wasm/test-roms`.
 */
export const COKNIGHT_CATCH: RomSettings = {
  id: 'coknight_catch',
  name: 'Coknight Catch',
  md5: 'db63a55ae182e7f6e52043ab6d2b56c9',
  minimalActions: [A.NOOP, A.RIGHT, A.LEFT],
  hasLives: true,
  modeSelect: { defaultMode: 0, selectFrames: 1, reached: (ram) => readRam(ram, 0x89) === 0, describe: 'RAM $89 == 0' },
  createTracker: () =>
    new ScoreTracker({
      score: (ram) => decimalScore(ram, 0x81, 0x80),
      terminal: (ram) => readRam(ram, 0x83) !== 0,
      lives: (ram) => readRam(ram, 0x82),
      initialLives: 3,
    }),
};

registerRomSettings(COKNIGHT_CATCH);
