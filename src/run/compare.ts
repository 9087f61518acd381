/**
 * `coknight compare runs/a runs/b …`: learning curves (mean and a stderr band over the runs of each
 * group), throughput and learner busy fractions of several runs, as SVG/PNG charts and a Markdown
 * table — the paper's mode comparison (Fig. 8) for any set of runs.
 */
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { barChart, svgToPng } from '../plot/index.js';
import { bandChart, type BandSeries } from '../plot/band-chart.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readJson, RunTail } from './dashboard/run-tail.js';
import { notARun } from './dashboard/serve.js';

export type CompareX = 'frames' | 'time';

export interface CompareOptions {
  /** mode | seed | a config field as a dotted path (hyper.learningRate, distributed.splitPoints). */
  by: string;
  x: CompareX;
  out: string;
  /** Grid points along x for the averaged curves. */
  points?: number;
}

export interface RunData {
  dir: string;
  env: string;
  group: string;
  /** [x (frames or seconds), smoothed return]. */
  curve: [number, number][];
  finalReturn: number;
  framesPerSecond: number;
  wallSeconds: number;
  bytesPerFrame: number | undefined;
  inferenceBusy: number | undefined;
  trainingBusy: number | undefined;
  finished: boolean;
}

export interface GroupRow {
  group: string;
  runs: number;
  finalReturn: { mean: number; stderr: number };
  framesPerSecond: { mean: number; stderr: number };
  wallSeconds: number;
  bytesPerFrame: number | undefined;
  inferenceBusy: number | undefined;
  trainingBusy: number | undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function meanStderr(xs: readonly number[]): { mean: number; stderr: number } {
  const n = xs.length;
  if (n === 0) return { mean: NaN, stderr: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, stderr: 0 };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, stderr: Math.sqrt(v / n) };
}

function field(config: Record<string, unknown>, path: string): unknown {
  let v: unknown = config;
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** One run's curve and numbers (throws naming the directory when it is not a run). */
export function loadRun(dirArg: string, by: string, x: CompareX): RunData {
  const dir = resolve(dirArg);
  const problem = notARun(dirArg);
  if (problem) throw new Error(problem);
  const config = readJson(join(dir, 'config.json'));
  if (!config) throw new Error(`${dirArg} has no readable config.json, so its env and mode are unknown`);
  const g = field(config, by);
  if (g === undefined)
    throw new Error(`${dirArg}: config.json has no field "${by}" to group by (try --by mode, --by seed or a path such as hyper.learningRate)`);
  const tail = new RunTail(dir);
  tail.poll();
  if (tail.episodes.length === 0) throw new Error(`${dirArg} has no finished episodes yet (episodes.jsonl is empty): nothing to compare`);
  const window = num(field(config, 'run.returnWindow')) ?? 100;
  const curve: [number, number][] = [];
  let sum = 0;
  tail.episodes.forEach(([f, r, t], i) => {
    sum += r;
    if (i >= window) sum -= tail.episodes[i - window][1];
    curve.push([x === 'frames' ? f : t, sum / Math.min(i + 1, window)]);
  });
  const summary = readJson(join(dir, 'summary.json'));
  const lastTrain = tail.train.at(-1);
  const frames = num(summary?.frames) ?? lastTrain?.frames ?? tail.episodes.at(-1)![0];
  const wall = num(summary?.wallSeconds) ?? lastTrain?.t ?? tail.episodes.at(-1)![2];
  const actors = Array.isArray(summary?.actors) ? (summary.actors as Record<string, unknown>[]) : [];
  const bytes = actors.reduce((a, r) => a + (num(r.learnerBytesReceived) ?? 0) + (num(r.learnerBytesSent) ?? 0), 0);
  return {
    dir: dirArg,
    env: String(field(config, 'env.id') ?? '?'),
    group: typeof g === 'object' ? JSON.stringify(g) : String(g),
    curve,
    finalReturn: num(summary?.finalMeanReturn) ?? curve.at(-1)![1],
    framesPerSecond: num(summary?.framesPerSecond) ?? frames / Math.max(wall, 1e-9),
    wallSeconds: wall,
    bytesPerFrame: actors.length > 0 && frames > 0 ? bytes / frames : undefined,
    inferenceBusy: num(summary?.inferenceBusyFraction) ?? lastTrain?.inferenceBusy,
    trainingBusy: num(summary?.trainingBusyFraction) ?? lastTrain?.trainingBusy,
    finished: summary !== undefined,
  };
}

/** Value of a piecewise-linear curve at x (undefined outside its range). */
function at(curve: readonly [number, number][], x: number): number | undefined {
  if (curve.length === 0 || x < curve[0][0] || x > curve.at(-1)![0]) return undefined;
  let lo = 0;
  let hi = curve.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (curve[mid][0] <= x) lo = mid;
    else hi = mid;
  }
  const [x0, y0] = curve[lo];
  const [x1, y1] = curve[hi];
  return x1 === x0 ? y1 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** Mean ± stderr over a group's runs on a common grid (up to where the shortest run ends). */
export function bandOf(runs: readonly RunData[], points = 100): BandSeries['points'] {
  const start = Math.max(...runs.map((r) => r.curve[0][0]));
  const end = Math.min(...runs.map((r) => r.curve.at(-1)![0]));
  if (!(end > start)) {
    const { mean, stderr } = meanStderr(runs.map((r) => r.curve.at(-1)![1]));
    return [[end, mean, mean - stderr, mean + stderr]];
  }
  const out: [number, number, number, number][] = [];
  for (let i = 0; i <= points; i++) {
    const x = start + ((end - start) * i) / points;
    const ys = runs.map((r) => at(r.curve, x)).filter((v): v is number => v !== undefined);
    const { mean, stderr } = meanStderr(ys);
    out.push([x, mean, mean - stderr, mean + stderr]);
  }
  return out;
}

function groupRows(groups: Map<string, RunData[]>): GroupRow[] {
  const avg = (xs: (number | undefined)[]) => {
    const v = xs.filter((x): x is number => x !== undefined);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
  };
  return [...groups].map(([group, runs]) => ({
    group,
    runs: runs.length,
    finalReturn: meanStderr(runs.map((r) => r.finalReturn)),
    framesPerSecond: meanStderr(runs.map((r) => r.framesPerSecond)),
    wallSeconds: avg(runs.map((r) => r.wallSeconds))!,
    bytesPerFrame: avg(runs.map((r) => r.bytesPerFrame)),
    inferenceBusy: avg(runs.map((r) => r.inferenceBusy)),
    trainingBusy: avg(runs.map((r) => r.trainingBusy)),
  }));
}

const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${(100 * x).toFixed(0)}%`);

export function markdownTable(rows: readonly GroupRow[], by: string, env: string, runs: readonly RunData[]): string {
  const lines = [
    `# ${env}: runs by ${by}`,
    '',
    `| ${by} | runs | final return (mean ± stderr) | frames/s | wall time (s) | bytes per frame | inference busy | training busy |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.group} | ${r.runs} | ${f(r.finalReturn.mean)} ± ${f(r.finalReturn.stderr)} | ${f(r.framesPerSecond.mean, 0)} ± ${f(r.framesPerSecond.stderr, 0)} | ` +
        `${f(r.wallSeconds, 1)} | ${f(r.bytesPerFrame, 1)} | ${pct(r.inferenceBusy)} | ${pct(r.trainingBusy)} |`,
    ),
    '',
    `Runs: ${runs.map((r) => `${r.dir} (${by} ${r.group}${r.finished ? '' : ', unfinished'})`).join(', ')}.`,
    '',
  ];
  return lines.join('\n');
}

