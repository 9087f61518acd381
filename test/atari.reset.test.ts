/**
 * ALE's reset sequence (stella_environment.cpp:101-130, 205-211, 257-266), its generators and its
 * power-on RAM, checked on the project's own test ROMs (packages/ale-wasm/test-roms):
 * - patterns.bin records, each frame, the console switches (SWCHB, $85), the joystick (SWCHA, $82)
 *   and the fire button (INPT4, $83) it read, and counts frames ($80): the trace of what the ROM saw
 *   during a reset is compared with ALE's sequence frame by frame;
 * - noclear.bin never clears RAM (it only counts frames in $80), so RAM shows the power-on bytes;
 * - game.bin (the test game) shows the score baseline after the reset sequence.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { A } from '../src/env/atari/actions.js';
import { AleGame, MAX_SELECT_PRESSES, stellaRowOfAleRow0 } from '../src/env/atari/ale.js';
import { JOY, StellaCore } from '../src/env/atari/core.js';
import { Mt19937, alePowerOnRam } from '../src/env/atari/mt19937.js';
import { ScoreTracker, decimalScore, readRam, type RomSettings, type RomTracker } from '../src/env/atari/rom-settings.js';
import { COKNIGHT_TEST_GAME } from '../src/env/atari/test-game.js';
import { md5Hex } from '../src/env/atari/roms.js';

const romBytes = (name: string) => new Uint8Array(readFileSync(new URL(`../packages/ale-wasm/test-roms/${name}`, import.meta.url)));
const PATTERNS = romBytes('patterns.bin');
const NOCLEAR = romBytes('noclear.bin');
const GAME = romBytes('game.bin');

describe('mt19937 (ALE Random.cxx)', () => {
  it('is std::mt19937: the 10,000th output for the default seed 5489 is 4123659995 (C++ [rand.predef])', () => {
    const g = new Mt19937(5489);
    for (let i = 0; i < 9999; i++) g.next();
    expect(g.next()).toBe(4123659995);
  });
  it("matches g++ std::mt19937 for ALE's system seed 4753849, and nextDouble = next / 2^32", () => {
    const g = new Mt19937(4753849);
    expect([g.next(), g.next(), g.next()]).toEqual([3205607096, 2794184854, 4236690624]);
    expect(new Mt19937(42).nextDouble()).toBe(0.37454011430963874);
  });
});

describe('power-on RAM (M6532.cxx:38-43) and System::reset keeping RAM (M6532.cxx:61-72)', () => {
  it('ALE powers on with the low bytes of mt19937(4753849): $80.. = B8 96 C0 49', () => {
    expect([...alePowerOnRam().subarray(0, 4)]).toEqual([0xb8, 0x96, 0xc0, 0x49]);
  });

  const settings: RomSettings = {
    id: 'noclear_test',
    name: 'noclear test ROM',
    md5: md5Hex(NOCLEAR),
    minimalActions: [A.NOOP],
    hasLives: false,
    createTracker: () => new ScoreTracker({ score: () => 0, terminal: () => false }),
  };

  it("a ROM that never clears RAM sees ALE's power-on bytes, and they survive every reset", () => {
    const core = StellaCore.create();
    core.loadRom(NOCLEAR, 3);
    const game = new AleGame(core, settings, { seed: 3, stickyActionProb: 0 });
    game.resetGame();
    const power = alePowerOnRam();
    expect([...game.ram().subarray(1)]).toEqual([...power.subarray(1)]);
    // $80 counts frames from B8: 59 counted in the 60 power-on (TV-format detection) frames (the
    // first ends at the ROM's first VSYNC, before its overscan), then 67 in each reset's 68 frames:
    // loadROM's reset (ale_interface.cpp:165) and the first reset_game().
    expect(game.ram()[0]).toBe((0xb8 + 59 + 67 + 67) & 0xff);
    for (let i = 0; i < 10; i++) game.act(A.NOOP);
    game.resetGame();
    expect([...game.ram().subarray(1)]).toEqual([...power.subarray(1)]);
    expect(game.ram()[0]).toBe((0xb8 + 59 + 67 + 67 + 10 + 67) & 0xff);
  });
});

/** A core whose every frame is logged with the bits held and what patterns.bin recorded in RAM. */
function recordingCore(rom: Uint8Array) {
  const core = StellaCore.create();
  core.loadRom(rom, 1);
  const log: { bits: number; frame: number; swchb: number; swcha: number; inpt4: number }[] = [];
  const rec = Object.create(core) as StellaCore;
  rec.step = (bits: number) => {
    core.step(bits);
    const r = core.ram();
    log.push({ bits, frame: r[0]! | (r[1]! << 8), swcha: r[2]!, inpt4: r[3]!, swchb: r[5]! });
  };
  return { core: rec, log };
}

