/**
 * One measured cell of a distributed study: a real learner (in this process) and N real `coknight
 * actor` processes on loopback (links capped by the application pacer, or by tc when the actors run in
 * testbed namespaces: see `spawnPrefix`). After every actor has produced steps and a warm-up, it
 * samples the learner's counters every `sampleMs` until `seconds` have passed or `frames` were
 * trained. Everything comes from the learner (its registry, server and busy counters), as
 * bench/distributed-throughput.ts reads them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { actionRepeatFor } from '../../src/learner/index.js';
import { actorArgs } from '../../src/run/actor-processes.js';
import { LearnerService } from '../../src/run/learner-service.js';
import { median } from './stats.js';

const BIN = fileURLToPath(new URL('../../bin/coknight.js', import.meta.url));

export interface CellSpec {
  readonly mode: 'seed' | 'impala' | 'coknight';
  readonly actors: number;
  readonly env: string;
  readonly envsPerActor?: number;
  /** Per-actor link cap for the application pacer ('unlimited' when tc shapes the link instead). */
  readonly bandwidth?: string;
  readonly seed?: number;
  /** Extra config (dotted keys are not parsed: give nested objects), merged over the defaults here. */
  readonly config?: Record<string, unknown>;
  /** Extra `coknight actor` arguments per actor index (e.g. --device-flops). */
  readonly actorExtraArgs?: (i: number) => string[];
  readonly warmupSeconds: number;
  /** Measurement window; ends early once `frames` more frames were trained. */
  readonly seconds: number;
  readonly frames?: number;
  readonly sampleMs?: number;
  /** Shaped links (shaping.ts): the learner listens on `listenHost`, actor i runs under `prefix(i)` (ip netns exec …). */
  readonly links?: { readonly listenHost: string; prefix(i: number): string[] };
}

