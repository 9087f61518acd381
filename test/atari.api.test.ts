/**
 * The public Atari API (src/env/atari/public.ts, `coknight/atari`): adding a game, finding ROMs,
 * refusing bad ROM files, and `coknight atari list` with and without a ROM directory.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { makeEnv } from '../src/env/index.js';
import {
  ACTIONS,
  ScoreTracker,
  checkRomImage,
  closestGames,
  decimalScore,
  identifyRomFile,
  listAtariGames,
  makeAtariEnvFromFile,
  makeAtariEnvFromRom,
  md5Hex,
  readRam,
  registerRomSettings,
  romSettingsById,
} from '../src/env/atari/public.js';
import { buildProgram } from '../src/cli/main.js';

const ROM_DIR = fileURLToPath(new URL('../packages/ale-wasm/test-roms/', import.meta.url));
const NOCLEAR = new Uint8Array(readFileSync(join(ROM_DIR, 'noclear.bin')));

describe('adding a game', () => {
  it('registerRomSettings + createTracker gives reset/step/reward/terminal/lives, and makeEnv finds the ROM by md5', () => {
    // A "game" on noclear.bin: its frame counter $80 (one byte, BCD-decoded as ALE would) is the score.
    registerRomSettings({
      id: 'user_counter',
      name: 'User counter game',
      md5: md5Hex(NOCLEAR),
      minimalActions: [ACTIONS.NOOP, ACTIONS.FIRE],
      hasLives: true,
      createTracker: () =>
        new ScoreTracker({
          score: (ram) => readRam(ram, 0x80),
          terminal: (ram) => readRam(ram, 0x80) === 0xff,
          lives: (ram) => 1 + (readRam(ram, 0x80) & 1),
          initialLives: 2,
        }),
    });
    const t = romSettingsById('user_counter')!.createTracker();
    const ram = new Uint8Array(128);
    t.reset(ram);
    expect([t.reward, t.terminal, t.lives]).toEqual([0, false, 2]);
    ram[0] = 5;
    t.step(ram);
    expect([t.reward, t.terminal, t.lives]).toEqual([5, false, 2]);
    ram[0] = 0xff;
    t.step(ram);
    expect([t.reward, t.terminal, t.lives]).toEqual([250, true, 0]); // lives() 0 on the terminal frame

    const env = makeEnv('atari/user_counter', { romDir: ROM_DIR, seed: 1, noopMax: 0, stickyActionProb: 0 } as object);
    expect(env.numActions).toBe(2);
    env.reset();
    const r = env.step(0);
    expect(r.reward).toBe(4); // 4 frames, +1 each
    expect(listAtariGames(ROM_DIR).games.find((g) => g.id === 'user_counter')!.found).toBe(true);
  });

  it('refuses malformed settings with the field named', () => {
    const base = {
      id: 'x_bad',
      name: 'x',
      md5: '0'.repeat(32),
      minimalActions: [0],
      hasLives: false,
      createTracker: () => new ScoreTracker({ score: () => 0, terminal: () => false }),
    };
    expect(() => registerRomSettings({ ...base, md5: 'abc' })).toThrow(/md5 must be 32 hex digits/);
    expect(() => registerRomSettings({ ...base, id: 'has space' })).toThrow(/id must be letters/);
    expect(() => registerRomSettings({ ...base, minimalActions: [18] })).toThrow(/minimalActions must be ALE action indices 0..17/);
    expect(() => registerRomSettings({ ...base, id: 'breakout' })).toThrow(/registered already/);
    expect(() => registerRomSettings({ ...base, md5: romSettingsById('pong')!.md5 })).toThrow(/already belongs to pong/);
    expect(() => registerRomSettings({ ...base, screenYStart: 80 })).toThrow(/screenYStart must be an integer scanline/);
    expect(() => new ScoreTracker({ score: 3 } as never)).toThrow(/rules.score must be a function/);
  });

  it("decimalScore and readRam are ALE's helpers", () => {
    const ram = new Uint8Array(128);
    ram[1] = 0x12;
    ram[0] = 0x34;
    expect(decimalScore(ram, 0x81, 0x80)).toBe(3412);
    expect(readRam(ram, 0x81)).toBe(readRam(ram, 0x01));
  });
});

describe('bad ROM files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coknight-badrom-'));

  it('a ROM whose md5 matches no game names the file and md5 and lists the closest titles', () => {
    const bytes = new Uint8Array(4096);
    bytes[4092] = 0x00;
    bytes[4093] = 0xf0; // reset vector $F000
    bytes[0] = 1;
    const path = join(dir, 'Breakout (1978).bin');
    writeFileSync(path, bytes);
    const md5 = md5Hex(bytes);
    let msg = '';
    try {
      identifyRomFile(path);
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toContain(path);
    expect(msg).toContain(`md5 ${md5}`);
    expect(msg).toMatch(/Closest titles: Breakout \(atari\/breakout, md5 f34f08e5eb96e500e851a80be3277a56\)/);
    expect(closestGames('space-invaders.a26')[0]!.id).toBe('space_invaders');
    expect(closestGames('MsPacman.bin')[0]!.id).toBe('ms_pacman');
    expect(listAtariGames(dir).unrecognised[0]).toMatchObject({ path, md5 });
    expect(listAtariGames(dir).unrecognised[0]!.closest[0]).toBe('breakout');
  });

  it('a truncated ROM is refused before the emulator starts, with the size and the next valid one', () => {
    const path = join(dir, 'cut.bin');
    writeFileSync(path, readFileSync(join(ROM_DIR, 'game.bin')).subarray(0, 3000));
    expect(() => identifyRomFile(path)).toThrow(/cut\.bin has 3000 bytes, which no Atari 2600 cartridge has.*looks truncated \(the next valid size is 4096\)/);
    expect(() => makeAtariEnvFromFile(path)).toThrow(/3000 bytes/);
  });

  it('a non-2600 file is refused: known formats by magic, others by a reset vector outside cartridge space', () => {
    const zip = new Uint8Array(4096);
    zip.set([0x50, 0x4b, 0x03, 0x04]);
    expect(() => checkRomImage(zip, 'roms/pong.zip')).toThrow(/roms\/pong\.zip is a ZIP archive \(unpack it first\), not an Atari 2600 ROM image/);
    const junk = new Uint8Array(4096).fill(0x20); // reset vector $2020: A12 clear
    expect(() => checkRomImage(junk, 'junk.bin')).toThrow(/reset vector \(\$2020.*points outside cartridge space/);
    expect(() => makeAtariEnvFromRom(romSettingsById('pong')!, junk)).toThrow(/the ROM given for atari\/pong.*reset vector/);
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, new Uint8Array(0));
    expect(() => identifyRomFile(empty)).toThrow(/has 0 bytes/);
  });

  it('the ROM directory search says when a file named like the game is another image or not a ROM', () => {
    const d = mkdtempSync(join(tmpdir(), 'coknight-badrom2-'));
    writeFileSync(join(d, 'pong.bin'), new Uint8Array(100));
    expect(() => makeEnv('atari/pong', { romDir: d } as object)).toThrow(/pong\.bin has md5 .* 100 bytes, which no Atari 2600 cartridge has/);
    copyFileSync(join(ROM_DIR, 'game.bin'), join(d, 'breakout.bin'));
    expect(() => makeEnv('atari/breakout', { romDir: d } as object)).toThrow(/it is Coknight test game \(atari\/coknight_test_game\)/);
  });

  it('identifies a good ROM file by md5 whatever its name', () => {
    const d = mkdtempSync(join(tmpdir(), 'coknight-goodrom-'));
    copyFileSync(join(ROM_DIR, 'game.bin'), join(d, 'whatever.a26'));
    expect(identifyRomFile(join(d, 'whatever.a26')).settings.id).toBe('coknight_test_game');
  });
});

describe('coknight atari list', () => {
  async function run(args: string[], env: Record<string, string | undefined> = {}) {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const saved = process.env.COKNIGHT_ROM_DIR;
    if ('COKNIGHT_ROM_DIR' in env) {
      if (env.COKNIGHT_ROM_DIR === undefined) delete process.env.COKNIGHT_ROM_DIR;
      else process.env.COKNIGHT_ROM_DIR = env.COKNIGHT_ROM_DIR;
    }
    try {
      const program = buildProgram();
      program.exitOverride();
      await program.parseAsync(['node', 'coknight', 'atari', 'list', ...args]);
    } finally {
      spy.mockRestore();
      if (saved === undefined) delete process.env.COKNIGHT_ROM_DIR;
      else process.env.COKNIGHT_ROM_DIR = saved;
    }
    return lines.join('\n');
  }

  it('without a ROM directory lists the supported games and says how to point at ROMs', async () => {
    const out = await run([], { COKNIGHT_ROM_DIR: undefined });
    expect(out).toMatch(/^\d+ supported Atari games/);
    expect(out).toContain('atari/breakout');
    expect(out).toContain('md5 f34f08e5eb96e500e851a80be3277a56');
    expect(out).toContain('atari/chopper_command');
    expect(out).toMatch(/pass --rom-dir DIR .* or set COKNIGHT_ROM_DIR=DIR/);
    const json = JSON.parse(await run(['--json'], { COKNIGHT_ROM_DIR: undefined }));
    expect(json.dir).toBeNull();
    expect(json.games.length).toBeGreaterThanOrEqual(18);
  });

  it('with a ROM directory shows what was found', async () => {
    const out = await run(['--rom-dir', ROM_DIR]);
    expect(out).toMatch(/supported games found/);
    expect(out).toMatch(/atari\/coknight_test_game\s+Coknight test game\s+found/);
    expect(out).toMatch(/matched no supported game's md5/);
  });
});
