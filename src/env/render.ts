/**
 * Pictures of MinAtar observations (HWC 0/1 grids): an indexed image where each cell is a square of
 * one colour, then PNG (one frame or a strip of frames) and animated GIF encodings of it.
 * Colours follow MinAtar's own display (seaborn's "cubehelix" palette with one entry per channel):
 * empty cells are black, channel c gets palette entry c + 1, and a cell where several channels are set
 * shows the highest one. Works for any channel count, so every MinAtar game renders without a table.
 */
import { PNG } from 'pngjs';
import * as gifenc from 'gifenc';
import { EnvError } from './errors.js';
import type { ObservationSpec } from './types.js';

export type Rgb = readonly [number, number, number];

// gifenc is CommonJS for Node (exports under `default`) and ESM for bundlers such as vitest's.
const GIFEncoder: typeof gifenc.GIFEncoder = gifenc.GIFEncoder ?? gifenc.default.GIFEncoder;

export interface RenderOptions {
  /** Side of one cell in pixels, grid lines included (default 32). */
  cellSize?: number;
  /** Width of the grid lines in pixels; 0 draws none (default 1). */
  gridLine?: number;
  /** Colour of the grid lines (default dark grey). */
  gridColor?: Rgb;
}

export interface GifOptions extends RenderOptions {
  /** Time each frame is shown, in milliseconds (default 100). */
  delayMs?: number;
}

export interface StripOptions extends RenderOptions {
  /** Frames per row of the strip before it wraps (default 10). */
  columns?: number;
  /** Pixels of gap between frames (default 4). */
  gap?: number;
}

/** An image whose pixels are indices into `palette`. */
export interface IndexedImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
  readonly palette: readonly Rgb[];
}

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** Row-major RGB, 3 bytes per pixel. */
  readonly data: Uint8Array;
}

const DEFAULT_GRID_COLOR: Rgb = [48, 48, 48];
/** Separates frames in a strip; distinct from black so empty frames still show their edges. */
const GAP_COLOR: Rgb = [96, 96, 96];

/**
 * Matplotlib's "cubehelix" colormap (Green 2011, defaults gamma 1, start 0.5, rotations -1.5, hue 1)
 * evaluated like matplotlib does it: a 256-entry lookup table, looked up at floor(x * 256).
 */
export function cubehelix(x: number): Rgb {
  const i = Math.min(255, Math.max(0, Math.floor(x * 256)));
  const t = i / 255;
  const amp = (t * (1 - t)) / 2;
  const phi = 2 * Math.PI * (0.5 / 3 - 1.5 * t);
  const cos = Math.cos(phi);
  const sin = Math.sin(phi);
  const channel = (p0: number, p1: number): number => {
    const v = t + amp * (p0 * cos + p1 * sin);
    return Math.round(Math.min(1, Math.max(0, v)) * 255);
  };
  return [channel(-0.14861, 1.78277), channel(-0.29227, -0.90649), channel(1.97294, 0)];
}

/**
 * MinAtar's display palette for `channels` channels: entry 0 is black (empty cell), entry c + 1 is
 * seaborn's color_palette("cubehelix", channels)[c], i.e. the colormap at (c + 1) / (channels + 1).
 */
export function minatarPalette(channels: number): Rgb[] {
  const palette: Rgb[] = [[0, 0, 0]];
  for (let c = 0; c < channels; c++) palette.push(cubehelix((c + 1) / (channels + 1)));
  return palette;
}

interface Grid {
  readonly h: number;
  readonly w: number;
  readonly c: number;
}

function gridOf(spec: ObservationSpec): Grid {
  const shape = spec.shape;
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new EnvError(`render: observationSpec.shape must be [height, width, channels] of positive integers, got [${shape.join(', ')}]`);
  }
  if (!spec.binary) {
    throw new EnvError('render: draws 0/1 grid observations (MinAtar games); this observationSpec has binary: false (image frames such as Atari)');
  }
  const [h, w, c] = shape;
  if (c > 250) throw new EnvError(`render: at most 250 channels can be coloured, observationSpec.shape has ${c}`);
  return { h, w, c };
}

