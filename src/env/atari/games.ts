/**
 * ALE's per-game RomSettings for 17 games, re-derived line by line from ALE's source
 * (Farama-Foundation/Arcade-Learning-Environment, commit a9a043e2, src/ale/games/supported/<Game>.cpp
 * and .hpp; citations below are `<Game>.cpp:<line>`): ROM md5, minimal action set, starting
 * actions, default mode and the SELECT presses that reach it, the RAM rules for score, lives and game
 * over with their special cases, ALE's initial lives, and the screen window (Display.YStart in ALE's
 * property database, src/ale/emucore/DefProps.hxx). test/atari.games.test.ts drives every rule with
 * crafted RAM.
 */
import { A } from './actions.js';
import { ScoreTracker, decimalScore, readRam, registerRomSettings, type ModeSelect, type RomSettings, type ScoreRules } from './rom-settings.js';
import {
  BreakoutTracker,
  BeamRiderTracker,
  QbertTracker,
  DemonAttackTracker,
  AtlantisTracker,
  ChopperCommandTracker,
  enduroScore,
  boxingPoints,
} from './trackers.js';

const ALL_18: readonly number[] = Array.from({ length: 18 }, (_, i) => i);

function scoreGame(base: Omit<RomSettings, 'createTracker' | 'hasLives'> & { hasLives?: boolean }, rules: ScoreRules): RomSettings {
  return { ...base, hasLives: base.hasLives ?? rules.lives !== undefined, createTracker: () => new ScoreTracker(rules) };
}

/** ALE's setMode loop `while (readRam(address) != mode) pressSelect(selectFrames)` for the default mode. */
function selectUntil(address: number, mode: number, selectFrames: number): ModeSelect {
  const hex = `$${(0x80 | address).toString(16).toUpperCase()}`;
  return { defaultMode: mode, selectFrames, reached: (ram) => readRam(ram, address) === mode, describe: `RAM ${hex} == ${mode}` };
}

/** ALE's games without lives report lives() = 0 always (Pong.hpp:73, Enduro.hpp:72, Freeway.hpp:74, Boxing.hpp:70). */
const NO_LIVES = (): number => 0;

