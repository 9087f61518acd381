/**
 * The first hour as a user, with real processes (bin/coknight.js, built by `npm test`'s tsc step):
 * actors that stop when told, give up when the learner is gone for good, exit when the learner ends
 * the run or when their parent dies; fatal errors that exit and release their ports; Ctrl-C with a
 * closed pipe; resume that keeps one continuous record. Times are generous upper bounds (a loaded
 * 2-core machine), never speed assertions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import type { RunConfig } from '../src/config/schema.js';
import { LearnerService } from '../src/run/learner-service.js';
import { runTraining } from '../src/run/train.js';
import { freePort, until } from './helpers/wait.js';

const BIN = join(__dirname, '..', 'bin', 'coknight.js');
const TOKEN = 'lifecycle-token';
const children: ChildProcess[] = [];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function start(args: string[], opts: { stdin?: 'pipe' | 'ignore'; env?: NodeJS.ProcessEnv } = {}): { child: ChildProcess; exit: Promise<Exit> } {
  const t0 = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, COKNIGHT_TOKEN: TOKEN, ...opts.env },
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 })));
  return { child, exit };
}

/** Resolves the time from now until the process exits. */
async function timeToExit(exit: Promise<Exit>): Promise<Exit & { after: number }> {
  const t0 = Date.now();
  const e = await exit;
  return { ...e, after: Date.now() - t0 };
}

