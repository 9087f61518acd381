/**
 * ALE semantics and the standard wrappers end to end, on the project's own test game
 * (packages/ale-wasm/test-roms/game.asm): FIRE scores 1 per frame, RIGHT 5 per frame (packed BCD in
 * RAM $80/$81), each new press of DOWN costs a life ($82), the game-over flag is $83, a frame counter
 * is $84, and the background colour is lives * $20 + 4.
 */
import { mkdtempSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeEnv, listEnvs, makeVectorEnv } from '../src/env/index.js';
import { A } from '../src/env/atari/actions.js';
import { AleGame, ALE_SCREEN_HEIGHT, ALE_SCREEN_WIDTH } from '../src/env/atari/ale.js';
import { StellaCore, coreLoaded } from '../src/env/atari/core.js';
import { AtariEnv, type AtariEnvOptions } from '../src/env/atari/env.js';
import { COKNIGHT_TEST_GAME, makeAtariEnvFromRom } from '../src/env/atari/index.js';
import { GRAY_OF_INDEX } from '../src/env/atari/palette.js';
import { AreaResizer } from '../src/env/atari/preprocessing.js';
import { decimalScore, type RomSettings } from '../src/env/atari/rom-settings.js';
import { ROM_DIR_ENV, md5Hex } from '../src/env/atari/roms.js';
import { listAtariRoms } from '../src/cli/commands/atari.js';
import { Mt19937 } from '../src/env/atari/mt19937.js';

const GAME_PATH = new URL('../packages/ale-wasm/test-roms/game.bin', import.meta.url);
const rom = new Uint8Array(readFileSync(GAME_PATH));

const TEST_GAME: RomSettings = COKNIGHT_TEST_GAME;
const FRAMES = 0x84 & 0x7f;
const SCORE_HI = 0;
const SCORE_LO = 1;
const LIVES = 2;
const bgGray = (lives: number) => GRAY_OF_INDEX[lives * 0x20 + 4]!;

describe('lazy loading and ROM lookup', () => {
  it('registers atari ids without compiling the emulator', () => {
    const ids = listEnvs().map((e) => e.id);
    for (const g of ['breakout', 'pong', 'space_invaders', 'ms_pacman', 'seaquest', 'beam_rider', 'enduro', 'qbert']) {
      expect(ids).toContain(`atari/${g}`);
    }
    expect(coreLoaded()).toBe(false);
  });

  it('names the game, the md5 and the directory when the ROM is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coknight-roms-'));
    writeFileSync(join(dir, 'breakout.bin'), Uint8Array.of(1, 2, 3));
    const opts: AtariEnvOptions = { romDir: dir };
    expect(() => makeEnv('atari/breakout', opts)).toThrow(
      new RegExp(`Breakout.*f34f08e5eb96e500e851a80be3277a56.*${dir}.*breakout\\.bin has md5 ${md5Hex(Uint8Array.of(1, 2, 3))}`),
    );
    expect(coreLoaded()).toBe(false);
  });

  it('says how to give a ROM directory when there is none', () => {
    const saved = process.env[ROM_DIR_ENV];
    delete process.env[ROM_DIR_ENV];
    try {
      expect(() => makeEnv('atari/pong')).toThrow(/--rom-dir.*COKNIGHT_ROM_DIR/);
    } finally {
      if (saved !== undefined) process.env[ROM_DIR_ENV] = saved;
    }
  });

  it('finds a registered game by md5 under any file name, through makeEnv and `atari list`', () => {
    expect(md5Hex(rom)).toBe(TEST_GAME.md5);
    const dir = mkdtempSync(join(tmpdir(), 'coknight-roms-'));
    copyFileSync(GAME_PATH, join(dir, 'whatever-name.a26'));
    writeFileSync(join(dir, 'notes.txt'), 'not a rom');
    const listing = listAtariRoms(dir);
    const row = listing.games.find((g) => g.id === TEST_GAME.id)!;
    expect(row.found).toBe(true);
    expect(row.path).toBe(join(dir, 'whatever-name.a26'));
    expect(listing.games.find((g) => g.id === 'breakout')!.found).toBe(false);
    expect(listing.unrecognised).toEqual([join(dir, 'notes.txt')]);
    const opts: AtariEnvOptions = { romDir: dir, seed: 3 };
    const env = makeEnv('atari/coknight_test_game', opts);
    expect(env.observationSpec).toEqual({ shape: [84, 84, 4], dtype: 'uint8', binary: false });
    expect(env.actionSpec.names).toEqual(['NOOP', 'FIRE', 'RIGHT', 'DOWN']);
    expect(env.reset().length).toBe(84 * 84 * 4);
    // VectorEnv passes the options through and takes the allocation-free path.
    const vec = makeVectorEnv('atari/coknight_test_game', 2, { ...opts, stickyActionProb: 0 });
    expect(vec.reset(1).length).toBe(2 * 84 * 84 * 4);
    const out = vec.step([1, 2]);
    expect([...out.rewards]).toEqual([4, 20]);
  });
});