function checkObservation(obs: Uint8Array, g: Grid, what: string): void {
  const n = g.h * g.w * g.c;
  if (obs.length !== n) {
    throw new EnvError(
      `render: ${what} has ${obs.length} values but observationSpec.shape [${g.h}, ${g.w}, ${g.c}] needs ${n}; pass the spec of the env that produced it`,
    );
  }
}

function layout(opts: RenderOptions): { cell: number; line: number; gridColor: Rgb } {
  const cell = opts.cellSize ?? 32;
  const line = opts.gridLine ?? 1;
  if (!(Number.isInteger(cell) && cell >= 1)) throw new EnvError(`render: cellSize must be an integer >= 1, got ${cell}`);
  if (!(Number.isInteger(line) && line >= 0 && line < cell)) {
    throw new EnvError(`render: gridLine must be an integer in [0, cellSize - 1] = [0, ${cell - 1}], got ${line}`);
  }
  return { cell, line, gridColor: opts.gridColor ?? DEFAULT_GRID_COLOR };
}

/** Palette index of cell (y, x): the highest channel set, plus one; 0 when empty. */
export function cellColorIndex(obs: Uint8Array, spec: ObservationSpec, y: number, x: number): number {
  const { w, c } = gridOf(spec);
  return topChannel(obs, (y * w + x) * c, c) + 1;
}

function topChannel(obs: Uint8Array, base: number, c: number): number {
  for (let k = c - 1; k >= 0; k--) if (obs[base + k] !== 0) return k;
  return -1;
}

/** Pixel size of one rendered frame: grid lines surround every cell, so one extra line closes the edge. */
export function frameSize(spec: ObservationSpec, opts: RenderOptions = {}): { width: number; height: number } {
  const { h, w } = gridOf(spec);
  const { cell, line } = layout(opts);
  return { width: w * cell + line, height: h * cell + line };
}

/**
 * Draws one observation into `pixels` (row stride `stride`) at (x0, y0). Palette indices: 0 black,
 * 1..C channels, C + 1 grid lines.
 */
function drawFrame(obs: Uint8Array, g: Grid, cell: number, line: number, pixels: Uint8Array, stride: number, x0: number, y0: number): void {
  const gridIndex = g.c + 1;
  const width = g.w * cell + line;
  const height = g.h * cell + line;
  for (let py = 0; py < height; py++) {
    const row = (y0 + py) * stride + x0;
    const cy = Math.floor(py / cell);
    const onHLine = py % cell < line || cy >= g.h;
    for (let px = 0; px < width; px++) {
      const cx = Math.floor(px / cell);
      if (onHLine || px % cell < line || cx >= g.w) {
        pixels[row + px] = gridIndex;
      } else {
        pixels[row + px] = topChannel(obs, (cy * g.w + cx) * g.c, g.c) + 1;
      }
    }
  }
}

function paletteFor(g: Grid, gridColor: Rgb): Rgb[] {
  return [...minatarPalette(g.c), gridColor];
}

/** One observation as an indexed image (palette: black, one colour per channel, grid colour). */
export function renderIndexed(obs: Uint8Array, spec: ObservationSpec, opts: RenderOptions = {}): IndexedImage {
  const g = gridOf(spec);
  checkObservation(obs, g, 'observation');
  const { cell, line, gridColor } = layout(opts);
  const { width, height } = frameSize(spec, opts);
  const pixels = new Uint8Array(width * height);
  drawFrame(obs, g, cell, line, pixels, width, 0, 0);
  return { width, height, pixels, palette: paletteFor(g, gridColor) };
}

