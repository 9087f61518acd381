/**
 * The paper's Figs. 9–11 on this machine: throughput of the actor–learner system against the number
 * of actors, for Seed-RL (y=0), Coknight (DEFP split points) and IMPALA (y=K) mode, without a link cap
 * and at per-actor caps. Each cell starts a real learner (in this process) and N real actor processes
 * on loopback, lets them warm up, then measures over a window:
 *   - env steps/s produced by all actors (served by learner inference + computed locally),
 *   - learner inference requests/s (requests, each carrying all of an actor's envs),
 *   - the learner's inference and training busy fractions (the paper's "GPU utilisation"),
 *   - training frames/s.
 * Every cell is run --runs times and the median printed, with each mode's ratio to Seed-RL mode.
 *
 * Usage: npx tsx bench/distributed-throughput.ts [--actors 1,2,4,8] [--caps unlimited,10MB/s,2MB/s]
 *          [--modes seed,coknight,impala] [--seconds 6] [--warmup 3] [--runs 3] [--env minatar/breakout]
 *          [--envs-per-actor 4] [--rom-dir DIR] [--inference auto|onnx|tfjs|onnx,tfjs]
 *          [--train-thread auto|main|worker|worker,main] [--out results.json]
 * With several --inference (or --train-thread) choices each cell runs once per choice, interleaved
 * run by run, and the ratio to the first choice is printed (e.g. onnx tails against tfjs tails, or
 * training in a worker thread against training on the learner's main thread, in seed mode).
 * Atari-sized data (84x84x4 frames, IMPALA shallow net) without a commercial ROM:
 *   --env atari/coknight_test_game --rom-dir packages/ale-wasm/test-roms
 * Run `npm run build` first: the actors are the compiled `coknight actor`. To profile them, pass node
 * flags in BENCH_ACTOR_NODE_ARGS (they then stop with SIGTERM instead of SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { LearnerService } from '../src/run/learner-service.js';
import { actorArgs } from '../src/run/actor-processes.js';

const BIN = fileURLToPath(new URL('../bin/coknight.js', import.meta.url));
/** Extra node flags for the actor processes, e.g. BENCH_ACTOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p". */
const ACTOR_NODE_ARGS = (process.env.BENCH_ACTOR_NODE_ARGS ?? '').split(' ').filter(Boolean);

