import { mkdirSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Command } from 'commander';
import { randomRollout, type RandomRollout } from '../../env/random-policy.js';
import { renderEpisodeGif, renderPng, renderStripPng } from '../../env/render.js';
import { parseIntArg, parseNumberArg } from '../args.js';

export { randomRollout };

export type RenderTarget = 'gif' | 'png-strip' | 'png-dir';

/** `.gif` → animation, `.png` → one strip image, anything else → a directory of frames plus a strip. */
export function renderTarget(out: string): RenderTarget {
  const ext = extname(out).toLowerCase();
  if (ext === '.gif') return 'gif';
  if (ext === '.png') return 'png-strip';
  return 'png-dir';
}

interface RenderCliOptions {
  env: string;
  seed: number;
  steps: number;
  out: string;
  cellSize: number;
  delay: number;
  columns: number;
  sticky?: number;
  romDir?: string;
}

/** Writes the rollout where `out` says and returns the paths written. */
export function writeRollout(rollout: RandomRollout, out: string, opts: Omit<RenderCliOptions, 'env' | 'seed' | 'steps' | 'out'>): string[] {
  const { frames, spec } = rollout;
  const look = { cellSize: opts.cellSize };
  switch (renderTarget(out)) {
    case 'gif':
      writeFileSync(out, renderEpisodeGif(frames, spec, { ...look, delayMs: opts.delay }));
      return [out];
    case 'png-strip':
      writeFileSync(out, renderStripPng(frames, spec, { ...look, columns: opts.columns }));
      return [out];
    case 'png-dir': {
      mkdirSync(out, { recursive: true });
      const width = String(frames.length - 1).length;
      const paths = frames.map((f, i) => {
        const p = join(out, `frame-${String(i).padStart(width, '0')}.png`);
        writeFileSync(p, renderPng(f, spec, look));
        return p;
      });
      const strip = join(out, 'strip.png');
      writeFileSync(strip, renderStripPng(frames, spec, { ...look, columns: opts.columns }));
      return [...paths, strip];
    }
  }
}

/** `coknight render`: pictures of a game played by a seeded random policy, to see what the agent sees. */
export function registerRender(program: Command): void {
  program
    .command('render')
    .description('play a seeded random policy and write the frames as an animated GIF, a PNG strip or a folder of PNGs')
    .option('--env <id>', 'environment id', 'minatar/breakout')
    .option('--seed <n>', 'seed of the env and of the random policy', parseIntArg('--seed', 0), 0)
    .option('--steps <n>', 'number of steps to play (a new episode starts when one ends)', parseIntArg('--steps', 0), 100)
    .requiredOption('--out <path>', 'file.gif (animation), file.png (strip of frames) or a directory (one PNG per frame + strip.png)')
    .option('--cell-size <px>', 'pixels per grid cell', parseIntArg('--cell-size', 2), 32)
    .option('--delay <ms>', 'GIF: milliseconds per frame', parseIntArg('--delay', 0), 100)
    .option('--columns <n>', 'PNG strip: frames per row', parseIntArg('--columns', 1), 10)
    .option('--sticky <p>', 'sticky-action probability (default: the env default, 0.1 for MinAtar)', parseNumberArg('--sticky', 0))
    .option('--rom-dir <dir>', 'Atari ROM directory (default $COKNIGHT_ROM_DIR)')
    .action((opts: RenderCliOptions) => {
      const rollout = randomRollout(opts.env, opts.seed, opts.steps, opts.sticky, opts.romDir);
      const written = writeRollout(rollout, opts.out, opts);
      const total = rollout.rewards.reduce((a, b) => a + b, 0);
      const where = written.length === 1 ? written[0] : `${opts.out} (${written.length} files)`;
      console.log(
        `${opts.env}: ${opts.steps} random steps (seed ${opts.seed}), reward ${total}, ` +
          `${rollout.returns.length} episode(s) ended${rollout.returns.length ? ` with returns ${rollout.returns.join(', ')}` : ''}; wrote ${where}`,
      );
    });
}