export interface Sample {
  /** Seconds since the window began. */
  readonly t: number;
  readonly frames: number;
  readonly envSteps: number;
  readonly requests: number;
  readonly inferenceMs: number;
  readonly trainMs: number;
  readonly rssBytes: number;
  /** Bytes the learner received from / sent to all actors (inference, uploads, parameters). */
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export interface CellResult {
  readonly spec: Omit<CellSpec, 'actorExtraArgs' | 'links'>;
  readonly seconds: number;
  /** Between update completions: see trainedRate. */
  readonly trainFramesPerSec: number;
  readonly envStepsPerSec: number;
  readonly requestsPerSec: number;
  readonly inferenceBusy: number;
  readonly trainingBusy: number;
  readonly splitPoints: number[];
  readonly K: number;
  /** The learner's measured FLOP/s (f_e) on its network. */
  readonly edgeFlops: number;
  readonly samples: Sample[];
}

/**
 * Quick profiles train in updates of 4 unrolls × 10 steps: on a small shared CPU one update of the
 * default 32 × 20 on the IMPALA net takes longer than a quick window, so frames/s would read 0.
 */
export function hyperFor(full: boolean): Record<string, number> {
  return full ? {} : { batchSize: 4, unrollLength: 10 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runCell(spec: CellSpec): Promise<CellResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ck-exp-'));
  // loadConfig: the env family's presets apply, as in `coknight train`.
  const config = loadConfig(undefined, {
    mode: spec.mode,
    frames: 1e12,
    seed: spec.seed ?? 1,
    env: { id: spec.env },
    ...spec.config,
    distributed: {
      actors: spec.actors,
      envsPerActor: spec.envsPerActor ?? 4,
      bandwidth: spec.bandwidth ?? 'unlimited',
      metricsListen: '',
      token: 'experiments',
      ...(spec.links ? { listen: `${spec.links.listenHost}:0`, advertiseHost: spec.links.listenHost } : {}),
      ...(spec.config?.distributed as object | undefined),
    },
    run: { dir, progress: 'none', checkpointEverySeconds: 1e9, logEverySeconds: 1e9 },
  });
  const svc = await LearnerService.start(config, { runDir: dir, log: () => {} });
  const l = svc.learner;
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < spec.actors; i++) {
      const args = [...actorArgs(config, svc.address, i), ...(spec.actorExtraArgs?.(i) ?? [])];
      const cmd = [...(spec.links?.prefix(i) ?? []), process.execPath, BIN, ...args];
      const child = spawn(cmd[0], cmd.slice(1), { env: { ...process.env, COKNIGHT_TOKEN: 'experiments' }, stdio: ['pipe', 'ignore', 'ignore'] });
      children.push(child);
    }
    const repeat = actionRepeatFor(spec.env);
    const read = () => {
      let steps = 0;
      let bytesIn = 0;
      let bytesOut = 0;
      for (const a of l.registry.all()) {
        steps += a.stepsServed + a.stepsLocal;
        const inf = l.registry.inferenceBytes(a);
        bytesIn += inf.received + l.uploadBytes(a.id);
        bytesOut += inf.sent + a.paramBytes;
      }
      const busy = l.busyTotals();
      return { now: performance.now(), frames: l.frames, envSteps: steps * repeat, requests: l.serverStats?.requests ?? 0, ...busy, bytesIn, bytesOut };
    };
    const t0 = performance.now();
    const ready = (): boolean => l.registry.size >= spec.actors && [...l.registry.all()].every((a) => a.stepsServed + a.stepsLocal > 0);
    // Dozens of actor processes starting on two cores take minutes before each has stepped once.
    const readyLimitS = Math.max(180, 6 * spec.actors);
    while (!ready()) {
      if (performance.now() - t0 > readyLimitS * 1000) throw new Error(`only ${l.registry.size}/${spec.actors} actors produced steps within ${readyLimitS} s`);
      await sleep(100);
    }
    await sleep(spec.warmupSeconds * 1000);
    const first = read();
    const samples: Sample[] = [];
    const push = (r: ReturnType<typeof read>): void => {
      samples.push({
        t: (r.now - first.now) / 1000,
        frames: r.frames - first.frames,
        envSteps: r.envSteps - first.envSteps,
        requests: r.requests - first.requests,
        inferenceMs: r.inferenceMs - first.inferenceMs,
        trainMs: r.trainMs - first.trainMs,
        rssBytes: process.memoryUsage().rss,
        bytesIn: r.bytesIn - first.bytesIn,
        bytesOut: r.bytesOut - first.bytesOut,
      });
    };
    push(first);
    let last = first;
    while ((last.now - first.now) / 1000 < spec.seconds && (spec.frames === undefined || last.frames - first.frames < spec.frames)) {
      await sleep(spec.sampleMs ?? 500);
      last = read();
      push(last);
    }
    const dt = (last.now - first.now) / 1000;
    const { actorExtraArgs: _x, links: _l, ...plain } = spec;
    return {
      spec: plain,
      seconds: dt,
      trainFramesPerSec: trainedRate(samples),
      envStepsPerSec: (last.envSteps - first.envSteps) / dt,
      requestsPerSec: (last.requests - first.requests) / dt,
      inferenceBusy: (last.inferenceMs - first.inferenceMs) / 1000 / dt,
      trainingBusy: (last.trainMs - first.trainMs) / 1000 / dt,
      splitPoints: [...l.registry.all()].map((a) => a.splitPoint),
      K: l.K,
      edgeFlops: l.edgeFlops,
      samples,
    };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await svc.stop();
    svc.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Frames trained per second in a window, measured between the first and the last sample at which an
 * update completed. The learner trains whole batches (32 × 20 = 640 frames by default), so the
 * window's end points alone would quantise a 20-second rate to steps of 32 frames/s; between update
 * completions the error is one sampling interval instead. Falls back to the end points when fewer
 * than two updates completed.
 */
export function trainedRate(samples: readonly Pick<Sample, 't' | 'frames'>[]): number {
  if (samples.length < 2) throw new RangeError('trainedRate needs at least two samples');
  const first = samples[0];
  const last = samples[samples.length - 1];
  const changes = samples.filter((s, i) => i > 0 && s.frames !== samples[i - 1].frames);
  if (changes.length >= 2) {
    const a = changes[0];
    const b = changes[changes.length - 1];
    return (b.frames - a.frames) / (b.t - a.t);
  }
  return (last.frames - first.frames) / (last.t - first.t);
}

/** The medians a study's row reports for the runs of one cell (split points: the last run's plan). */
export function cellMedians(cells: readonly CellResult[]) {
  const m = (f: (c: CellResult) => number) => median(cells.map(f));
  return {
    trainFramesPerSec: m((c) => c.trainFramesPerSec),
    envStepsPerSec: m((c) => c.envStepsPerSec),
    requestsPerSec: m((c) => c.requestsPerSec),
    inferenceBusy: m((c) => c.inferenceBusy),
    trainingBusy: m((c) => c.trainingBusy),
    splitPoints: cells[cells.length - 1].splitPoints,
  };
}

/** Per-interval rates between consecutive samples (for densities over a run). */
export function intervalRates(
  samples: readonly Sample[],
): { busy: number; inferenceBusy: number; trainingBusy: number; rssMB: number; inMBps: number; outMBps: number }[] {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    const dt = b.t - a.t;
    if (!(dt > 0)) continue;
    const inf = (b.inferenceMs - a.inferenceMs) / 1000 / dt;
    const tr = (b.trainMs - a.trainMs) / 1000 / dt;
    out.push({
      busy: Math.min(1, inf + tr),
      inferenceBusy: inf,
      trainingBusy: tr,
      rssMB: b.rssBytes / 1e6,
      inMBps: (b.bytesIn - a.bytesIn) / 1e6 / dt,
      outMBps: (b.bytesOut - a.bytesOut) / 1e6 / dt,
    });
  }
  return out;
}

export interface ActorRunResult {
  /** The actor's own final statistics (`coknight actor --final-stats`). */
  readonly steps: number;
  readonly envSteps: number;
  readonly wallSeconds: number;
  readonly splitPoint: number;
  readonly edgeFlops: number;
  readonly K: number;
  readonly trainingBusy: number;
}

/**
 * One actor process running `maxSteps` requests against a fresh learner, timed by the actor itself
 * (its final statistics), so that local steps at y = K count as they happen rather than when their
 * upload arrives.
 */
export async function runActorSteps(
  spec: Omit<CellSpec, 'actors' | 'warmupSeconds' | 'seconds' | 'frames' | 'sampleMs'> & { maxSteps: number },
): Promise<ActorRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ck-exp-'));
  const config = loadConfig(undefined, {
    mode: spec.mode,
    frames: 1e12,
    seed: spec.seed ?? 1,
    env: { id: spec.env },
    ...spec.config,
    distributed: {
      actors: 1,
      envsPerActor: spec.envsPerActor ?? 4,
      bandwidth: spec.bandwidth ?? 'unlimited',
      metricsListen: '',
      token: 'experiments',
      ...(spec.config?.distributed as object | undefined),
    },
    run: { dir, progress: 'none', checkpointEverySeconds: 1e9, logEverySeconds: 1e9 },
  });
  const svc = await LearnerService.start(config, { runDir: dir, log: () => {} });
  try {
    const args = [...actorArgs(config, svc.address, 0), '--max-steps', String(spec.maxSteps), ...(spec.actorExtraArgs?.(0) ?? [])];
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, COKNIGHT_TOKEN: 'experiments' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    const last = out.trim().split('\n').pop() ?? '';
    if (code !== 0 || !last.startsWith('{')) throw new Error(`actor exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
    const stats = JSON.parse(last) as { steps: number; envSteps: number; wallSeconds: number; splitPoint: number };
    const busy = svc.learner.busy();
    return { ...stats, edgeFlops: svc.learner.edgeFlops, K: svc.learner.K, trainingBusy: busy.trainingBusy };
  } finally {
    await svc.stop();
    svc.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
