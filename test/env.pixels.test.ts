import { describe, expect, it } from 'vitest';
import { channelGray, drawGrid, makeEnv, PIXEL_SIZE } from '../src/env/index.js';
import { resolveNetworkSpec } from '../src/model/index.js';

describe('minatar-pixels: MinAtar games as stacked 84×84 frames', () => {
  it('draws each cell as an 8×8 block inside a 2-pixel border, each channel its own gray level', () => {
    // Gray levels for 4 channels: 80 + 175·(c+1)/4 = 123.75, 167.5, 211.25, 255 → rounded.
    expect([0, 1, 2, 3].map((c) => channelGray(c, 4))).toEqual([124, 168, 211, 255]);
    const grid = new Uint8Array(10 * 10 * 4);
    grid[(0 * 10 + 0) * 4 + 1] = 1; // cell (0, 0), channel 1
    grid[(9 * 10 + 9) * 4 + 3] = 1; // cell (9, 9), channel 3 ...
    grid[(9 * 10 + 9) * 4 + 0] = 1; // ... and channel 0: the later channel wins
    const out = new Uint8Array(PIXEL_SIZE * PIXEL_SIZE);
    drawGrid(grid, 4, out);
    const px = (x: number, y: number): number => out[y * PIXEL_SIZE + x];
    expect([px(1, 1), px(2, 2), px(9, 9), px(10, 10)]).toEqual([0, 168, 168, 0]);
    expect([px(73, 73), px(81, 81), px(82, 82)]).toEqual([0, 255, 0]);
    expect(out.reduce((n, v) => n + (v > 0 ? 1 : 0), 0)).toBe(2 * 64);
  });

  it('stacks 4 frames HWC, newest in channel 3, with the game’s own rewards and terminals', () => {
    const pix = makeEnv('minatar-pixels/breakout', { seed: 5 });
    const grid = makeEnv('minatar/breakout', { seed: 5 });
    expect(pix.observationShape).toEqual([84, 84, 4]);
    const first = pix.reset(9);
    grid.reset(9);
    // After a reset every slot holds the first frame.
    for (let p = 0; p < 84 * 84; p++) expect(new Set([first[p * 4], first[p * 4 + 1], first[p * 4 + 2], first[p * 4 + 3]]).size).toBe(1);
    let prevNewest = Uint8Array.from({ length: 84 * 84 }, (_, p) => first[p * 4 + 3]);
    for (let t = 0; t < 200; t++) {
      const a = t % 3;
      const r = pix.step(a);
      const g = grid.step(a);
      expect([r.reward, r.terminated, r.truncated]).toEqual([g.reward, g.terminated, g.truncated]);
      const expected = new Uint8Array(84 * 84);
      drawGrid(g.observation, 4, expected);
      for (let p = 0; p < 84 * 84; p += 97) {
        expect(r.observation[p * 4 + 3]).toBe(expected[p]);
        expect(r.observation[p * 4 + 2]).toBe(prevNewest[p]);
      }
      prevNewest = expected;
      if (r.terminated || r.truncated) break;
    }
  });

  it('is what the IMPALA shallow net sees: b_0 = 28,224 bytes', () => {
    const env = makeEnv('minatar-pixels/space_invaders');
    expect(resolveNetworkSpec('auto', env.observationShape)).toBe('impala-shallow');
    expect(env.observationShape.reduce((a, b) => a * b, 1)).toBe(28_224);
  });
});
