/**
 * Environment throughput: steps per second on one core for every registered MinAtar game, stepping one
 * env with `step()` (allocates a result and an observation per step) and a VectorEnv of 1, 16 and 64 envs
 * (allocation-free stepping, observations written into one shared buffer).
 *
 * Run: npx tsx bench/env-throughput.ts [--seconds 1] [--runs 5] [--games breakout,freeway] [--out results.json]
 * (tsx runs the TypeScript sources directly; bench/ is outside tsconfig's rootDir, so tsc does not build it.)
 *
 * Method: actions are drawn up front from a seeded generator (so drawing them is not timed), each
 * measurement steps in chunks until at least --seconds of this process's CPU time have passed, and
 * the median of --runs
 * measurements is reported, after one untimed warm-up run so the JIT has compiled the hot path.
 * Sticky actions are at the MinAtar default (0.1), as in training. Episodes that end are reset
 * inside the timed loop, as an actor would.
 * The clock is process CPU time (user + system, GC threads included), not wall time: the machine is
 * shared, and steps per CPU-second is the per-core throughput even when other jobs take turns on the core.
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { VectorEnv, listEnvs, makeEnv } from '../src/env/index.js';
import { Rng } from '../src/util/rng.js';

const ACTION_BUFFER = 1 << 16; // pre-drawn actions, reused cyclically
const CHUNK = 4096; // env steps between clock reads

interface GameResult {
  game: string;
  single: number;
  vector: Record<string, number>;
  ratio: Record<string, number>;
}

/** CPU seconds used by this process so far. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function drawActions(numActions: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const a = new Uint8Array(ACTION_BUFFER);
  for (let i = 0; i < a.length; i++) a[i] = rng.int(numActions);
  return a;
}

/** Steps/s of one env through the public step() API. */
function measureSingle(id: string, seconds: number): number {
  const env = makeEnv(id, { seed: 1 });
  const actions = drawActions(env.numActions, 2);
  env.reset();
  let i = 0;
  let steps = 0;
  const t0 = cpuSeconds();
  let elapsed: number;
  do {
    for (let k = 0; k < CHUNK; k++) {
      const r = env.step(actions[i++ & (ACTION_BUFFER - 1)]);
      if (r.terminated || r.truncated) env.reset();
    }
    steps += CHUNK;
    elapsed = cpuSeconds() - t0;
  } while (elapsed < seconds);
  return steps / elapsed;
}

/** Env steps/s (numEnvs per call) of a VectorEnv. */
function measureVector(id: string, numEnvs: number, seconds: number): number {
  const venv = new VectorEnv(id, numEnvs, { seed: 1 });
  const flat = drawActions(venv.numActions, 3);
  const rows = Math.floor(ACTION_BUFFER / numEnvs);
  const actionRows = Array.from({ length: rows }, (_, r) => flat.subarray(r * numEnvs, (r + 1) * numEnvs));
  venv.reset();
  const calls = Math.max(1, Math.floor(CHUNK / numEnvs));
  let i = 0;
  let steps = 0;
  const t0 = cpuSeconds();
  let elapsed: number;
  do {
    for (let k = 0; k < calls; k++) {
      venv.step(actionRows[i++ % rows]);
    }
    steps += calls * numEnvs;
    elapsed = cpuSeconds() - t0;
  } while (elapsed < seconds);
  return steps / elapsed;
}

function measure(fn: () => number, runs: number): number {
  fn(); // warm-up, untimed
  return median(Array.from({ length: runs }, fn));
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function table(results: GameResult[], sizes: number[]): string {
  const header = ['game', 'step() /s', ...sizes.map((n) => `vec${n} /s`), ...sizes.map((n) => `vec${n}/single`)];
  const rows = results.map((r) => [r.game, fmt(r.single), ...sizes.map((n) => fmt(r.vector[n])), ...sizes.map((n) => r.ratio[n].toFixed(2))]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function positive(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`${flag} must be a positive number, got "${v}"`);
    return n;
  };
}

const program = new Command()
  .name('env-throughput')
  .option('--seconds <s>', 'minimum length of one measurement', positive('--seconds'), 1)
  .option('--runs <n>', 'measurements per configuration (median reported)', positive('--runs'), 5)
  .option('--sizes <list>', 'VectorEnv sizes', (v) => v.split(',').map(Number), [1, 16, 64])
  .option('--games <list>', 'comma-separated game names or ids (default: every MinAtar game)')
  .option('--out <file>', 'also write the results as JSON')
  .parse();
const opts = program.opts<{ seconds: number; runs: number; sizes: number[]; games?: string; out?: string }>();

const known = listEnvs()
  .filter((e) => e.family === 'minatar')
  .map((e) => e.id);
const games = opts.games ? opts.games.split(',').map((g) => (g.includes('/') ? g : `minatar/${g}`)) : known;
for (const g of games) {
  if (!known.includes(g)) {
    console.error(`env-throughput: unknown game "${g}"; known: ${known.join(', ')}`);
    process.exit(1);
  }
}

console.log(`node ${process.version}, ${opts.runs} runs of >= ${opts.seconds} s per cell (median), sticky actions 0.1, env steps per CPU-second`);
const results: GameResult[] = [];
for (const game of games) {
  const single = measure(() => measureSingle(game, opts.seconds), opts.runs);
  const vector: Record<string, number> = {};
  const ratio: Record<string, number> = {};
  for (const n of opts.sizes) {
    vector[n] = measure(() => measureVector(game, n, opts.seconds), opts.runs);
    ratio[n] = vector[n] / single;
  }
  results.push({ game, single, vector, ratio });
  console.error(`  done ${game}`);
}
console.log(table(results, opts.sizes));
if (opts.out) {
  writeFileSync(opts.out, JSON.stringify({ node: process.version, seconds: opts.seconds, runs: opts.runs, stickyActionProb: 0.1, results }, null, 2) + '\n');
  console.log(`wrote ${opts.out}`);
}