describe('ALE semantics (frame by frame)', () => {
  let game: AleGame;
  beforeAll(() => {
    game = new AleGame(StellaCore.create(), TEST_GAME, { seed: 1, stickyActionProb: 0 });
    game.core.loadRom(rom, 1);
  });

  it('resets with 60 NOOP frames then RESET held 4 frames twice (softReset, RomSettings::reset, softReset)', () => {
    game.resetGame();
    const ram = game.ram();
    // 68 frames since the power-cycle; the first ends at the ROM's first VSYNC, before its overscan.
    expect(ram[FRAMES]).toBe(67);
    expect([ram[SCORE_HI], ram[SCORE_LO], ram[LIVES], ram[0x83 & 0x7f]]).toEqual([0, 0, 3, 0]);
    expect(game.lives).toBe(3);
    expect(game.terminal).toBe(false);
    expect(game.episodeFrameNumber).toBe(0);
  });

  it('rewards score changes read from packed BCD in RAM', () => {
    game.resetGame();
    expect(game.act(A.FIRE)).toBe(1);
    expect(game.act(A.RIGHT)).toBe(5);
    expect(game.act(A.RIGHTFIRE)).toBe(6);
    expect(game.act(A.NOOP)).toBe(0);
    expect([game.ram()[SCORE_HI], game.ram()[SCORE_LO]]).toEqual([0x00, 0x12]);
    // Carry from 99 to 100 in BCD: RAM $81 0x99 -> 0x00, $80 0x00 -> 0x01.
    game.core.writeRam(SCORE_LO, 0x98);
    expect(game.act(A.NOOP)).toBe(98 - 12);
    expect(game.act(A.FIRE)).toBe(1);
    expect(game.act(A.FIRE)).toBe(1);
    expect([game.ram()[SCORE_HI], game.ram()[SCORE_LO]]).toEqual([0x01, 0x00]);
    expect(game.episodeFrameNumber).toBe(7);
  });

  it('counts lives and ends the game at zero', () => {
    game.resetGame();
    for (const expected of [2, 1]) {
      game.act(A.DOWN);
      expect(game.lives).toBe(expected);
      game.act(A.DOWN); // held: no further loss
      expect(game.lives).toBe(expected);
      game.act(A.NOOP);
      expect(game.terminal).toBe(false);
    }
    game.act(A.DOWNFIRE);
    expect(game.lives).toBe(0);
    expect(game.terminal).toBe(true);
    expect(game.act(A.FIRE)).toBe(0); // nothing moves once the game is over
  });

  it('repeats the previous action with probability p, drawn every emulated frame', () => {
    const sticky = new AleGame(game.core, TEST_GAME, { seed: 42, stickyActionProb: 0.25 });
    sticky.resetGame();
    // Replay ALE's environment generator: mt19937(random_seed), two draws per frame (players A and B).
    const rng = new Mt19937(42);
    let last = A.NOOP;
    let repeats = 0;
    const n = 400;
    for (let i = 0; i < n; i++) {
      const a = i % 2 === 0 ? A.FIRE : A.RIGHT;
      const draw = rng.nextDouble();
      rng.nextDouble();
      if (draw >= 0.25) last = a;
      else if (last !== a) repeats++;
      sticky.act(a);
      expect(sticky.executedAction).toBe(last);
    }
    expect(repeats / n).toBeGreaterThan(0.18);
    expect(repeats / n).toBeLessThan(0.32);
  });

  it('truncates at the episode frame cap', () => {
    const capped = new AleGame(game.core, TEST_GAME, { seed: 1, stickyActionProb: 0, maxEpisodeFrames: 10 });
    capped.resetGame();
    for (let i = 0; i < 9; i++) capped.act(A.NOOP);
    expect(capped.truncated).toBe(false);
    capped.act(A.NOOP);
    expect(capped.truncated).toBe(true);
    expect(capped.terminal).toBe(false);
  });

  it('shows the 160x210 screen; grayscale is the palette luminance', () => {
    game.resetGame();
    game.act(A.NOOP);
    const idx = game.screen();
    const gray = game.screenGrayscale();
    expect(idx.length).toBe(ALE_SCREEN_WIDTH * ALE_SCREEN_HEIGHT);
    // Visible lines (ALE rows 3..194) have background lives*$20+4 = $64 and PF1 = score lo = 0.
    expect(idx[50 * 160 + 80]).toBe(0x64);
    for (let i = 0; i < idx.length; i++) if (gray[i] !== GRAY_OF_INDEX[idx[i]!]) throw new Error(`pixel ${i}`);
  });
});

