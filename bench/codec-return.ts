/**
 * The RL analogue of MAHPPO's accuracy loss: return at equal frames with and without a feature codec.
 * Local mode (`--mode local`) with distributed.codec acts through the real codec at the split
 * (head → encode → bytes → decode → tail, as a coknight actor at that split is served) and trains the
 * codec with the model (src/learner/codec-training.ts). Runs are sequential child processes of
 * `coknight train` (one at a time); each line gives the final mean return (last 100 training
 * episodes) and wall time, and --out is rewritten after every run (a long sweep keeps what finished).
 * Variants: f32 (no codec) and every codec at the lowest split it fits: f16, q8, q4, q8z, ae4q4.
 *
 * Run: npx tsx bench/codec-return.ts [--frames 100000] [--seeds 1] [--games breakout,space_invaders]
 *        [--variants f32,f16,q8,q4,q8z,ae4q4] [--out bench/results/codec-return.json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';

const BIN = join(import.meta.dirname, '..', 'bin', 'coknight.js');

const o = new Command()
  .option('--frames <n>', 'frames per run', '100000')
  .option('--seeds <list>', 'seeds, comma-separated', '1')
  .option('--games <list>', 'MinAtar games (configs/minatar-<game>.yaml)', 'breakout,space_invaders')
  .option('--variants <list>', 'f32 (no codec) or <codec>[:<joint|two-stage>] (default joint)', 'f32,f16,q8,q4,q8z,ae4q4')
  .option('--frozen-updates <n>', 'two-stage: codec-only updates first', '50')
  .option('--out <file>')
  .parse()
  .opts();

const rows: Record<string, unknown>[] = [];
for (const game of String(o.games).split(',')) {
  for (const seed of String(o.seeds).split(',').map(Number)) {
    for (const variant of String(o.variants).split(',')) {
      const [codec, training] = variant.split(':');
      const dir = mkdtempSync(join(tmpdir(), `ck-codec-${game}-`));
      const args = [
        BIN,
        'train',
        '--config',
        `configs/minatar-${game}.yaml`,
        '--frames',
        String(o.frames),
        '--seed',
        String(seed),
        '--run-dir',
        dir,
        '--progress',
        'none',
      ];
      if (codec !== 'f32') {
        args.push('--set', `distributed.codec=${codec}`, '--set', `distributed.codecTraining=${training ?? 'joint'}`);
        args.push('--set', `distributed.codecFrozenUpdates=${String(o.frozenUpdates)}`);
      }
      const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${variant} on ${game}: coknight train failed:\n${r.stderr}`);
      const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { finalMeanReturn: number; wallSeconds: number; frames: number };
      const row = { game, seed, variant, frames: s.frames, finalMeanReturn: s.finalMeanReturn, wallSeconds: s.wallSeconds };
      rows.push(row);
      console.log(
        `${game.padEnd(15)} seed ${seed}  ${variant.padEnd(18)} frames ${s.frames}  return ${s.finalMeanReturn.toFixed(2)}  (${s.wallSeconds.toFixed(0)} s)`,
      );
      if (o.out) writeFileSync(String(o.out), JSON.stringify({ frames: Number(o.frames), rows }, null, 2) + '\n');
    }
  }
}
