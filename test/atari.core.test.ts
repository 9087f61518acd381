/**
 * The Stella wasm core and ALE's screen window, checked with the project's own test ROM
 * (packages/ale-wasm/test-roms/patterns.asm): every pixel of the screen, RAM byte by byte, inputs,
 * RAM writes, and determinism. Emulator instances are reused: a load costs a few hundred ms.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALE_SCREEN_HEIGHT, ALE_SCREEN_WIDTH, copyAleWindow, STELLA_ROW_OF_ALE_ROW_0 } from '../src/env/atari/ale.js';
import { JOY, StellaCore, coreLoaded } from '../src/env/atari/core.js';
import { md5Hex } from '../src/env/atari/roms.js';

const ROM_DIR = new URL('../packages/ale-wasm/test-roms/', import.meta.url);
const patterns = new Uint8Array(readFileSync(new URL('patterns.bin', ROM_DIR)));
const paddle = new Uint8Array(readFileSync(new URL('paddle.bin', ROM_DIR)));

// patterns.asm: RAM $80/$81 frame counter, $82 SWCHA, $83 INPT4, $84 playfield colour, $85 SWCHB.
const FRAME_LO = 0;
const FRAME_HI = 1;
const SWCHA = 2;
const INPT4 = 3;
const PF_COLOR = 4;
const SWCHB = 5;
/** The ROM's first visible line comes 37 lines after VSYNC ends; ALE's window starts 34 lines after. */
const FIRST_VISIBLE_ALE_ROW = 37 - 34;

/** Expected palette index of ALE screen pixel (x, row) for patterns.asm with playfield colour pf. */
function expectedPixel(x: number, row: number, pf: number): number {
  const y = row - FIRST_VISIBLE_ALE_ROW;
  if (y < 0 || y >= 192) return 0; // VBLANK: black
  const cell = Math.floor(x / 4) % 20; // 20 playfield cells per half, repeated (CTRLPF = 0)
  let on: boolean;
  if (cell < 4)
    on = ((0xa0 >> (4 + cell)) & 1) === 1; // PF0 bits 4..7, left to right
  else if (cell < 12)
    on = ((0xcc >> (7 - (cell - 4))) & 1) === 1; // PF1 bits 7..0
  else on = ((0x55 >> (cell - 12)) & 1) === 1; // PF2 bits 0..7
  return on ? pf : y & 0xfe;
}

function aleScreen(core: StellaCore): Uint8Array {
  const out = new Uint8Array(ALE_SCREEN_WIDTH * ALE_SCREEN_HEIGHT);
  copyAleWindow(core.frame(), core.frameHeight, out);
  return out;
}

function firstMismatch(screen: Uint8Array, pf: number): string | null {
  for (let row = 0; row < ALE_SCREEN_HEIGHT; row++) {
    for (let x = 0; x < ALE_SCREEN_WIDTH; x++) {
      const want = expectedPixel(x, row, pf);
      const got = screen[row * ALE_SCREEN_WIDTH + x];
      if (got !== want) return `pixel (x=${x}, row=${row}): got ${got}, want ${want}`;
    }
  }
  return null;
}

