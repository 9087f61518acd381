/**
 * MinAtar games as Atari-sized frames (`minatar-pixels/<game>`): each 10×10 grid is drawn as an
 * 84×84 grayscale image (8×8 pixels per cell inside a 2-pixel border, each channel — paddle, ball,
 * bricks… — its own gray level, later channels over earlier ones) and the last 4 frames are stacked,
 * newest in channel 3, exactly as the Atari wrappers lay out `atari/<game>`. So the IMPALA networks
 * and the partition planner face Atari-sized tensors (b_0 = 84·84·4 = 28,224 B) on games that learn
 * within the hour. Rewards, terminals, sticky actions and episode caps are the MinAtar game's own.
 */
import { FrameStack } from './atari/preprocessing.js';
import { MINATAR_GAMES } from './minatar/index.js';
import { MinAtarEnv } from './minatar/env.js';
import { registerEnv } from './registry.js';
import type { ActionSpec, Env, MakeEnvOptions, ObservationSpec, StepResult } from './types.js';

export const PIXEL_SIZE = 84;
export const PIXEL_STACK = 4;
const CELL = 8;
const BORDER = (PIXEL_SIZE - 10 * CELL) / 2;

/** Gray level of channel c of C: evenly spaced in [80, 255], so every object class stays distinct after /255. */
export function channelGray(c: number, channels: number): number {
  return Math.round(80 + (175 * (c + 1)) / channels);
}

/** Draws one HWC binary grid [10, 10, C] into an 84×84 grayscale frame. */
export function drawGrid(grid: Uint8Array, channels: number, out: Uint8Array): void {
  out.fill(0);
  for (let y = 0; y < 10; y++) {
    for (let x = 0; x < 10; x++) {
      let v = 0;
      for (let c = 0; c < channels; c++) if (grid[(y * 10 + x) * channels + c]) v = channelGray(c, channels);
      if (v === 0) continue;
      for (let py = 0; py < CELL; py++) {
        const row = (BORDER + y * CELL + py) * PIXEL_SIZE + BORDER + x * CELL;
        out.fill(v, row, row + CELL);
      }
    }
  }
}

export class MinAtarPixelsEnv implements Env {
  readonly numActions: number;
  readonly actionSpec: ActionSpec;
  readonly observationShape = [PIXEL_SIZE, PIXEL_SIZE, PIXEL_STACK] as const;
  readonly observationSpec: ObservationSpec = { shape: this.observationShape, dtype: 'uint8', binary: false };
  private readonly grid: Uint8Array;
  private readonly channels: number;
  private readonly stack = new FrameStack(PIXEL_SIZE * PIXEL_SIZE, PIXEL_STACK);

  constructor(
    readonly id: string,
    private readonly inner: MinAtarEnv,
  ) {
    this.numActions = inner.numActions;
    this.actionSpec = inner.actionSpec;
    this.channels = inner.observationShape[2];
    this.grid = new Uint8Array(inner.observationShape.reduce((a, b) => a * b, 1));
  }

  reset(seed?: number): Uint8Array {
    this.draw(this.inner.reset(seed));
    this.stack.fillWithNewest();
    return this.observation();
  }

  step(action: number): StepResult {
    const r = this.inner.step(action);
    this.draw(r.observation);
    return { ...r, observation: this.observation() };
  }

  observeInto(out: Uint8Array, offset: number): void {
    this.stack.writeHWC(out, offset);
  }

  private draw(grid: Uint8Array): void {
    this.grid.set(grid);
    drawGrid(this.grid, this.channels, this.stack.nextPlane());
    this.stack.push();
  }

  private observation(): Uint8Array {
    const out = new Uint8Array(PIXEL_SIZE * PIXEL_SIZE * PIXEL_STACK);
    this.stack.writeHWC(out, 0);
    return out;
  }
}

for (const [name, { factory, description }] of Object.entries(MINATAR_GAMES)) {
  const id = `minatar-pixels/${name}`;
  registerEnv({ id, family: 'minatar-pixels', description: `${description}, as stacked 84×84 grayscale frames` }, (opts: MakeEnvOptions) => {
    return new MinAtarPixelsEnv(id, new MinAtarEnv(`minatar/${name}`, factory, opts));
  });
}