export function indexedToRgb(img: IndexedImage): RgbImage {
  const data = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.pixels.length; i++) {
    const col = img.palette[img.pixels[i]];
    data[3 * i] = col[0];
    data[3 * i + 1] = col[1];
    data[3 * i + 2] = col[2];
  }
  return { width: img.width, height: img.height, data };
}

/** One observation as an RGB image. */
export function renderRgb(obs: Uint8Array, spec: ObservationSpec, opts: RenderOptions = {}): RgbImage {
  return indexedToRgb(renderIndexed(obs, spec, opts));
}

function encodePng(img: IndexedImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.pixels.length; i++) {
    const col = img.palette[img.pixels[i]];
    png.data[4 * i] = col[0];
    png.data[4 * i + 1] = col[1];
    png.data[4 * i + 2] = col[2];
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** One observation as a PNG file's bytes. */
export function renderPng(obs: Uint8Array, spec: ObservationSpec, opts: RenderOptions = {}): Buffer {
  return encodePng(renderIndexed(obs, spec, opts));
}

function checkFrames(frames: readonly Uint8Array[], g: Grid): void {
  if (frames.length === 0) throw new EnvError('render: frames is empty; pass at least one observation');
  frames.forEach((f, i) => checkObservation(f, g, `frame ${i}`));
}

/** Frames laid out left to right, wrapping every `columns` frames, as an indexed image. */
export function renderStripIndexed(frames: readonly Uint8Array[], spec: ObservationSpec, opts: StripOptions = {}): IndexedImage {
  const g = gridOf(spec);
  checkFrames(frames, g);
  const { cell, line, gridColor } = layout(opts);
  const columns = opts.columns ?? 10;
  const gap = opts.gap ?? 4;
  if (!(Number.isInteger(columns) && columns >= 1)) throw new EnvError(`render: columns must be an integer >= 1, got ${columns}`);
  if (!(Number.isInteger(gap) && gap >= 0)) throw new EnvError(`render: gap must be an integer >= 0, got ${gap}`);
  const f = frameSize(spec, opts);
  const cols = Math.min(columns, frames.length);
  const rows = Math.ceil(frames.length / columns);
  const width = cols * f.width + (cols - 1) * gap;
  const height = rows * f.height + (rows - 1) * gap;
  const palette = [...paletteFor(g, gridColor), GAP_COLOR];
  const pixels = new Uint8Array(width * height).fill(palette.length - 1);
  frames.forEach((obs, i) => {
    const x0 = (i % columns) * (f.width + gap);
    const y0 = Math.floor(i / columns) * (f.height + gap);
    drawFrame(obs, g, cell, line, pixels, width, x0, y0);
  });
  return { width, height, pixels, palette };
}

/** A strip of frames as a PNG file's bytes. */
export function renderStripPng(frames: readonly Uint8Array[], spec: ObservationSpec, opts: StripOptions = {}): Buffer {
  return encodePng(renderStripIndexed(frames, spec, opts));
}

/** An animated, looping GIF of the frames. The palette is exact (no quantisation): one colour per channel. */
export function renderEpisodeGif(frames: readonly Uint8Array[], spec: ObservationSpec, opts: GifOptions = {}): Uint8Array {
  const g = gridOf(spec);
  checkFrames(frames, g);
  const delay = opts.delayMs ?? 100;
  if (!(Number.isFinite(delay) && delay >= 0)) throw new EnvError(`render: delayMs must be a number >= 0, got ${delay}`);
  const { cell, line, gridColor } = layout(opts);
  const { width, height } = frameSize(spec, opts);
  const palette = paletteFor(g, gridColor).map((c) => [c[0], c[1], c[2]]);
  const gif = GIFEncoder();
  const pixels = new Uint8Array(width * height);
  frames.forEach((obs, i) => {
    drawFrame(obs, g, cell, line, pixels, width, 0, 0);
    gif.writeFrame(pixels, width, height, i === 0 ? { palette, delay, repeat: 0 } : { delay });
  });
  gif.finish();
  return gif.bytes();
}