describe('the reset sequence, frame by frame, as the test ROM saw it', () => {
  const events: string[] = [];
  class LoggingTracker implements RomTracker {
    reward = 0;
    terminal = false;
    lives = 0;
    reset(): void {
      events.push('reset');
    }
    step(): void {
      events.push('step');
    }
    modeSet(): void {
      events.push('modeSet');
    }
  }
  // A made-up mode rule on patterns.bin: the "mode" is reached once its frame counter ($80) is >= 70,
  // with SELECT held 2 frames per press, and two starting actions.
  const settings: RomSettings = {
    id: 'patterns_reset_test',
    name: 'patterns test ROM',
    md5: md5Hex(PATTERNS),
    minimalActions: [A.NOOP, A.FIRE, A.RIGHT],
    startingActions: [A.RIGHT, A.FIRE],
    hasLives: false,
    modeSelect: { defaultMode: 0, selectFrames: 2, reached: (ram) => ram[0]! >= 70, describe: 'RAM $80 >= 70' },
    createTracker: () => new LoggingTracker(),
  };

  it('is 60 NOOP, RESET x4, then SELECT presses (2 frames + 1 NOOP) until the mode shows, RESET x4, RESET x4, starting actions', () => {
    const { core, log } = recordingCore(PATTERNS);
    const game = new AleGame(core, settings, { seed: 1, stickyActionProb: 0 });
    game.resetGame();
    const seqLen = 60 + 4 + 9 + 4 + 4 + 2;
    // 60 power-on frames, then loadROM's reset sequence and the first reset_game()'s.
    expect(log.length).toBe(60 + 2 * seqLen);
    expect(log.slice(60, 60 + seqLen).map((f) => f.bits)).toEqual(log.slice(60 + seqLen).map((f) => f.bits));
    const seq = log.slice(60 + seqLen);
    // Hand-derived: the counter reads n - 1 after n frames (the first ends at VSYNC), so 63 after the
    // 64 frames before setMode; each press adds 3: 66, 69, 72 >= 70 -> 3 presses.
    const expected: number[] = [
      ...Array(60).fill(0),
      ...Array(4).fill(JOY.RESET),
      ...[0, 1, 2].flatMap(() => [JOY.SELECT, JOY.SELECT, 0]),
      ...Array(4).fill(JOY.RESET),
      ...Array(4).fill(JOY.RESET),
      JOY.RIGHT,
      JOY.FIRE,
    ];
    expect(seq.map((f) => f.bits)).toEqual(expected);
    expect(game.lastSelectPresses).toBe(3);
    expect(game.lastResetTrace.map((f) => f.bits)).toEqual(expected);
    // What the ROM itself read each frame: RESET is SWCHB bit 0 (0 while held), SELECT bit 1,
    // RIGHT is SWCHA bit 7, FIRE is INPT4 bit 7 (0 while pressed).
    // The first frame after the power cycle ends at the ROM's first VSYNC, before it reads anything.
    const idle = seq[1]!.swchb;
    expect(idle & 0x03).toBe(0x03);
    seq.forEach((f, i) => {
      if (i === 0) return;
      const b = expected[i]!;
      expect([i, f.frame]).toEqual([i, i]); // the frame counter restarted with the power cycle
      expect([i, f.swchb]).toEqual([i, idle & ~(b & JOY.RESET ? 1 : 0) & ~(b & JOY.SELECT ? 2 : 0)]);
      expect([i, f.swcha >> 7]).toEqual([i, b & JOY.RIGHT ? 0 : 1]);
      expect([i, f.inpt4 >> 7]).toEqual([i, b & JOY.FIRE ? 0 : 1]);
    });
    // pressSelect moves ALE's episode frame counter on by one per press (stella_environment.cpp:265).
    expect(game.episodeFrameNumber).toBe(3);
  });

  it('steps the tracker on every frame but the SELECT frames, with reset after the first RESET and modeSet before the second', () => {
    events.length = 0;
    const { core } = recordingCore(PATTERNS);
    new AleGame(core, settings, { seed: 1, stickyActionProb: 0 }).resetGame();
    const expected = [
      ...Array(64).fill('step'),
      'reset',
      ...Array(3).fill('step'), // one NOOP frame per SELECT press
      'modeSet',
      ...Array(4 + 4 + 2).fill('step'),
    ];
    expect(events).toEqual([...expected, ...expected]); // loadROM's reset, then reset_game()'s
  });

  it('games without modeSelect get no SELECT and one RESET after RomSettings::reset (RomSettings.cpp:60-65)', () => {
    const { core, log } = recordingCore(PATTERNS);
    const plain: RomSettings = { ...settings, id: 'patterns_plain', modeSelect: undefined, startingActions: [] };
    new AleGame(core, plain, { seed: 1, stickyActionProb: 0 }).resetGame();
    const one = [...Array(60).fill(0), ...Array(8).fill(JOY.RESET)];
    expect(log.slice(60).map((f) => f.bits)).toEqual([...one, ...one]);
  });

  it('stops with an error naming the RAM rule when the mode never shows', () => {
    const { core } = recordingCore(PATTERNS);
    const never: RomSettings = {
      ...settings,
      id: 'patterns_never',
      modeSelect: { defaultMode: 7, selectFrames: 1, reached: () => false, describe: 'RAM $99 == 7' },
    };
    expect(() => new AleGame(core, never, { seed: 1 }).resetGame()).toThrow(
      new RegExp(`pressed SELECT ${MAX_SELECT_PRESSES} times .*default mode 7 \\(RAM \\$99 == 7\\)`),
    );
  });
});