interface Cell {
  mode: string;
  inference: string;
  actors: number;
  cap: string;
  envStepsPerSec: number;
  requestsPerSec: number;
  inferenceBusy: number;
  trainingBusy: number;
  trainFramesPerSec: number;
  splitPoints: number[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function runCell(mode: string, actors: number, cap: string, o: Opts, variant: string): Promise<Cell> {
  const [inference, trainThread = 'auto'] = variant.split('+');
  const config = validateConfig({
    mode,
    inference,
    trainThread,
    frames: 1e12,
    seed: 1,
    env: { id: o.env, ...(o.romDir ? { romDir: o.romDir } : {}) },
    distributed: { actors, envsPerActor: o.envsPerActor, bandwidth: cap, metricsListen: '', token: 'bench' },
    run: { dir: mkdtempSync(join(tmpdir(), 'ck-bench-')), progress: 'none', checkpointEverySeconds: 1e9, logEverySeconds: 1e9 },
  });
  const learner = await LearnerService.start(config, { runDir: config.run.dir!, log: () => {} });
  const children: ChildProcess[] = [];
  for (let i = 0; i < actors; i++) {
    const args = actorArgs(config, learner.address, i);
    children.push(
      spawn(process.execPath, [...ACTOR_NODE_ARGS, BIN, ...args], { env: { ...process.env, COKNIGHT_TOKEN: 'bench' }, stdio: ['pipe', 'ignore', 'ignore'] }),
    );
  }
  const sample = () => {
    let steps = 0;
    for (const a of learner.learner.registry.all()) steps += a.stepsServed + a.stepsLocal;
    return { t: performance.now(), steps, requests: learner.learner.serverStats!.requests, frames: learner.recorder.frames, ...learner.learner.busyTotals() };
  };
  // Warm-up: every actor has joined and produced steps, then --warmup seconds more.
  const t0 = performance.now();
  const ready = (): boolean => learner.learner.registry.size >= actors && [...learner.learner.registry.all()].every((a) => a.stepsServed + a.stepsLocal > 0);
  while (!ready()) {
    if (performance.now() - t0 > 120_000) throw new Error(`only ${learner.learner.registry.size}/${actors} actors produced steps within 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, o.warmup * 1000));
  const s0 = sample();
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  const s1 = sample();
  const dt = (s1.t - s0.t) / 1000;
  const cell: Cell = {
    mode,
    inference: variant,
    actors,
    cap,
    envStepsPerSec: (s1.steps - s0.steps) / dt,
    requestsPerSec: (s1.requests - s0.requests) / dt,
    inferenceBusy: (s1.inferenceMs - s0.inferenceMs) / 1000 / dt,
    trainingBusy: (s1.trainMs - s0.trainMs) / 1000 / dt,
    trainFramesPerSec: (s1.frames - s0.frames) / dt,
    splitPoints: [...learner.learner.registry.all()].map((a) => a.splitPoint),
  };
  if (ACTOR_NODE_ARGS.length === 0) for (const c of children) c.kill('SIGKILL');
  else {
    // Profiling actors: let them exit on their own so node writes what the flags ask for.
    await Promise.all(children.map((c) => new Promise((r) => (c.once('exit', r), c.kill('SIGTERM')))));
  }
  await learner.stop();
  learner.dispose();
  return cell;
}

interface Opts {
  actors: number[];
  caps: string[];
  modes: string[];
  seconds: number;
  warmup: number;
  runs: number;
  env: string;
  envsPerActor: number;
  romDir?: string;
  inference: string[];
  trainThread: string[];
  out?: string;
}

async function main(): Promise<void> {
  const list = (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const o = new Command()
    .option('--actors <list>', 'actor counts', (v) => list(v).map(Number), [1, 2, 4, 8])
    .option('--caps <list>', 'per-actor link caps', list, ['unlimited', '10MB/s', '2MB/s'])
    .option('--modes <list>', 'modes', list, ['seed', 'coknight', 'impala'])
    .option('--seconds <s>', 'measurement window', Number, 6)
    .option('--warmup <s>', 'warm-up before measuring', Number, 3)
    .option('--runs <n>', 'runs per cell (median reported)', Number, 3)
    .option('--env <id>', 'environment', 'minatar/breakout')
    .option('--envs-per-actor <n>', 'envs per actor', Number, 4)
    .option('--rom-dir <dir>', 'Atari ROM directory (e.g. packages/ale-wasm/test-roms for atari/coknight_test_game)')
    .option('--inference <list>', 'who runs inference (learner tails, actor heads): auto, onnx, tfjs; several: interleaved', list, ['auto'])
    .option(
      '--train-thread <list>',
      "where the learner trains: auto, main, worker; several: interleaved (with --inference: every pair, as '<inference>+<thread>')",
      list,
      ['auto'],
    )
    .option('--out <file>', 'write all cells as JSON')
    .parse()
    .opts<Opts>();
  await initBackend({ log: () => {} });
  const variants = o.inference.flatMap((inf) => (o.trainThread.length > 1 || o.trainThread[0] !== 'auto' ? o.trainThread.map((t) => `${inf}+${t}`) : [inf]));
  const results: Cell[] = [];
  console.log('cap        actors mode      variant    env-steps/s  req/s   infer-busy train-busy train-fps  vs seed  vs 1st var  split points');
  for (const cap of o.caps) {
    for (const n of o.actors) {
      const seedSteps: number[] = [];
      for (const mode of o.modes) {
        const runs = new Map<string, Cell[]>(variants.map((v) => [v, []]));
        for (let r = 0; r < o.runs; r++) for (const v of variants) runs.get(v)!.push(await runCell(mode, n, cap, o, v));
        const firstSteps: number[] = [];
        for (const [inf, cells] of runs) {
          const med: Cell = {
            mode,
            inference: inf,
            actors: n,
            cap,
            envStepsPerSec: median(cells.map((c) => c.envStepsPerSec)),
            requestsPerSec: median(cells.map((c) => c.requestsPerSec)),
            inferenceBusy: median(cells.map((c) => c.inferenceBusy)),
            trainingBusy: median(cells.map((c) => c.trainingBusy)),
            trainFramesPerSec: median(cells.map((c) => c.trainFramesPerSec)),
            splitPoints: cells[cells.length - 1].splitPoints,
          };
          if (mode === 'seed' && inf === variants[0]) seedSteps.push(med.envStepsPerSec);
          if (inf === variants[0]) firstSteps.push(med.envStepsPerSec);
          results.push(med);
          const ratio = seedSteps.length ? (med.envStepsPerSec / seedSteps[0]).toFixed(2) : '-';
          const vsFirst = (med.envStepsPerSec / firstSteps[0]).toFixed(2);
          console.log(
            `${cap.padEnd(10)} ${String(n).padStart(6)} ${mode.padEnd(9)} ${inf.padEnd(9)} ${med.envStepsPerSec.toFixed(0).padStart(11)} ${med.requestsPerSec.toFixed(0).padStart(7)}` +
              `   ${(100 * med.inferenceBusy).toFixed(1).padStart(6)}%   ${(100 * med.trainingBusy).toFixed(1).padStart(6)}%  ${med.trainFramesPerSec.toFixed(0).padStart(8)}  ${ratio.padStart(6)}  ${vsFirst.padStart(10)}  [${med.splitPoints.join(',')}]`,
          );
        }
      }
    }
  }
  if (o.out) writeFileSync(o.out, `${JSON.stringify(results, null, 2)}\n`);
}

await main();
