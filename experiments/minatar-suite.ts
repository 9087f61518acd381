/**
 * Issue 17's MinAtar suite: local mode on all five games and the three distributed modes on Breakout and
 * Space Invaders, each a real `coknight train` run, then one table, curves vs frames and vs wall time,
 * and the README's learning table generated from them.
 *
 *   npx tsx experiments/minatar-suite.ts --quick                 # smoke run of the pipeline (minutes)
 *   npx tsx experiments/minatar-suite.ts --full [--games …] [--modes …] [--seeds 1,2,3]
 *   npx tsx experiments/minatar-suite.ts --full --collect --update-readme   # only aggregate what ran
 *
 * Runs live in --runs-root (default runs/minatar-suite[-quick]) as <game>-<mode>-s<seed>; a finished run
 * is skipped, an interrupted one resumed from its checkpoint, so the suite can be stopped and restarted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { bandChart } from '../src/plot/band-chart.js';
import { svgToPng } from '../src/plot/index.js';
import { CHECKPOINT_FILE } from '../src/run/checkpoint.js';
import { bandOf, loadRun, type RunData } from '../src/run/compare.js';
import { GAMES, MODES, parseList, runName, suitePlan, trainArgs, type RunSpec } from './minatar-suite/plan.js';
import { groupResults, markdownTable, replaceBetween, withEarlierRuns, type RunResult } from './minatar-suite/summary.js';

const program = new Command()
  .option('--quick', 'smoke run: 20k frames, Breakout and Asterix, 2 actors')
  .option('--full', "the issue's plan: 5M frames, every game, 3 seeds on Breakout and Space Invaders (default)")
  .option('--games <list>', `comma-separated subset of ${GAMES.join(', ')}`)
  .option('--modes <list>', `comma-separated subset of ${MODES.join(', ')}`)
  .option('--seeds <list>', 'comma-separated seeds (overrides the plan)')
  .option('--frames <n>', 'frames per run (overrides the plan)')
  .option('--runs-root <dir>', 'where the run directories live')
  .option('--out <dir>', 'results folder')
  .option('--collect', 'do not train: only aggregate the runs that exist')
  .option('--update-readme', "write the table into README.md's learning section")
  .parse();
const o = program.opts<Record<string, string | boolean | undefined>>();
const quick = o.quick === true;
const str = (k: string) => (typeof o[k] === 'string' ? o[k] : undefined);
const plan = suitePlan({
  quick,
  games: parseList('games', str('games'), GAMES),
  modes: parseList('modes', str('modes'), MODES),
  seeds: str('seeds')?.split(',').map(Number),
  frames: str('frames') !== undefined ? Number(str('frames')) : undefined,
});
const root = resolve(str('runsRoot') ?? (quick ? 'runs/minatar-suite-quick' : 'runs/minatar-suite'));
const out = resolve(str('out') ?? (quick ? 'experiments/results/minatar-quick' : 'experiments/results/minatar'));

const summaryOf = (dir: string): Record<string, unknown> | undefined =>
  existsSync(join(dir, 'summary.json')) ? (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>) : undefined;
const finished = (spec: RunSpec, dir: string) => Number(summaryOf(dir)?.frames ?? 0) >= spec.frames;

if (o.collect !== true) {
  for (const spec of plan) {
    const dir = join(root, spec.name);
    if (finished(spec, dir)) {
      console.log(`[suite] ${spec.name}: finished, skipped`);
      continue;
    }
    const resume = existsSync(join(dir, CHECKPOINT_FILE));
    console.log(`[suite] ${spec.name}: ${resume ? 'resuming' : 'training'} ${spec.frames} frames`);
    const r = spawnSync(process.execPath, ['bin/coknight.js', ...trainArgs(spec, dir, resume)], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`[suite] ${spec.name} exited with ${r.status ?? r.signal}; its run directory is ${dir}`);
  }
}

const results: RunResult[] = [];
const curves = new Map<string, { frames: RunData; time: RunData; spec: RunSpec }[]>();
for (const spec of plan) {
  const dir = join(root, spec.name);
  if (!existsSync(join(dir, 'episodes.jsonl'))) {
    console.log(`[suite] ${spec.name}: no run directory yet, left out of the table`);
    continue;
  }
  if (readFileSync(join(dir, 'episodes.jsonl'), 'utf8').trim() === '') {
    console.log(`[suite] ${spec.name}: no finished episode yet, left out of the table`);
    continue;
  }
  const byFrames = loadRun(dir, 'mode', 'frames');
  const summary = summaryOf(dir);
  results.push({
    game: spec.game,
    mode: spec.mode,
    seed: spec.seed,
    frames: Number(summary?.frames ?? byFrames.curve.at(-1)![0]),
    finalReturn: byFrames.finalReturn,
    wallSeconds: byFrames.wallSeconds,
    framesPerSecond: byFrames.framesPerSecond,
    finished: finished(spec, dir),
  });
  curves.set(spec.game, [...(curves.get(spec.game) ?? []), { frames: byFrames, time: loadRun(dir, 'mode', 'time'), spec }]);
}
const earlierFile = join(out, 'suite.json');
const earlier = existsSync(earlierFile) ? ((JSON.parse(readFileSync(earlierFile, 'utf8')) as { runs?: RunResult[] }).runs ?? []) : [];
const { runs: allRuns, kept } = withEarlierRuns(results, earlier);
for (const r of kept) console.log(`[suite] ${runName(r.game, r.mode, r.seed)}: kept from the earlier ${earlierFile} (no run directory here)`);
if (allRuns.length === 0) throw new Error(`[suite] no runs under ${root}: run without --collect first`);

mkdirSync(out, { recursive: true });
const groups = groupResults(allRuns);
const table = markdownTable(groups);
writeFileSync(join(out, 'suite.json'), `${JSON.stringify({ runsRoot: root, quick, runs: allRuns, groups }, null, 2)}\n`);
writeFileSync(join(out, 'table.md'), `${table}\n`);
for (const [game, runs] of curves) {
  for (const x of ['frames', 'time'] as const) {
    const byMode = new Map<string, RunData[]>();
    for (const r of runs) byMode.set(r.spec.mode, [...(byMode.get(r.spec.mode) ?? []), r[x]]);
    const svg = await bandChart({
      title: `MinAtar ${game}: episode return (trailing 100) by mode, mean ± stderr over seeds`,
      xLabel: x === 'frames' ? 'frames' : 'wall time (s)',
      yLabel: 'episode return',
      series: [...byMode].map(([mode, rs]) => ({ name: `${mode} (${rs.length} seed${rs.length > 1 ? 's' : ''})`, points: bandOf(rs, 200) })),
    });
    writeFileSync(join(out, `${game}-vs-${x}.svg`), svg);
    writeFileSync(join(out, `${game}-vs-${x}.png`), svgToPng(svg));
  }
}
console.log(table);
if (o.updateReadme === true) {
  const readme = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', replaceBetween(readme, '<!-- minatar-suite:begin -->', '<!-- minatar-suite:end -->', table));
  console.log('[suite] README.md learning table updated');
}
console.log(`[suite] results in ${out}`);
