import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { listEnvs, makeEnv } from '../src/env/index.js';
import type { ObservationSpec } from '../src/env/types.js';
import { cubehelix, frameSize, minatarPalette, renderEpisodeGif, renderIndexed, renderPng, renderRgb, renderStripPng } from '../src/env/render.js';

const SPEC4: ObservationSpec = { shape: [10, 10, 4], dtype: 'uint8', binary: true, channelNames: ['a', 'b', 'c', 'd'] };

function grid(cells: Array<[number, number, number]>, c = 4): Uint8Array {
  const obs = new Uint8Array(10 * 10 * c);
  for (const [y, x, ch] of cells) obs[(y * 10 + x) * c + ch] = 1;
  return obs;
}

function pixel(png: PNG, x: number, y: number): number[] {
  const i = 4 * (y * png.width + x);
  return [png.data[i], png.data[i + 1], png.data[i + 2], png.data[i + 3]];
}

describe('MinAtar palette', () => {
  it('matches seaborn color_palette("cubehelix", 4), the colours MinAtar draws Breakout with', () => {
    // Reference hex values of seaborn's cubehelix palette: #163d4e #54792f #d07e93 #c1caf3.
    expect(minatarPalette(4)).toEqual([
      [0, 0, 0],
      [0x16, 0x3d, 0x4e],
      [0x54, 0x79, 0x2f],
      [0xd0, 0x7e, 0x93],
      [0xc1, 0xca, 0xf3],
    ]);
  });

  it('runs from black to white like every cubehelix map', () => {
    expect(cubehelix(0)).toEqual([0, 0, 0]);
    expect(cubehelix(1)).toEqual([255, 255, 255]);
  });

  it('gives distinct colours for every channel count used by MinAtar (up to 10)', () => {
    for (let n = 1; n <= 10; n++) {
      const keys = new Set(minatarPalette(n).map((c) => c.join(',')));
      expect(keys.size).toBe(n + 1);
    }
  });
});

describe('renderPng', () => {
  const pal = minatarPalette(4);

  it('colours known cells, picks the highest channel, leaves empty cells black and draws grid lines', () => {
    const obs = grid([
      [0, 0, 0], // channel 0 alone
      [2, 3, 1], // channel 1 alone
      [9, 9, 0], // channels 0 and 3: channel 3 wins
      [9, 9, 3],
    ]);
    const png = PNG.sync.read(renderPng(obs, SPEC4, { cellSize: 8 }));
    expect([png.width, png.height]).toEqual([81, 81]);
    // Cell (y, x) spans pixels [x*8+1, x*8+7]; check its centre.
    const centre = (y: number, x: number) => pixel(png, x * 8 + 4, y * 8 + 4);
    expect(centre(0, 0)).toEqual([...pal[1], 255]);
    expect(centre(2, 3)).toEqual([...pal[2], 255]);
    expect(centre(9, 9)).toEqual([...pal[4], 255]);
    expect(centre(5, 5)).toEqual([0, 0, 0, 255]);
    // Every pixel inside the cell has the cell colour, corners included.
    expect(pixel(png, 3 * 8 + 1, 2 * 8 + 1)).toEqual([...pal[2], 255]);
    expect(pixel(png, 3 * 8 + 7, 2 * 8 + 7)).toEqual([...pal[2], 255]);
    // Grid lines on multiples of the cell size, including the closing edge.
    expect(pixel(png, 8, 4)).toEqual([48, 48, 48, 255]);
    expect(pixel(png, 4, 0)).toEqual([48, 48, 48, 255]);
    expect(pixel(png, 80, 80)).toEqual([48, 48, 48, 255]);
  });

  it('uses 32-pixel cells by default and can leave out the grid', () => {
    expect(frameSize(SPEC4)).toEqual({ width: 321, height: 321 });
    const png = PNG.sync.read(renderPng(grid([[0, 1, 2]]), SPEC4, { cellSize: 2, gridLine: 0 }));
    expect([png.width, png.height]).toEqual([20, 20]);
    expect(pixel(png, 2, 0)).toEqual([...pal[3], 255]);
    expect(pixel(png, 3, 1)).toEqual([...pal[3], 255]);
    expect(pixel(png, 1, 0)).toEqual([0, 0, 0, 255]);
  });

  it('renders an RGB buffer with the same colours', () => {
    const img = renderRgb(grid([[1, 1, 1]]), SPEC4, { cellSize: 4 });
    const i = 3 * (6 * img.width + 6);
    expect([...img.data.subarray(i, i + 3)]).toEqual([...pal[2]]);
  });

  it('names the field and the fix for bad input', () => {
    expect(() => renderPng(new Uint8Array(10), SPEC4)).toThrow(/400/);
    expect(() => renderPng(grid([]), { ...SPEC4, shape: [10, 40] })).toThrow(/shape must be \[height, width, channels\]/);
    expect(() => renderPng(grid([]), { ...SPEC4, binary: false })).toThrow(/binary: false/);
    expect(() => renderPng(grid([]), SPEC4, { cellSize: 0 })).toThrow(/cellSize/);
    expect(() => renderPng(grid([]), SPEC4, { cellSize: 4, gridLine: 4 })).toThrow(/gridLine/);
  });
});