export const ALE_GAMES: readonly RomSettings[] = [
  {
    id: 'breakout',
    name: 'Breakout',
    md5: 'f34f08e5eb96e500e851a80be3277a56', // Breakout.hpp:53
    minimalActions: [A.NOOP, A.FIRE, A.RIGHT, A.LEFT], // Breakout.cpp:67-77
    hasLives: true,
    modeSelect: selectUntil(0xb2, 0, 1), // modes i*4 (Breakout.cpp:107-113); setMode :117-133
    createTracker: () => new BreakoutTracker(),
  },
  scoreGame(
    {
      id: 'pong',
      name: 'Pong',
      md5: '60e0ea3cbe0913d39803477945e9e5ec', // Pong.hpp:53
      minimalActions: [A.NOOP, A.FIRE, A.RIGHT, A.LEFT, A.RIGHTFIRE, A.LEFTFIRE], // Pong.cpp:48-60
      hasLives: false,
      modeSelect: selectUntil(0x96, 0, 2), // Pong.cpp:84-110
    },
    {
      score: (ram) => readRam(ram, 14) - readRam(ram, 13), // Pong.cpp:30-34: player - cpu points
      terminal: (ram) => readRam(ram, 13) === 21 || readRam(ram, 14) === 21, // Pong.cpp:38
      lives: NO_LIVES,
    },
  ),
  scoreGame(
    {
      id: 'space_invaders',
      name: 'Space Invaders',
      md5: '72ffbef6504b75e69ee1045af9075f66', // SpaceInvaders.hpp:53
      minimalActions: [A.NOOP, A.FIRE, A.RIGHT, A.LEFT, A.RIGHTFIRE, A.LEFTFIRE], // SpaceInvaders.cpp:72-84
      modeSelect: selectUntil(0xdc, 0, 2), // SpaceInvaders.cpp:111-137
    },
    {
      score: (ram) => decimalScore(ram, 0xe8, 0xe6), // SpaceInvaders.cpp:47
      // SpaceInvaders.cpp:50-55: a negative change means the 4-digit score wrapped past 9,999.
      reward: (score, prev) => (score - prev < 0 ? 10_000 - prev + score : score - prev),
      terminal: (ram) => (readRam(ram, 0x98) & 0x80) !== 0 || readRam(ram, 0xc9) === 0, // SpaceInvaders.cpp:61-62
      lives: (ram) => readRam(ram, 0xc9), // SpaceInvaders.cpp:57
      initialLives: 3, // SpaceInvaders.cpp:91
    },
  ),
  scoreGame(
    {
      id: 'ms_pacman',
      name: 'Ms. Pac-Man',
      md5: '87e79cd41ce136fd4f72cc6e2c161bee', // MsPacman.hpp:53
      minimalActions: [A.NOOP, A.UP, A.RIGHT, A.LEFT, A.DOWN, A.UPRIGHT, A.UPLEFT, A.DOWNRIGHT, A.DOWNLEFT], // MsPacman.cpp:66-81
      // MsPacman.cpp:118-133: mode 0 is "RAM $99 == 1 and $A1 == 1", SELECT held 10 frames per press.
      modeSelect: {
        defaultMode: 0,
        selectFrames: 10,
        reached: (ram) => readRam(ram, 0x99) === 1 && readRam(ram, 0xa1) === 1,
        describe: 'RAM $99 == 1 and RAM $A1 == 1',
      },
    },
    {
      score: (ram) => decimalScore(ram, 0xf8, 0xf9, 0xfa), // MsPacman.cpp:45
      // MsPacman.cpp:51-54: the low nibble of $FB is 0 and the death timer $A7 shows 0x53.
      terminal: (ram) => (readRam(ram, 0xfb) & 0xf) === 0 && readRam(ram, 0xa7) === 0x53,
      lives: (ram) => (readRam(ram, 0xfb) & 0x7) + 1, // MsPacman.cpp:56 ((b & 0xF) & 0x7) + 1
      initialLives: 3, // MsPacman.cpp:88
    },
  ),
  scoreGame(
    { id: 'seaquest', name: 'Seaquest', md5: '240bfbac5163af4df5ae713985386f92', minimalActions: ALL_18 }, // Seaquest.hpp:53, .cpp:61-85
    {
      score: (ram) => decimalScore(ram, 0xba, 0xb9, 0xb8), // Seaquest.cpp:45
      terminal: (ram) => readRam(ram, 0xa3) !== 0, // Seaquest.cpp:50
      lives: (ram) => readRam(ram, 0xbb) + 1, // Seaquest.cpp:51
      initialLives: 4, // Seaquest.cpp:92
    },
  ),
  {
    id: 'beam_rider',
    name: 'Beam Rider',
    md5: '79ab4123a83dc11d468fb2108ea09e2e', // BeamRider.hpp:53
    minimalActions: [A.NOOP, A.FIRE, A.UP, A.RIGHT, A.LEFT, A.UPRIGHT, A.UPLEFT, A.RIGHTFIRE, A.LEFTFIRE], // BeamRider.cpp:72-87
    startingActions: [A.RIGHT], // BeamRider.cpp:113-115
    hasLives: true,
    createTracker: () => new BeamRiderTracker(),
  },
  scoreGame(
    {
      id: 'enduro',
      name: 'Enduro',
      md5: '94b92a882f6dbaa6993a46e2dcc58402', // Enduro.hpp:53
      minimalActions: [A.NOOP, A.FIRE, A.RIGHT, A.LEFT, A.DOWN, A.DOWNRIGHT, A.DOWNLEFT, A.RIGHTFIRE, A.LEFTFIRE], // Enduro.cpp:68-83
      startingActions: [A.FIRE], // Enduro.cpp:106-108
      hasLives: false,
    },
    { score: enduroScore, terminal: (ram) => readRam(ram, 0xaf) === 0xff, lives: NO_LIVES }, // Enduro.cpp:57-58
  ),
  {
    id: 'qbert',
    name: 'Q*bert',
    md5: '484b0076816a104875e00467d431c2d2', // QBert.hpp:53
    minimalActions: [A.NOOP, A.FIRE, A.UP, A.RIGHT, A.LEFT, A.DOWN], // QBert.cpp:78-90
    hasLives: true,
    screenYStart: 40, // DefProps.hxx:786 (Display.YStart "40")
    createTracker: () => new QbertTracker(),
  },
  scoreGame(
    {
      id: 'freeway',
      name: 'Freeway',
      md5: '8e0ab801b1705a740b476b7f588c6d16', // Freeway.hpp:54
      minimalActions: [A.NOOP, A.UP, A.DOWN], // Freeway.cpp:56-65
      hasLives: false,
      modeSelect: selectUntil(0x80, 0, 1), // Freeway.cpp:89-115
    },
    {
      score: (ram) => decimalScore(ram, 103), // Freeway.cpp:36
      reward: (score, prev) => Math.min(1, Math.max(0, score - prev)), // Freeway.cpp:37-42: clamped to [0, 1]
      terminal: (ram) => readRam(ram, 22) === 1, // Freeway.cpp:46
      lives: NO_LIVES,
    },
  ),
  scoreGame(
    { id: 'boxing', name: 'Boxing', md5: 'c3ef5c4653212088eda54dc91d787870', minimalActions: ALL_18, hasLives: false }, // Boxing.hpp:53, .cpp:61-85
    {
      score: (ram) => {
        const { me, them } = boxingPoints(ram);
        return me - them; // Boxing.cpp:38
      },
      terminal: (ram) => {
        const { me, them } = boxingPoints(ram);
        if (me === 100 || them === 100) return true; // Boxing.cpp:44-45
        const minutes = readRam(ram, 0x90) >> 4; // Boxing.cpp:47-50
        const secondsByte = readRam(ram, 0x91);
        const seconds = (secondsByte & 0xf) + (secondsByte >> 4) * 10;
        return minutes === 0 && seconds === 0;
      },
      lives: NO_LIVES,
    },
  ),
  scoreGame(
    { id: 'montezuma_revenge', name: "Montezuma's Revenge", md5: '3347a6dd59049b15a38394aa2dafa585', minimalActions: ALL_18 }, // .hpp:53, .cpp:66-90
    {
      score: (ram) => decimalScore(ram, 0x95, 0x94, 0x93), // MontezumaRevenge.cpp:45
      terminal: (ram) => readRam(ram, 0xba) === 0 && readRam(ram, 0xfe) === 0x60, // MontezumaRevenge.cpp:51-53
      lives: (ram) => (readRam(ram, 0xba) & 0x7) + 1, // MontezumaRevenge.cpp:56
      initialLives: 6, // MontezumaRevenge.cpp:97
    },
  ),
  scoreGame(
    {
      id: 'frostbite',
      name: 'Frostbite',
      md5: '4ca73eb959299471788f0b685c3ba0b5', // Frostbite.hpp:53
      minimalActions: ALL_18, // Frostbite.cpp:67-91
      modeSelect: selectUntil(0x80, 0, 1), // modes {0, 2} (Frostbite.cpp:118-120); setMode :124-140
    },
    {
      score: (ram) => decimalScore(ram, 0xca, 0xc9, 0xc8), // Frostbite.cpp:45
      // Frostbite.cpp:53-55: low nibble of $CC is 0 and bit 7 of $F1 is set.
      terminal: (ram) => (readRam(ram, 0xcc) & 0xf) === 0 && (readRam(ram, 0xf1) & 0x80) !== 0,
      lives: (ram) => (readRam(ram, 0xcc) & 0xf) + 1, // Frostbite.cpp:57
      initialLives: 4, // Frostbite.cpp:98
    },
  ),
  {
    id: 'demon_attack',
    name: 'Demon Attack',
    md5: 'f0e0addc07971561ab80d9abe1b8d333', // DemonAttack.hpp:53
    minimalActions: [A.NOOP, A.FIRE, A.RIGHT, A.LEFT, A.RIGHTFIRE, A.LEFTFIRE], // DemonAttack.cpp:71-83
    hasLives: true,
    modeSelect: selectUntil(0xea, 1, 1), // modes {1, 3, 5, 7}: default 1 (DemonAttack.cpp:111-113); setMode :117-134
    createTracker: () => new DemonAttackTracker(),
  },
  scoreGame(
    {
      id: 'asteroids',
      name: 'Asteroids',
      md5: 'ccbd36746ed4525821a8083b0d6d2c2c', // Asteroids.hpp:53
      minimalActions: [
        A.NOOP,
        A.FIRE,
        A.UP,
        A.RIGHT,
        A.LEFT,
        A.DOWN,
        A.UPRIGHT,
        A.UPLEFT,
        A.UPFIRE,
        A.RIGHTFIRE,
        A.LEFTFIRE,
        A.DOWNFIRE,
        A.UPRIGHTFIRE,
        A.UPLEFTFIRE,
      ], // Asteroids.cpp:69-89
      modeSelect: selectUntil(0x80, 0, 2), // modes 0..31 and 0x80 (Asteroids.cpp:116-123); setMode :127-143
    },
    {
      score: (ram) => 10 * decimalScore(ram, 0xbe, 0xbd), // Asteroids.cpp:45-46
      reward: (score, prev) => (score - prev < 0 ? score - prev + 100_000 : score - prev), // Asteroids.cpp:50-53: wrap
      terminal: (ram) => readRam(ram, 0xbc) >> 4 === 0, // Asteroids.cpp:57-59
      lives: (ram) => readRam(ram, 0xbc) >> 4, // Asteroids.cpp:58 (byte - (byte & 15)) >> 4
      initialLives: 4, // Asteroids.cpp:96
    },
  ),
  {
    id: 'atlantis',
    name: 'Atlantis',
    md5: '9ad36e699ef6f45d9eb6c4cf90475c9f', // Atlantis.hpp:53
    minimalActions: [A.NOOP, A.FIRE, A.RIGHTFIRE, A.LEFTFIRE], // Atlantis.cpp:74-84
    hasLives: true,
    modeSelect: selectUntil(0x8d, 0, 2), // Atlantis.cpp:111-137
    createTracker: () => new AtlantisTracker(),
  },
  scoreGame(
    {
      id: 'centipede',
      name: 'Centipede',
      md5: '91c2098e88a6b13f977af8c003e0bca5', // Centipede.hpp:53
      minimalActions: ALL_18, // Centipede.cpp:68-92
      modeSelect: selectUntil(0xa7, 0x16, 2), // modes {0x16, 0x56}: default 0x16 (Centipede.cpp:119-121); setMode :125-141
    },
    {
      score: (ram) => decimalScore(ram, 118, 117, 116), // Centipede.cpp:45
      reward: (score, prev) => Math.max(0, score - prev), // Centipede.cpp:49-51: the score is sometimes reset before the end
      terminal: (ram) => (readRam(ram, 0xa6) & 0x40) !== 0, // Centipede.cpp:57-58
      lives: (ram) => ((readRam(ram, 0xed) >> 4) & 0x7) + 1, // Centipede.cpp:54
      initialLives: 3, // Centipede.cpp:99
    },
  ),
  {
    id: 'chopper_command',
    name: 'Chopper Command',
    md5: 'c1cb228470a87beb5f36e90ac745da26', // ChopperCommand.hpp:53
    minimalActions: ALL_18, // ChopperCommand.cpp:78-102
    hasLives: true,
    modeSelect: selectUntil(0xe0, 0, 2), // modes {0, 2} (ChopperCommand.cpp:130-132); setMode :136-152
    createTracker: () => new ChopperCommandTracker(),
  },
];

for (const g of ALE_GAMES) registerRomSettings(g);
