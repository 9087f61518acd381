/** Aggregation of the suite's runs into the table the README shows (pure; tested). */
import { BASELINES, target, type Game, type Mode } from './plan.js';

export interface RunResult {
  game: Game;
  mode: Mode;
  seed: number;
  frames: number;
  finalReturn: number;
  wallSeconds: number;
  framesPerSecond: number;
  finished: boolean;
}

export interface GroupResult {
  game: Game;
  mode: Mode;
  runs: number;
  seeds: number[];
  frames: number;
  mean: number;
  /** Sample standard deviation over seeds (0 for one run). */
  std: number;
  wallSeconds: number;
  framesPerSecond: number;
  acLambda: number;
  dqn: number;
  target: number;
  /** Local mode only: mean ≥ the better MinAtar-paper baseline; distributed modes are compared with local. */
  meetsTarget: boolean | undefined;
  allFinished: boolean;
}

export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  if (xs.length === 0) throw new RangeError('meanStd of no values');
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return { mean, std: 0 };
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) };
}

export function groupResults(runs: readonly RunResult[]): GroupResult[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of runs) groups.set(`${r.game}/${r.mode}`, [...(groups.get(`${r.game}/${r.mode}`) ?? []), r]);
  return [...groups.values()].map((rs) => {
    const { game, mode } = rs[0];
    const { mean, std } = meanStd(rs.map((r) => r.finalReturn));
    const avg = (f: (r: RunResult) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
    return {
      game,
      mode,
      runs: rs.length,
      seeds: rs.map((r) => r.seed).sort((a, b) => a - b),
      frames: Math.min(...rs.map((r) => r.frames)),
      mean,
      std,
      wallSeconds: avg((r) => r.wallSeconds),
      framesPerSecond: avg((r) => r.framesPerSecond),
      ...BASELINES[game],
      target: target(game),
      meetsTarget: mode === 'local' ? mean >= target(game) : undefined,
      allFinished: rs.every((r) => r.finished),
    };
  });
}

const fmtFrames = (n: number) => (n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M` : `${Math.round(n / 1e3)}k`);

/** The Markdown table of the README's learning section. */
export function markdownTable(groups: readonly GroupResult[]): string {
  const lines = [
    '| game | mode | seeds | frames | final return (mean ± std) | MinAtar paper AC(λ) / DQN | target met | wall time (s) | frames/s |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const g of groups) {
    const met = g.meetsTarget === undefined ? '—' : g.meetsTarget ? 'yes' : `no (${(g.mean - g.target).toFixed(2)})`;
    const unfinished = g.allFinished ? '' : ' (unfinished)';
    lines.push(
      `| ${g.game} | ${g.mode} | ${g.seeds.join(', ')} | ${fmtFrames(g.frames)}${unfinished} | **${g.mean.toFixed(2)}** ± ${g.std.toFixed(2)} | ` +
        `${g.acLambda} / ${g.dqn} | ${met} | ${Math.round(g.wallSeconds)} | ${Math.round(g.framesPerSecond).toLocaleString('en-US')} |`,
    );
  }
  return lines.join('\n');
}

/** Replaces the text between `<!-- begin -->` and `<!-- end -->` markers (which must both be there). */
export function replaceBetween(doc: string, begin: string, end: string, body: string): string {
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`the document has no "${begin}" … "${end}" markers to write the table between`);
  return `${doc.slice(0, i + begin.length)}\n${body}\n${doc.slice(j)}`;
}

/**
 * The runs of this collect plus those an earlier collect recorded whose run directories are gone (run
 * directories are not committed, so a fresh checkout would otherwise drop every earlier result):
 * a run present now replaces its earlier record.
 */
export function withEarlierRuns(current: readonly RunResult[], earlier: readonly RunResult[]): { runs: RunResult[]; kept: RunResult[] } {
  const key = (r: RunResult) => `${r.game}/${r.mode}/${r.seed}`;
  const now = new Set(current.map(key));
  const kept = earlier.filter((r) => !now.has(key(r)));
  return { runs: [...current, ...kept], kept };
}