export interface CompareResult {
  env: string;
  groups: GroupRow[];
  files: string[];
  markdown: string;
}

export async function compareRuns(dirs: readonly string[], opts: CompareOptions): Promise<CompareResult> {
  if (dirs.length === 0) throw new Error('compare needs at least one run directory');
  const runs = dirs.map((d) => loadRun(d, opts.by, opts.x));
  const envs = new Set(runs.map((r) => r.env));
  if (envs.size > 1) {
    const list = runs.map((r) => `${r.dir}: ${r.env}`).join(', ');
    throw new Error(`these runs train different envs (${list}); their returns are not comparable: compare runs of one env at a time`);
  }
  const env = runs[0].env;
  const groups = new Map<string, RunData[]>();
  for (const r of runs) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  const rows = groupRows(groups);
  mkdirSync(opts.out, { recursive: true });
  const files: string[] = [];
  const write = (name: string, svg: string) => {
    writeFileAtomic(join(opts.out, `${name}.svg`), svg);
    writeFileAtomic(join(opts.out, `${name}.png`), svgToPng(svg));
    files.push(join(opts.out, `${name}.svg`), join(opts.out, `${name}.png`));
  };
  const label = (g: string) => `${opts.by} ${g} (${groups.get(g)!.length} run${groups.get(g)!.length > 1 ? 's' : ''})`;
  write(
    'returns',
    await bandChart({
      title: `${env}: episode return by ${opts.by} (mean ± stderr over runs)`,
      xLabel: opts.x === 'frames' ? 'frames' : 'wall time (s)',
      yLabel: 'episode return (trailing mean)',
      series: [...groups].map(([g, rs]) => ({ name: label(g), points: bandOf(rs, opts.points) })),
    }),
  );
  write(
    'throughput',
    await barChart({
      title: `${env}: training frames per second`,
      xLabel: opts.by,
      yLabel: 'frames/s',
      bars: rows.map((r) => ({ label: r.group, value: r.framesPerSecond.mean })),
    }),
  );
  const busy = rows.flatMap((r) => [
    ...(r.inferenceBusy !== undefined ? [{ label: r.group, value: r.inferenceBusy, group: 'inference' }] : []),
    ...(r.trainingBusy !== undefined ? [{ label: r.group, value: r.trainingBusy, group: 'training' }] : []),
  ]);
  if (busy.length > 0) write('busy', await barChart({ title: `${env}: learner busy fractions`, xLabel: opts.by, yLabel: 'fraction of wall time', bars: busy }));
  const markdown = markdownTable(rows, opts.by, env, runs);
  writeFileAtomic(join(opts.out, 'compare.md'), markdown);
  writeFileAtomic(
    join(opts.out, 'compare.json'),
    `${JSON.stringify({ env, by: opts.by, x: opts.x, groups: rows, runs: runs.map((r) => ({ ...r, curve: undefined })) }, null, 2)}\n`,
  );
  files.push(join(opts.out, 'compare.md'), join(opts.out, 'compare.json'));
  return { env, groups: rows, files, markdown };
}

/** The default output folder: runs/compare-<names>. */
export function defaultCompareOut(dirs: readonly string[]): string {
  const names = dirs.map((d) => basename(resolve(d))).join('+');
  return join('runs', `compare-${names.length > 60 ? `${names.slice(0, 60)}…` : names}`);
}
