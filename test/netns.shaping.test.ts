/**
 * The application-level link cap checked against a real shaped link: an actor runs in its own
 * network namespace behind a veth pair whose egress is limited by `tc` (tbf), the learner runs here
 * on the other end. Needs root and iproute2; skipped (with the reason) where either is missing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { LearnerService } from '../src/run/learner-service.js';

const BIN = join(__dirname, '..', 'bin', 'coknight.js');
const NS = `ckns${process.pid}`;
const HOST_IF = `ckh${process.pid % 100000}`;
const NS_IF = `ckn${process.pid % 100000}`;
// A link-local test subnet that exists only between this test's two veth ends.
const HOST_IP = '169.254.77.1';
const NS_IP = '169.254.77.2';

function sh(...args: string[]): string {
  return execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

function netnsAvailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    sh('ip', 'netns', 'add', `${NS}probe`);
    sh('ip', 'netns', 'del', `${NS}probe`);
    sh('tc', '-V');
    return null;
  } catch (e) {
    return `ip netns/tc unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
}

const why = netnsAvailable();

describe.skipIf(why !== null)(`actors behind a tc-shaped link${why ? ` (skipped: ${why})` : ''}`, () => {
  beforeAll(async () => {
    await initBackend({ log: () => {} });
    sh('ip', 'netns', 'add', NS);
    sh('ip', 'link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
    sh('ip', 'link', 'set', NS_IF, 'netns', NS);
    sh('ip', 'addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF);
    sh('ip', 'link', 'set', HOST_IF, 'up');
    sh('ip', 'netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_IP}/30`, 'dev', NS_IF);
    sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', NS_IF, 'up');
    sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
  });

  afterAll(() => {
    try {
      sh('ip', 'netns', 'del', NS);
    } catch {
      /* already gone */
    }
    try {
      sh('ip', 'link', 'del', HOST_IF);
    } catch {
      /* removed with the namespace */
    }
  });

  /** Runs one actor in the namespace for `steps` steps and returns its final statistics. */
  async function runActor(extra: string[], steps: number): Promise<Record<string, any>> {
    const cfg = validateConfig({
      mode: 'seed',
      frames: 1e9,
      env: { id: 'minatar/breakout' },
      hyper: { unrollLength: 20, batchSize: 2 },
      distributed: { listen: `${HOST_IP}:0`, metricsListen: '', token: 'netns-test' },
      run: { dir: mkdtempSync(join(tmpdir(), 'ck-netns-')), progress: 'none', checkpointEverySeconds: 1e9 },
    });
    const learner = await LearnerService.start(cfg, { runDir: cfg.run.dir!, log: () => {} });
    try {
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          NS,
          process.execPath,
          BIN,
          'actor',
          '--learner',
          learner.address,
          '--actor-id',
          'ns0',
          '--envs',
          '2',
          '--streams',
          '2',
          '--max-steps',
          String(steps),
          '--final-stats',
          ...extra,
        ],
        { env: { ...process.env, COKNIGHT_TOKEN: 'netns-test' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      if (code !== 0) throw new Error(`actor exited with ${code}: ${err}`);
      return JSON.parse(out.trim().split('\n').pop()!) as Record<string, any>;
    } finally {
      await learner.stop();
      learner.dispose();
    }
  }

  it('a 10 kB/s tc limit and a 10 kB/s application cap give the same measured throughput (±15%)', { timeout: 300_000 }, async () => {
    const rate = 10_000; // bytes/s
    // One measurement pair: the shaped link without an application cap, then the unshaped link with
    // the cap. tbf counts whole packets (TCP/IP and HTTP/2 headers, ACKs), the actor counts its
    // messages, so its measured rate sits a little under the line rate. 100 steps ≈ 8 s per window.
    const measure = async (): Promise<{ shapedRate: number; cappedRate: number }> => {
      sh('ip', 'netns', 'exec', NS, 'tc', 'qdisc', 'add', 'dev', NS_IF, 'root', 'tbf', 'rate', `${(rate * 8) / 1000}kbit`, 'burst', '2000', 'latency', '200ms');
      let shaped: Record<string, any>;
      try {
        shaped = await runActor([], 100);
      } finally {
        sh('ip', 'netns', 'exec', NS, 'tc', 'qdisc', 'del', 'dev', NS_IF, 'root');
      }
      const capped = await runActor(['--bandwidth', `${rate}B/s`], 100);
      return { shapedRate: shaped.bytes.total.sentBytes / shaped.wallSeconds, cappedRate: capped.bytes.total.sentBytes / capped.wallSeconds };
    };
    const within = (m: { shapedRate: number; cappedRate: number }): boolean =>
      m.shapedRate <= rate * 1.05 &&
      m.shapedRate > rate * 0.7 &&
      m.cappedRate > rate * 0.9 &&
      m.cappedRate <= rate * 1.1 &&
      Math.abs(m.cappedRate - m.shapedRate) / m.shapedRate < 0.15;
    // A loaded machine can starve one window (the actor process gets no CPU for a while): repeat
    // the measurement, up to three pairs, and judge the best-agreeing one.
    const tries: { shapedRate: number; cappedRate: number }[] = [];
    for (let i = 0; i < 3; i++) {
      tries.push(await measure());
      if (within(tries[tries.length - 1])) break;
    }
    const best = tries.reduce((a, b) => (Math.abs(b.cappedRate - b.shapedRate) / b.shapedRate < Math.abs(a.cappedRate - a.shapedRate) / a.shapedRate ? b : a));
    expect(best.shapedRate).toBeLessThanOrEqual(rate * 1.05);
    expect(best.shapedRate).toBeGreaterThan(rate * 0.7);
    expect(best.cappedRate).toBeGreaterThan(rate * 0.9);
    expect(best.cappedRate).toBeLessThanOrEqual(rate * 1.1);
    expect(Math.abs(best.cappedRate - best.shapedRate) / best.shapedRate).toBeLessThan(0.15);
    console.log(
      `tc-shaped: ${best.shapedRate.toFixed(0)} B/s of payload; application cap: ${best.cappedRate.toFixed(0)} B/s (line rate ${rate} B/s; ${tries.length} measurement pair(s))`,
    );
  });
});
