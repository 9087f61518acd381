/**
 * Scale: N actor processes × E envs against one learner for M minutes, all real `coknight` processes
 * on loopback (the commands the Kubernetes manifests run, with a token file). Samples the resident
 * memory (VmRSS) of the learner and of every actor every --sample-seconds, plots it (SVG + PNG),
 * checks that neither trends upward after warm-up (least-squares slope over the run's second half,
 * as a fraction of its mean per minute), and at the end checks the learner's exact step accounting
 * (served = assembled + pending + dropped; assembled = trained + queued + discarded) and compares
 * the steps every actor reports with what the learner counted for it.
 *
 * Usage: npm run build && npx tsx bench/scale.ts [--actors 64] [--envs 16] [--minutes 10]
 *          [--sample-seconds 10] [--mode seed] [--out bench/results/scale]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { lineChart, svgToPng } from '../src/plot/index.js';

let BIN = fileURLToPath(new URL('../bin/coknight.js', import.meta.url));

interface Opts {
  actors: number;
  envs: number;
  minutes: number;
  sampleSeconds: number;
  mode: string;
  out: string;
  bin?: string;
}

interface Proc {
  child: ChildProcess;
  out: string;
  err: string;
  exit: Promise<number | null>;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { child, out: '', err: '', exit: new Promise((r) => child.on('exit', (c) => r(c))) };
  child.stdout!.on('data', (d: Buffer) => (p.out += d.toString()));
  // Keep only the tail of a chatty log.
  child.stderr!.on('data', (d: Buffer) => (p.err = (p.err + d.toString()).slice(-8000)));
  return p;
}

/** Resident set size of a process in MB (VmRSS), or NaN once it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

async function connectedActors(metricsPort: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    return Number(/^coknight_actors_connected (\S+)$/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(o: Opts): Promise<void> {
  if (o.bin) BIN = o.bin;
  const dir = mkdtempSync(join(tmpdir(), 'ck-scale-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `scale-${process.pid}-${Date.now()}\n`, { mode: 0o600 });
  const port = await freePort();
  const metricsPort = await freePort();
  const runDir = join(dir, 'run');
  const learner = start([
    'learner',
    ...['--env', 'minatar/breakout', '--mode', o.mode, '--frames', '1e12', '--progress', 'none'],
    ...['--listen', `127.0.0.1:${port}`, '--metrics', `127.0.0.1:${metricsPort}`, '--token-file', tokenFile, '--run-dir', runDir],
    ...['--set', `distributed.envsPerActor=${o.envs}`, '--set', 'run.checkpointEverySeconds=60'],
  ]);
  const t0 = Date.now();
  while (!learner.err.includes('dashboard at')) {
    if (learner.child.exitCode !== null || Date.now() - t0 > 180_000) throw new Error(`learner did not start:\n${learner.err}`);
    await sleep(200);
  }
  console.error(`learner up (pid ${learner.child.pid}, RSS ${rssMb(learner.child.pid!).toFixed(0)} MB); starting ${o.actors} actors × ${o.envs} envs`);
  const actors: Proc[] = [];
  for (let i = 0; i < o.actors; i++) {
    actors.push(
      start([
        'actor',
        ...['--learner', `127.0.0.1:${port}`, '--token-file', tokenFile, '--actor-id', `s${i}`, '--envs', String(o.envs)],
        ...['--device-flops', '1e9', '--final-stats', '--give-up-after', '2m'],
      ]),
    );
    await sleep(150); // spread 64 start-ups a little on a small machine
  }
  const samples: { t: number; learner: number; actors: number[] }[] = [];
  // The window starts once every actor is registered (64 start-ups take a while on a small machine);
  // samples before it have t < 0.
  const tSpawned = Date.now();
  let tStart = Infinity;
  let lastSample = 0;
  while (Date.now() - tSpawned < 600_000) {
    if ((await connectedActors(metricsPort)) >= o.actors) {
      tStart = Date.now();
      break;
    }
    if (Date.now() - lastSample >= o.sampleSeconds * 1000) {
      lastSample = Date.now();
      samples.push({ t: NaN, learner: rssMb(learner.child.pid!), actors: actors.map((a) => rssMb(a.child.pid!)) });
    }
    await sleep(1000);
  }
  if (!Number.isFinite(tStart)) throw new Error(`only ${await connectedActors(metricsPort)} of ${o.actors} actors registered within 10 minutes`);
  for (const [i, s] of samples.entries()) s.t = -((samples.length - i) * o.sampleSeconds) / 60;
  console.error(`all ${o.actors} actors registered ${((tStart - tSpawned) / 1000).toFixed(0)} s after the last was started`);
  const end = tStart + o.minutes * 60_000;
  while (Date.now() < end) {
    const s = { t: (Date.now() - tStart) / 60_000, learner: rssMb(learner.child.pid!), actors: actors.map((a) => rssMb(a.child.pid!)) };
    samples.push(s);
    const alive = s.actors.filter((x) => !Number.isNaN(x));
    console.error(
      `t=${s.t.toFixed(2)} min  learner ${s.learner.toFixed(0)} MB  actors ${alive.length}/${o.actors}: mean ${mean(alive).toFixed(1)} MB (min ${Math.min(...alive).toFixed(0)}, max ${Math.max(...alive).toFixed(0)})`,
    );
    await sleep(Math.min(o.sampleSeconds * 1000, Math.max(0, end - Date.now())));
  }
  // SIGTERM, as Kubernetes sends it: final checkpoint and summary; the actors are told and exit 0.
  learner.child.kill('SIGTERM');
  const learnerExit = await learner.exit;
  const actorExits = await Promise.all(actors.map((a) => Promise.race([a.exit, sleep(30_000).then(() => 'timeout' as const)])));
  for (const a of actors) if (a.child.exitCode === null) a.child.kill('SIGKILL');
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as {
    frames: number;
    wallSeconds: number;
    stepAccounting: Record<string, number>;
    actors: { id: string; stepsServed: number; stepsLocal?: number; frames?: number }[];
  };
  const acc = summary.stepAccounting;
  const finals = actors.map((a) => {
    const line = a.out.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(line) as { steps: number; envSteps: number };
    } catch {
      return undefined;
    }
  });
  const perActor = actors.map((_, i) => {
    const row = summary.actors.find((r) => r.id === `s${i}`);
    return { id: `s${i}`, actorSteps: finals[i]?.envSteps ?? NaN, learnerServed: row ? row.stepsServed + (row.stepsLocal ?? 0) : NaN };
  });

  // Trends over the second half (after start-up and warm-up).
  const half = samples.filter((s) => s.t >= o.minutes / 2);
  const trend = (ys: number[]): { meanMb: number; slopeMbPerMin: number; relPerMin: number } => {
    const ok = half.map((s, i) => [s.t, ys[i]] as const).filter(([, y]) => !Number.isNaN(y));
    const sl = slope(
      ok.map(([t]) => t),
      ok.map(([, y]) => y),
    );
    const m = mean(ok.map(([, y]) => y));
    return { meanMb: m, slopeMbPerMin: sl, relPerMin: sl / m };
  };
  const actorMean = half.map((s) => mean(s.actors.filter((x) => !Number.isNaN(x))));
  const result = {
    command: `npx tsx bench/scale.ts --actors ${o.actors} --envs ${o.envs} --minutes ${o.minutes} --sample-seconds ${o.sampleSeconds} --mode ${o.mode}${o.bin ? ` --bin ${o.bin}` : ''}`,
    date: new Date().toISOString(),
    actors: o.actors,
    envsPerActor: o.envs,
    minutes: o.minutes,
    secondsUntilAllRegistered: (tStart - tSpawned) / 1000,
    learnerExit,
    actorsExitedZero: actorExits.filter((c) => c === 0).length,
    frames: summary.frames,
    framesPerSecond: summary.frames / summary.wallSeconds,
    stepAccounting: acc,
    accountingExact: acc.served === acc.assembled + acc.pending + acc.dropped && acc.assembled === acc.trained + acc.queued + acc.discarded,
    actorStepsTotal: perActor.reduce((n, a) => n + a.actorSteps, 0),
    actorsOneStepShort: perActor.filter((a) => a.learnerServed - a.actorSteps === o.envs).length,
    learnerServedTotal: perActor.reduce((n, a) => n + a.learnerServed, 0),
    perActor,
    learnerTrend: trend(half.map((s) => s.learner)),
    actorMeanTrend: trend(actorMean),
    actorRssMb: { atStart: mean(samples.find((x) => x.t >= 0)!.actors), last: mean(samples[samples.length - 1].actors.filter((x) => !Number.isNaN(x))) },
    samples,
  };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'scale.json'), JSON.stringify(result, null, 2));
  const svg = await lineChart({
    title: `RSS: 1 learner + ${o.actors} actors × ${o.envs} envs`,
    xLabel: 'minutes',
    yLabel: 'resident memory (MB)',
    series: [
      { name: 'learner', points: samples.map((s) => [s.t, s.learner] as const) },
      { name: 'actor (mean)', points: samples.map((s) => [s.t, mean(s.actors.filter((x) => !Number.isNaN(x)))] as const) },
      { name: 'actor (max)', points: samples.map((s) => [s.t, Math.max(...s.actors.filter((x) => !Number.isNaN(x)))] as const) },
    ],
  });
  writeFileSync(join(o.out, 'scale-rss.svg'), svg);
  writeFileSync(join(o.out, 'scale-rss.png'), svgToPng(svg));
  const { samples: _s, perActor: _p, ...brief } = result;
  console.log(JSON.stringify(brief, null, 2));
  const problems: string[] = [];
  if (!result.accountingExact) problems.push('step accounting does not add up');
  // The learner may serve one last step whose reply the actor never gets (the run ended meanwhile).
  const off = perActor.filter((a) => !(a.learnerServed - a.actorSteps >= 0 && a.learnerServed - a.actorSteps <= o.envs));
  if (off.length)
    problems.push(
      `${off.length} actors' step counts differ from what the learner served them by more than one step: ${off.map((a) => `${a.id} ${a.actorSteps}/${a.learnerServed}`).join(', ')}`,
    );
  for (const [name, t] of [
    ['learner', result.learnerTrend],
    ['actor mean', result.actorMeanTrend],
  ] as const) {
    // Upward: growing by more than 2% of its size per minute over the second half.
    if (t.relPerMin > 0.02) problems.push(`${name} RSS trends upward: +${t.slopeMbPerMin.toFixed(2)} MB/min (${(t.relPerMin * 100).toFixed(1)}%/min)`);
  }
  if (problems.length) {
    for (const [i, a] of actors.entries())
      if (!finals[i]) console.error(`--- actor s${i} (exit ${String(actorExits[i])}), end of its log:\n${a.err.slice(-1500)}`);
    console.error(`FAILED: ${problems.join('; ')}`);
    process.exitCode = 1;
  }
}

const program = new Command()
  .option('--actors <n>', 'actor processes', (v) => parseInt(v, 10), 64)
  .option('--envs <n>', 'envs per actor', (v) => parseInt(v, 10), 16)
  .option('--minutes <n>', 'how long to run', (v) => Number(v), 10)
  .option('--sample-seconds <n>', 'RSS sampling period', (v) => Number(v), 10)
  .option('--mode <mode>', 'seed | coknight | impala', 'seed')
  .option('--out <dir>', 'where scale.json and the plots go', 'bench/results/scale')
  .option('--bin <path>', "the coknight CLI to run (another checkout's bin/coknight.js, for a before/after)")
  .parse();
await main(program.opts<Opts>());