describe('standard wrappers', () => {
  // One emulator shared by the envs of these tests (each reset power-cycles it): ROM loads are slow.
  let shared: StellaCore;
  const make = (opts: AtariEnvOptions = {}) =>
    new AtariEnv('atari/coknight_test_game', shared, TEST_GAME, { seed: 7, stickyActionProb: 0, noopMax: 0, ...opts });
  let env: AtariEnv;
  beforeAll(() => {
    env = makeAtariEnvFromRom(TEST_GAME, rom, { seed: 7, stickyActionProb: 0, noopMax: 0 });
    shared = env.game.core;
  });

  it('skips 4 frames per step and sums their rewards; clipping reports the sign', () => {
    env.reset();
    expect(env.step(1).reward).toBe(4); // FIRE: 1 per frame
    expect(env.step(2).reward).toBe(20); // RIGHT: 5 per frame
    expect(env.game.frameNumber).toBeGreaterThanOrEqual(8);
    const clipped = make({ clipRewards: true });
    clipped.reset();
    expect(clipped.step(2).reward).toBe(1);
    expect(clipped.step(0).reward).toBe(0);
  });

  it('observes the max of the last two frames, grayscale, area-resized to 84x84, stacked 4 deep (HWC)', () => {
    // A twin emulator replays the same frames one by one; the observation must equal the pipeline
    // applied to its screens.
    const twin = new AleGame(StellaCore.create(), TEST_GAME, { seed: 7, stickyActionProb: 0 });
    twin.core.loadRom(rom, 7);
    env.game.rng.seed(7);
    twin.rng.seed(7);
    const obs0 = env.reset();
    twin.resetGame();
    const resizer = new AreaResizer(160, 210, 84, 84);
    const history: Uint8Array[] = [];
    const pooledFrame = (older: Uint8Array, newer: Uint8Array) => {
      const m = new Uint8Array(older.length);
      for (let i = 0; i < m.length; i++) m[i] = Math.max(older[i]!, newer[i]!);
      const small = new Uint8Array(84 * 84);
      resizer.resize(m, small);
      return small;
    };
    const g0 = twin.screenGrayscale();
    const first = pooledFrame(g0, g0);
    for (let c = 0; c < 4; c++) expect(obs0[c]).toBe(first[0]);
    history.push(first, first, first, first);
    let obs = obs0;
    for (const action of [1, 3, 0, 2, 3, 1]) {
      obs = env.step(action).observation;
      const ale = TEST_GAME.minimalActions[action]!;
      const screens: Uint8Array[] = [];
      for (let k = 0; k < 4; k++) {
        twin.act(ale);
        screens.push(twin.screenGrayscale());
      }
      history.push(pooledFrame(screens[2]!, screens[3]!));
    }
    const last4 = history.slice(-4);
    for (let p = 0; p < 84 * 84; p++) {
      for (let c = 0; c < 4; c++) {
        if (obs[p * 4 + c] !== last4[c]![p]) throw new Error(`obs pixel ${p} channel ${c}: ${obs[p * 4 + c]} != ${last4[c]![p]}`);
      }
    }
    // The DOWN steps changed the background: the newest channel shows 1 life left.
    expect(obs[40 * 84 * 4 + 2 * 4 + 3]).toBe(bgGray(1));
  });

  it('max-pools the last two frames across a colour change', () => {
    // DOWN in a step's first frame: that frame still shows lives 3 (the ROM changes the colour in
    // overscan), the next frames show lives 2. With frame skip 2 the two pooled frames differ.
    const skip2 = make({ frameSkip: 2 });
    skip2.reset();
    const o = skip2.step(3).observation;
    const px = 40 * 84 * 4 + 2 * 4;
    expect(bgGray(3)).not.toBe(bgGray(2));
    expect(o[px + 3]).toBe(Math.max(bgGray(3), bgGray(2)));
    // With frame skip 4 both pooled frames (3rd and 4th) already show lives 2.
    env.reset();
    const o4 = env.step(3).observation;
    expect(o4[px + 3]).toBe(bgGray(2));
    expect(o4[px + 0]).toBe(bgGray(3)); // oldest channel: the frame after reset
  });

  it('plays a random number of NOOPs (0..noopMax) after reset', () => {
    const noopEnv = make({ noopMax: 30 });
    const counts = new Set<number>();
    for (let s = 0; s < 12; s++) {
      noopEnv.reset(s);
      const frames = noopEnv.game.ram()[FRAMES]!;
      const noops = (frames - 67) / 4;
      expect(Number.isInteger(noops)).toBe(true);
      expect(noops).toBeGreaterThanOrEqual(0);
      expect(noops).toBeLessThanOrEqual(30);
      counts.add(noops);
    }
    expect(counts.size).toBeGreaterThan(3);
    // Same seed, same start.
    const a = noopEnv.reset(5);
    const fa = noopEnv.game.ram()[FRAMES];
    const b = noopEnv.reset(5);
    expect(noopEnv.game.ram()[FRAMES]).toBe(fa);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('ends the episode on life loss for training, and continues the same game on reset', () => {
    const lifeEnv = make({ terminalOnLifeLoss: true });
    lifeEnv.reset();
    expect(lifeEnv.step(1).reward).toBe(4);
    let r = lifeEnv.step(3);
    expect(r.terminated).toBe(true);
    expect(r.info.lives).toBe(2);
    lifeEnv.reset();
    expect(lifeEnv.game.lives).toBe(2);
    expect(decimalScore(lifeEnv.game.ram(), 0x81, 0x80)).toBe(4); // same game: score kept
    r = lifeEnv.step(3);
    expect(r.terminated).toBe(true);
    lifeEnv.reset();
    r = lifeEnv.step(3);
    expect(r.terminated).toBe(true);
    expect(r.info.lives).toBe(0);
    lifeEnv.reset(); // game over: a real reset
    expect(lifeEnv.game.lives).toBe(3);
    expect(decimalScore(lifeEnv.game.ram(), 0x81, 0x80)).toBe(0);
  });

  it('without life-loss episodes, a life lost does not end the episode', () => {
    env.reset();
    const r = env.step(3);
    expect(r.terminated).toBe(false);
    expect(r.info.lives).toBe(2);
  });

  it('truncates at the emulated-frame cap (108,000 by default)', () => {
    expect(env.game.maxEpisodeFrames).toBe(108_000);
    const capped = make({ maxEpisodeFrames: 40 });
    capped.reset();
    for (let i = 0; i < 9; i++) expect(capped.step(0).truncated).toBe(false);
    const r = capped.step(0);
    expect(r.truncated).toBe(true);
    expect(r.terminated).toBe(false);
    expect(() => capped.step(0)).toThrow(/after the episode ended/);
  });

  it('rejects bad actions and options with errors that name them', () => {
    env.reset();
    expect(() => env.step(4)).toThrow(/action 4 is out of range.*0=NOOP, 1=FIRE, 2=RIGHT, 3=DOWN/);
    // Bad options fail before any ROM is loaded.
    expect(() => makeAtariEnvFromRom(TEST_GAME, rom, { frameSkip: 0 })).toThrow(/frameSkip must be an integer >= 1/);
    expect(() => makeAtariEnvFromRom(TEST_GAME, rom, { stickyActionProb: 2 })).toThrow(/stickyActionProb must be a probability/);
    expect(() => makeAtariEnvFromRom(TEST_GAME, rom, { maxEpisodeFrames: -1 })).toThrow(/maxEpisodeFrames must be a non-negative integer/);
    const full = make({ minimalActionSet: false });
    expect(full.numActions).toBe(18);
  });
});