describe('renderStripPng', () => {
  it('lays frames out in rows of `columns` with a gap', () => {
    const frames = [grid([[0, 0, 0]]), grid([[0, 0, 1]]), grid([[0, 0, 2]])];
    const png = PNG.sync.read(renderStripPng(frames, SPEC4, { cellSize: 4, columns: 2, gap: 3 }));
    // Frame is 41 px; two columns with one 3-px gap, two rows.
    expect([png.width, png.height]).toEqual([41 * 2 + 3, 41 * 2 + 3]);
    const pal = minatarPalette(4);
    expect(pixel(png, 2, 2)).toEqual([...pal[1], 255]);
    expect(pixel(png, 44 + 2, 2)).toEqual([...pal[2], 255]);
    expect(pixel(png, 2, 44 + 2)).toEqual([...pal[3], 255]);
    expect(pixel(png, 42, 10)).toEqual([96, 96, 96, 255]); // gap
    expect(pixel(png, 44 + 2, 44 + 2)).toEqual([96, 96, 96, 255]); // unused slot
  });

  it('refuses an empty list of frames', () => {
    expect(() => renderStripPng([], SPEC4)).toThrow(/at least one/);
  });
});

describe('renderEpisodeGif', () => {
  /** Counts image descriptors by walking the GIF block structure (GIF89a spec). */
  function gifFrames(bytes: Uint8Array): { header: string; width: number; height: number; frames: number; delays: number[] } {
    const header = String.fromCharCode(...bytes.subarray(0, 6));
    const width = bytes[6] | (bytes[7] << 8);
    const height = bytes[8] | (bytes[9] << 8);
    let p = 13;
    if (bytes[10] & 0x80) p += 3 * (1 << ((bytes[10] & 7) + 1));
    let frames = 0;
    const delays: number[] = [];
    const skipSubBlocks = () => {
      while (bytes[p] !== 0) p += bytes[p] + 1;
      p++;
    };
    for (;;) {
      const b = bytes[p++];
      if (b === 0x3b) break;
      if (b === 0x21) {
        const label = bytes[p++];
        if (label === 0xf9) delays.push((bytes[p + 2] | (bytes[p + 3] << 8)) * 10);
        skipSubBlocks();
      } else if (b === 0x2c) {
        frames++;
        const flags = bytes[p + 8];
        p += 9;
        if (flags & 0x80) p += 3 * (1 << ((flags & 7) + 1));
        p++; // LZW minimum code size
        skipSubBlocks();
      } else {
        throw new Error(`unexpected GIF block 0x${b.toString(16)} at ${p - 1}`);
      }
    }
    return { header, width, height, frames, delays };
  }

  it('writes a GIF89a with one image per frame, the frame size and the delay', () => {
    const env = makeEnv('minatar/breakout', { seed: 1 });
    const frames = [env.reset()];
    for (let i = 0; i < 6; i++) frames.push(env.step(i % env.numActions).observation);
    const gif = renderEpisodeGif(frames, env.observationSpec, { cellSize: 6, delayMs: 50 });
    const info = gifFrames(gif);
    expect(info.header).toBe('GIF89a');
    expect([info.width, info.height]).toEqual([61, 61]);
    expect(info.frames).toBe(7);
    expect(info.delays).toEqual(Array(7).fill(50));
  });
});

describe('every registered MinAtar game renders', () => {
  it('with its own channel count', () => {
    for (const { id } of listEnvs().filter((e) => e.family === 'minatar')) {
      const env = makeEnv(id, { seed: 0 });
      const png = PNG.sync.read(renderPng(env.reset(), env.observationSpec, { cellSize: 4 }));
      expect(png.width).toBe(41);
      expect(renderIndexed(env.reset(), env.observationSpec).palette.length).toBe(env.observationShape[2] + 2);
    }
  });
});