function config(over: Record<string, unknown> = {}): RunConfig {
  return validateConfig({
    mode: 'seed',
    frames: 1e9,
    seed: 2,
    env: { id: 'minatar/breakout' },
    hyper: { unrollLength: 5, batchSize: 2 },
    distributed: { metricsListen: '', token: TOKEN },
    run: { dir: mkdtempSync(join(tmpdir(), 'ck-life-')), progress: 'none', checkpointEverySeconds: 1e9 },
    ...over,
  });
}

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('actors stop', () => {
  it('SIGTERM ends an actor within 2 s while it is still looking for a learner, and --give-up-after ends it with an error', async () => {
    const port = await freePort();
    const a = start(['actor', '--learner', `127.0.0.1:${port}`, '--actor-id', 'x']);
    // Once it is looking for the learner (not while Node is still loading it), plus a moment of backoff.
    await new Promise<void>((r) => a.child.stderr!.on('data', (d: Buffer) => (/asking the learner/.test(d.toString()) ? r() : undefined)));
    await new Promise((r) => setTimeout(r, 500));
    a.child.kill('SIGTERM');
    const e = await timeToExit(a.exit);
    expect(e.after).toBeLessThan(2000);
    expect(e.code).toBe(0);

    const b = start(['actor', '--learner', `127.0.0.1:${port}`, '--actor-id', 'y', '--give-up-after', '2s']);
    const g = await b.exit;
    expect(g.code).not.toBe(0);
    expect(g.stderr).toMatch(/gave up after \d+ attempts|gave up after \d+ s/);
    expect(g.ms).toBeLessThan(20_000);
  });

  it('SIGINT ends a streaming actor within 2 s; a learner that ends its run makes its actors exit 0', async () => {
    const svc = await LearnerService.start(config(), { runDir: mkdtempSync(join(tmpdir(), 'ck-life-')), log: () => {} });
    try {
      const a = start(['actor', '--learner', svc.address, '--actor-id', 'a', '--envs', '2']);
      const b = start(['actor', '--learner', svc.address, '--actor-id', 'b', '--envs', '2', '--final-stats']);
      await until(
        () => (svc.learner.registry.get('a')?.stepsServed ?? 0) > 20 && (svc.learner.registry.get('b')?.stepsServed ?? 0) > 20,
        30_000,
        'both actors streaming',
      );
      a.child.kill('SIGINT');
      const ea = await timeToExit(a.exit);
      expect(ea.after).toBeLessThan(2000);
      expect(ea.code).toBe(0);
      await svc.stop('finished');
      const eb = await timeToExit(b.exit);
      expect(eb.code).toBe(0);
      expect(eb.after).toBeLessThan(5000);
      expect(eb.stderr).toMatch(/ended the run \(finished\)/);
      expect(JSON.parse(eb.stdout.trim().split('\n').pop()!).ended).toBe('finished');
    } finally {
      svc.dispose();
    }
  });

  it('an actor started with --exit-with-parent dies with its parent, even when the parent is SIGKILLed', async () => {
    const port = await freePort();
    // A parent that starts an actor (as `coknight train` does) and prints its pid.
    const script = `const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, [${JSON.stringify(BIN)}, 'actor', '--learner', '127.0.0.1:${port}', '--actor-id', 'orphan', '--exit-with-parent'],
        { stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, COKNIGHT_TOKEN: 't' } });
      console.log(c.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(parent);
    const pid = await new Promise<number>((r) => parent.stdout.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await new Promise((r) => setTimeout(r, 1000));
    expect(alive()).toBe(true);
    parent.kill('SIGKILL');
    await until(() => !alive(), 5000, 'the orphaned actor to exit');
  });
});

describe('fatal errors exit', () => {
  it('a bad --bandwidth unit fails before anything starts (non-zero, no run directory)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ck-life-')), 'run');
    const e = await start(['train', '--mode', 'seed', '--bandwidth', '10XB/s', '--run-dir', dir, '--frames', '100']).exit;
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/distributed\.bandwidth: bandwidth "10XB\/s": unknown unit/);
    expect(existsSync(dir)).toBe(false);
  });

  it('a misspelt env id fails with a suggestion and leaves no run directory; --actors in local mode is refused', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ck-life-')), 'run');
    const e = await start(['train', '--env', 'minatar/breakuot', '--run-dir', dir, '--frames', '100']).exit;
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/minatar\/breakout/);
    expect(existsSync(dir)).toBe(false);
    const l = await start(['train', '--actors', '4', '--frames', '100', '--run-dir', dir]).exit;
    expect(l.code).toBe(1);
    expect(l.stderr).toMatch(/--actors applies to distributed runs.*--mode coknight/);
  });

  it('`coknight learner` on a busy port exits non-zero and holds no port afterwards', async () => {
    const busy = createServer();
    const port = await new Promise<number>((r) => busy.listen(0, '127.0.0.1', () => r((busy.address() as { port: number }).port)));
    try {
      const dir = mkdtempSync(join(tmpdir(), 'ck-life-'));
      const e = await start(['learner', '--listen', `127.0.0.1:${port}`, '--token', TOKEN, '--run-dir', dir, '--metrics', '', '--progress', 'none']).exit;
      expect(e.code).toBe(1);
      expect(e.stderr).toMatch(/cannot bind inference server to 127\.0\.0\.1:\d+/);
      expect(e.ms).toBeLessThan(30_000);
    } finally {
      busy.close();
    }
  });
});

describe('a run survives its terminal', () => {
  it('Ctrl-C with stdout and stderr piped into a reader that died still completes the run directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-life-'));
    const t = spawn(
      process.execPath,
      [BIN, 'train', '--env', 'minatar/breakout', '--frames', '1e9', '--run-dir', dir, '--progress', 'lines', '--set', 'run.logEverySeconds=0.2'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(t);
    const exit = new Promise<number | null>((r) => t.on('exit', (code) => r(code)));
    // Wait until it trains (progress lines arrive), then close our end of both pipes, as a killed `tee` does.
    await new Promise<void>((r) => t.stderr.on('data', (d: Buffer) => (/\[train\]/.test(d.toString()) ? r() : undefined)));
    t.stdout.destroy();
    t.stderr.destroy();
    t.kill('SIGINT');
    const code = await exit;
    expect(code).toBe(0);
    for (const f of ['checkpoint.ckpt', 'summary.json', 'learning-curve.svg', 'learning-curve.png']) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).stoppedEarly).toBe(true);
  });

  it('stopping and resuming twice gives the record of one continuous run', { timeout: 120_000 }, async () => {
    const base = (frames: number, dir: string): RunConfig =>
      validateConfig({
        mode: 'local',
        frames,
        seed: 4,
        env: { id: 'minatar/breakout' },
        hyper: { unrollLength: 10, batchSize: 8, learningRate: 0.005 },
        run: { dir, progress: 'none', checkpointEverySeconds: 1e9 },
      });
    const dir = mkdtempSync(join(tmpdir(), 'ck-life-'));
    await runTraining(base(8_000, dir), { log: () => {} });
    await runTraining(base(16_000, dir), { resume: dir, log: () => {} });
    const s = (await runTraining(base(24_000, dir), { resume: dir, log: () => {} })) as Record<string, any>;
    const straight = (await runTraining(base(24_000, mkdtempSync(join(tmpdir(), 'ck-life-'))), { log: () => {} })) as Record<string, any>;
    expect(s.frames).toBe(straight.frames);
    expect(s.updates).toBe(straight.updates);
    const lines = readFileSync(join(dir, 'episodes.jsonl'), 'utf8').trim().split('\n');
    expect(s.episodes).toBe(lines.length);
    // The episode log is one run: frames never go backwards, and it spans all three segments.
    const frames = lines.map((l) => JSON.parse(l).frames as number);
    for (let i = 1; i < frames.length; i++) expect(frames[i]).toBeGreaterThanOrEqual(frames[i - 1]);
    expect(frames[0]).toBeLessThan(8_000);
    expect(frames[frames.length - 1]).toBeGreaterThan(16_000);
    // fps is frames over the whole run's wall time, not over the last segment.
    expect(s.framesPerSecond).toBeCloseTo(s.frames / s.wallSeconds, 6);
    expect(s.framesPerSecond).toBeLessThan(straight.framesPerSecond * 5);
  });
});
