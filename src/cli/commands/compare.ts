import { type Command, InvalidArgumentError } from 'commander';
import { compareRuns, type CompareX, defaultCompareOut } from '../../run/compare.js';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('overlay learning curves (mean ± stderr over runs), throughput and busy fractions of runs; SVG/PNG charts and a Markdown table')
    .argument('<run-dirs...>', 'run directories of one env (runs/<name> …)')
    .option('--by <field>', 'group runs by mode, seed or a config field (e.g. hyper.learningRate, distributed.linkBandwidth)', 'mode')
    .option(
      '--x <axis>',
      'x axis of the curves: frames | time',
      (v: string): CompareX => {
        if (v !== 'frames' && v !== 'time') throw new InvalidArgumentError(`--x must be frames or time, got "${v}"`);
        return v;
      },
      'frames' as CompareX,
    )
    .option('--out <dir>', 'output folder (default runs/compare-<names>)')
    .action(async (dirs: string[], o: { by: string; x: CompareX; out?: string }) => {
      const out = o.out ?? defaultCompareOut(dirs);
      const r = await compareRuns(dirs, { by: o.by, x: o.x, out });
      console.log(r.markdown);
      console.log(`wrote ${r.files.join(', ')}`);
    });
}