describe('Stella core (wasm)', () => {
  let core: StellaCore;

  beforeAll(() => {
    expect(coreLoaded()).toBe(false); // importing the module did not compile the wasm
    core = StellaCore.create();
    expect(coreLoaded()).toBe(true);
    core.loadRom(patterns, 0);
    for (let i = 0; i < 10; i++) core.step(0);
  });

  it('uses the committed test ROM', () => {
    expect(patterns.length).toBe(4096);
    expect(md5Hex(patterns)).toBe('ac65351e8efed6908113365ebc858d51');
  });

  it('reports a 160-pixel NTSC frame tall enough for the ALE window', () => {
    expect(core.frameWidth).toBe(160);
    expect(core.frameHeight).toBeGreaterThanOrEqual(STELLA_ROW_OF_ALE_ROW_0 + ALE_SCREEN_HEIGHT);
  });

  it('counts one frame per step in RAM', () => {
    const before = core.ram()[FRAME_LO]! + 256 * core.ram()[FRAME_HI]!;
    for (let i = 0; i < 300; i++) core.step(0);
    const after = core.ram()[FRAME_LO]! + 256 * core.ram()[FRAME_HI]!;
    expect(after - before).toBe(300);
    expect(core.frameNumber).toBe(310);
  });

  it('draws the known pattern, pixel by pixel, in the ALE window', () => {
    core.step(0);
    expect(firstMismatch(aleScreen(core), 0x1e)).toBeNull();
  });

  it('writes RAM at once; the ROM picks the new playfield colour up on the next frame', () => {
    core.writeRam(0x80 | PF_COLOR, 0x44); // address taken modulo 128
    expect(core.ram()[PF_COLOR]).toBe(0x44);
    core.step(0); // the ROM copies $84 to COLUPF in this frame's overscan
    core.step(0); // drawn with it
    expect(firstMismatch(aleScreen(core), 0x44)).toBeNull();
    core.writeRam(PF_COLOR, 0x1e);
    core.step(0);
    core.step(0);
    expect(firstMismatch(aleScreen(core), 0x1e)).toBeNull();
  });

  it('passes joystick and console switches to the ROM (RAM byte by byte)', () => {
    const read = () => [core.ram()[SWCHA]!, core.ram()[INPT4]! & 0x80, core.ram()[SWCHB]! & 0x03];
    core.step(0);
    expect(read()).toEqual([0xff, 0x80, 0x03]);
    // SWCHA: P0 right=bit 7, left=6, down=5, up=4, active low; INPT4 bit 7 low = fire.
    core.step(JOY.UP | JOY.RIGHT);
    expect(read()).toEqual([0xff & ~0x10 & ~0x80, 0x80, 0x03]);
    core.step(JOY.DOWN | JOY.LEFT | JOY.FIRE);
    expect(read()).toEqual([0xff & ~0x20 & ~0x40, 0x00, 0x03]);
    // SWCHB: bit 0 = RESET, bit 1 = SELECT, active low.
    core.step(JOY.RESET);
    expect(read()).toEqual([0xff, 0x80, 0x02]);
    core.step(JOY.SELECT);
    expect(read()).toEqual([0xff, 0x80, 0x01]);
    core.step(0);
    expect(read()).toEqual([0xff, 0x80, 0x03]);
  });

  it('is deterministic: two loads with the same seed give the same frames and RAM', () => {
    const a = StellaCore.create();
    const b = StellaCore.create();
    a.loadRom(patterns, 5);
    b.loadRom(patterns, 5);
    const inputs = [0, JOY.FIRE, JOY.LEFT, 0, JOY.UP | JOY.FIRE, JOY.RESET, 0];
    for (let i = 0; i < 70; i++) {
      const bits = inputs[i % inputs.length]!;
      a.step(bits);
      b.step(bits);
      expect(Buffer.from(a.ram()).equals(Buffer.from(b.ram()))).toBe(true);
    }
    expect(Buffer.from(a.frame()).equals(Buffer.from(b.frame()))).toBe(true);
    // A reset with a seed powers the console back on: the counter starts again from zero.
    a.reset(9);
    a.step(0);
    expect(a.ram()[FRAME_LO]! + 256 * a.ram()[FRAME_HI]!).toBeLessThan(3);
  });

  it('rejects use without a ROM and bad ROMs with clear errors', () => {
    const c = StellaCore.create();
    expect(() => c.frame()).toThrow(/no ROM loaded/);
    expect(() => c.loadRom(new Uint8Array(0))).toThrow(/ROM size 0/);
  });
});

describe('paddles (ALE mapping)', () => {
  // paddle.asm: RAM $80 = visible lines until paddle 0 charged (grows with resistance), $81 = SWCHA.
  const PADDLE_DEFAULT = (790196 - 27450) / 2 + 27450;
  let core: StellaCore;
  const potLines = () => core.ram()[0]!;

  beforeAll(() => {
    core = StellaCore.create();
    core.loadRom(paddle, 0);
    for (let i = 0; i < 5; i++) core.step(0);
  });

  it('detects paddles on the left port from the ROM code', () => {
    expect(core.usesPaddles).toBe(true);
    expect(core.paddleResistance).toBe(PADDLE_DEFAULT);
  });

  it('moves the paddle by 23,000 ohms per frame, RIGHT lowering and LEFT raising the resistance', () => {
    core.step(0);
    const mid = potLines();
    expect(mid).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) core.step(JOY.RIGHT);
    expect(core.paddleResistance).toBe(PADDLE_DEFAULT - 3 * 23000);
    const lower = potLines();
    expect(lower).toBeLessThan(mid);
    for (let i = 0; i < 6; i++) core.step(JOY.LEFT);
    expect(core.paddleResistance).toBe(PADDLE_DEFAULT + 3 * 23000);
    expect(potLines()).toBeGreaterThan(mid);
    for (let i = 0; i < 40; i++) core.step(JOY.RIGHT);
    expect(core.paddleResistance).toBe(27450); // clamped at ALE's minimum
    expect(potLines()).toBeLessThan(lower);
    core.reset(0);
    expect(core.paddleResistance).toBe(PADDLE_DEFAULT);
  });

  it("maps FIRE to the paddle's button (SWCHA bit 7)", () => {
    core.step(0); // the first frame after the power-cycle ends before the ROM's overscan
    core.step(0);
    expect(core.ram()[1]! & 0x80).toBe(0x80);
    core.step(JOY.FIRE);
    expect(core.ram()[1]! & 0x80).toBe(0);
  });

  it('leaves joystick ROMs on the joystick', () => {
    const c = StellaCore.create();
    c.loadRom(patterns, 0);
    expect(c.usesPaddles).toBe(false);
  });
});