describe('score baseline after reset', () => {
  it('is the score the RAM shows after the reset sequence, so points scored by starting actions are not rewarded', () => {
    // The test game with FIRE as a starting action: FIRE scores 1 in that frame.
    const settings: RomSettings = { ...COKNIGHT_TEST_GAME, id: 'test_game_fire_start', startingActions: [A.FIRE] };
    const core = StellaCore.create();
    core.loadRom(GAME, 1);
    const game = new AleGame(core, settings, { seed: 1, stickyActionProb: 0 });
    game.resetGame();
    expect(decimalScore(game.ram(), 0x81, 0x80)).toBe(1);
    expect(game.act(A.NOOP)).toBe(0); // baseline 1, not 0
    expect(game.act(A.FIRE)).toBe(1);
    expect(readRam(game.ram(), 0x81)).toBe(0x02);
  });

  it('ALE refuses to emulate once terminal: act() returns 0 and the frame counter stands (stella_environment.cpp:220-221)', () => {
    const core = StellaCore.create();
    core.loadRom(GAME, 1);
    const game = new AleGame(core, COKNIGHT_TEST_GAME, { seed: 1, stickyActionProb: 0 });
    game.resetGame();
    for (const a of [A.DOWN, A.NOOP, A.DOWN, A.NOOP, A.DOWN]) game.act(a);
    expect(game.terminal).toBe(true);
    const frames = game.episodeFrameNumber;
    const ramFrames = game.ram()[4];
    expect(game.act(A.FIRE)).toBe(0);
    expect(game.episodeFrameNumber).toBe(frames);
    expect(game.ram()[4]).toBe(ramFrames);
  });
});

describe('screen window per game (Display.YStart)', () => {
  it('a game with YStart 40 (Q*bert) sees the frame 6 rows later than one with the default 34', () => {
    expect(stellaRowOfAleRow0({})).toBe(11);
    expect(stellaRowOfAleRow0({ screenYStart: 40 })).toBe(17);
    const base: RomSettings = {
      id: 'patterns_window',
      name: 'patterns',
      md5: md5Hex(PATTERNS),
      minimalActions: [A.NOOP],
      hasLives: false,
      createTracker: () => new ScoreTracker({ score: () => 0, terminal: () => false }),
    };
    const screens = [34, 40].map((y) => {
      const core = StellaCore.create();
      core.loadRom(PATTERNS, 1);
      const g = new AleGame(core, { ...base, screenYStart: y }, { seed: 1, stickyActionProb: 0 });
      g.resetGame();
      g.act(A.NOOP);
      return g.screen();
    });
    const row = (s: Uint8Array, r: number) => [...s.subarray(r * 160, r * 160 + 160)];
    for (const r of [0, 10, 100, 200]) expect(row(screens[1]!, r)).toEqual(row(screens[0]!, r + 6));
    // Pattern line y has background y & 0xFE and starts at ALE row 3 with the default window.
    expect(screens[0]![3 * 160]).toBe(0);
    expect(screens[0]![(3 + 100) * 160]).toBe(100);
  });
});
