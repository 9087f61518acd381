/**
 * Coknight Catch (packages/ale-wasm/test-roms/catch.asm), the project's own 2600 game, on the real
 * emulator with its RomSettings (src/env/atari/catch-game.ts): the rules as the assembly states them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { A } from '../src/env/atari/actions.js';
import { AleGame } from '../src/env/atari/ale.js';
import { JOY, StellaCore } from '../src/env/atari/core.js';
import { COKNIGHT_CATCH } from '../src/env/atari/catch-game.js';
import { makeEnv } from '../src/env/index.js';
import { md5Hex } from '../src/env/atari/roms.js';
import { TEST_ROM_DIR } from '../src/env/atari/test-game.js';
import { fileURLToPath } from 'node:url';

const ROM = new Uint8Array(readFileSync(new URL('../packages/ale-wasm/test-roms/catch.bin', import.meta.url)));
const PAD_X = 4,
  OBJ_X = 5,
  OBJ_Y = 6,
  MODE = 9,
  DROPS = 10;

function newGame(seed = 1) {
  const core = StellaCore.create();
  core.loadRom(ROM, seed);
  const g = new AleGame(core, COKNIGHT_CATCH, { seed, stickyActionProb: 0 });
  g.resetGame();
  return g;
}

/** Moves the paddle under the block: its centre (x + 16) towards the block's (x + 8). */
const follow = (ram: Uint8Array) => {
  const d = ram[OBJ_X]! + 8 - (ram[PAD_X]! + 16);
  return d > 2 ? A.RIGHT : d < -2 ? A.LEFT : A.NOOP;
};

describe('Coknight Catch', () => {
  it('is the committed ROM, and a reset starts a game: score 0, 3 lives, paddle at 64, block at the top', () => {
    expect(md5Hex(ROM)).toBe(COKNIGHT_CATCH.md5);
    const g = newGame();
    const ram = g.ram();
    expect([ram[0], ram[1], ram[2], ram[3], ram[PAD_X], ram[MODE], ram[DROPS]]).toEqual([0, 0, 3, 0, 64, 0, 0]);
    // The ROM restarts the game on every frame RESET is held, and the reset sequence ends with RESET:
    // the block has not fallen yet.
    expect(ram[OBJ_Y]).toBe(0);
    expect(g.lives).toBe(3);
    expect(g.terminal).toBe(false);
    expect(g.lastSelectPresses).toBe(0); // mode 0 shows after power-on: no SELECT
  });

  it('the joystick moves the paddle 4 pixels a frame within 0..128; the block falls 4 lines a frame', () => {
    const g = newGame();
    g.act(A.RIGHT);
    expect(g.ram()[PAD_X]).toBe(68);
    expect(g.ram()[OBJ_Y]).toBe(4);
    for (let i = 0; i < 20; i++) g.act(A.RIGHT);
    expect(g.ram()[PAD_X]).toBe(128);
    for (let i = 0; i < 40; i++) g.act(A.LEFT);
    expect(g.ram()[PAD_X]).toBe(0);
  });

  it('a catch scores 1, a miss costs a life; the block reaches the paddle after 42 frames (168 / 4)', () => {
    const g = newGame();
    let reward = 0;
    let frames = 0;
    while (g.ram()[DROPS] === 0) {
      reward += g.act(follow(g.ram()));
      frames++;
    }
    expect(frames).toBe(42);
    expect(reward).toBe(1);
    expect(g.ram()[1]).toBe(0x01);
    expect(g.ram()[OBJ_Y]).toBe(0);
    // Now run away from the block: a miss.
    const x = g.ram()[OBJ_X]!;
    const away = x >= 64 ? A.LEFT : A.RIGHT;
    for (let i = 0; i < 42; i++) reward += g.act(away);
    expect(reward).toBe(1);
    expect(g.lives).toBe(2);
    expect(g.ram()[DROPS]).toBe(0x02);
  });

  it('following the block scores the maximum 30; the game then ends (30 blocks), and 3 misses end it too', () => {
    const g = newGame();
    let ret = 0;
    let n = 0;
    while (!g.terminal && n++ < 5000) ret += g.act(follow(g.ram()));
    expect(ret).toBe(30);
    expect(g.terminal).toBe(true);
    expect(g.lives).toBe(0); // ALE's lives() on the terminal frame
    expect(g.ram()[2]).toBe(3); // no life was lost
    g.resetGame();
    n = 0;
    while (!g.terminal && n++ < 5000) g.act(A.NOOP);
    // Standing still at 64..95 catches blocks over it; the game still ends on the third miss.
    expect(g.ram()[2]).toBe(0);
    expect(n).toBeLessThan(30 * 42);
  });

  it('SELECT toggles the speed (mode 1: 6 lines a frame) and stops the game; RESET starts one in that mode', () => {
    const g = newGame();
    g.core.step(JOY.SELECT);
    g.core.step(JOY.SELECT); // held: acts once
    g.core.step(0);
    expect(g.ram()[MODE]).toBe(1);
    expect(g.ram()[3]).toBe(1);
    for (let i = 0; i < 4; i++) g.core.step(JOY.RESET);
    g.core.step(0);
    expect(g.ram()[OBJ_Y]).toBe(6);
    // The next ALE reset power-cycles (RAM cleared by the ROM) and mode 0 shows again.
    g.resetGame();
    expect(g.lastSelectPresses).toBe(0);
    expect(g.ram()[MODE]).toBe(0);
  });

  it('is atari/coknight_catch through makeEnv with the full wrappers: 3 actions, 84x84x4 observations', () => {
    const env = makeEnv('atari/coknight_catch', { romDir: fileURLToPath(TEST_ROM_DIR), seed: 3 } as object);
    expect(env.actionSpec.names).toEqual(['NOOP', 'RIGHT', 'LEFT']);
    expect(env.observationSpec.shape).toEqual([84, 84, 4]);
    const obs = env.reset();
    expect(obs.length).toBe(84 * 84 * 4);
    // The paddle (yellow, lines 176-179 -> ALE rows 179-182) is a bright bar in the newest frame.
    const newest = (r: number, c: number) => obs[(r * 84 + c) * 4 + 3]!;
    let bright = 0;
    for (let r = 70; r < 76; r++) for (let c = 0; c < 84; c++) if (newest(r, c) > 60) bright++;
    expect(bright).toBeGreaterThan(10);
  });
});
