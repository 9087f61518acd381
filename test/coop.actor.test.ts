// One site is one actor to the learner: `coknight actor --site` runs its head layers on a site of two
// worker processes (planned by MLS on profiles measured here) against a real learner; and a training
// run whose config lists a site (distributed.sites) starts it beside its plain actors.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { profileSiteLayers } from '../src/coop/profile-site.js';
import { parseSiteInstance } from '../src/partition/coop/index.js';
import { checkSites, siteArgs } from '../src/run/actor-processes.js';
import { runDistributed } from '../src/run/distributed.js';
import { LearnerService } from '../src/run/learner-service.js';
import { freePort, until } from './helpers/wait.js';

const BIN = join(__dirname, '..', 'bin', 'coknight.js');
let learner: LearnerService | undefined;

beforeAll(async () => {
  await initBackend({ log: () => {} });
});
afterAll(async () => learner?.stop());

it('an actor whose head runs on a 2-device site steps against a real learner at split point 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-site-'));
  const host = profileSiteLayers('minatar', [10, 10, 4], 2, 1);
  const inst = parseSiteInstance({
    kind: 'site',
    network: 'minatar',
    inputShape: [10, 10, 4],
    batch: 2,
    profiles: { host },
    devices: [0, 1].map((i) => ({ id: `w${i}`, class: 'host', linkBytesPerSec: 1e8, latencySeconds: 1e-4 })),
  });
  const site = join(dir, 'site.json');
  writeFileSync(site, JSON.stringify(inst));
  const port = await freePort();
  const cfg = validateConfig(
    {
      mode: 'coknight',
      frames: 100_000,
      seed: 3,
      env: { id: 'minatar/breakout' },
      hyper: { unrollLength: 5, batchSize: 2, learningRate: 0.005 },
      distributed: {
        actors: 1,
        envsPerActor: 2,
        maxWaitMs: 2,
        listen: `127.0.0.1:${port}`,
        metricsListen: '127.0.0.1:0',
        token: 'site-token',
        splitPoints: [1],
      },
      run: { dir: join(dir, 'run'), progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
    },
    'test',
  );
  learner = await LearnerService.start(cfg, { runDir: cfg.run.dir!, log: () => {} });
  const actor = spawn(process.execPath, [BIN, 'actor', '--learner', learner.address, '--envs', '2', '--max-steps', '40', '--final-stats', '--site', site], {
    env: { ...process.env, COKNIGHT_TOKEN: 'site-token' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  actor.stdout.on('data', (d: Buffer) => (out += d.toString()));
  actor.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => actor.on('exit', r));
  expect(code, err).toBe(0);
  const stats = JSON.parse(out.trim().split('\n').at(-1) as string) as { steps: number; splitPoint: number };
  expect(stats.steps).toBe(40);
  expect(stats.splitPoint).toBe(1);
  // 40 steps × 2 envs at unroll 5 and batch 2: the learner has trained on what the site computed
  const l = learner;
  await until(() => l.recorder.updates >= 1, 30_000, 'a learner update');
});

it('distributed.sites: an impala run starts a 2-device site (site0, after the plain actors) and trains on what it steps', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-site-run-'));
  const cfg = validateConfig(
    {
      mode: 'impala',
      frames: 300,
      seed: 4,
      env: { id: 'minatar/breakout' },
      hyper: { unrollLength: 5, batchSize: 2, learningRate: 0.005 },
      distributed: { actors: 1, envsPerActor: 2, maxWaitMs: 2, metricsListen: '', sites: [{ devices: ['host', 'host'], plan: 'mls', link: '50MB/s' }] },
      run: { dir, progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
    },
    'test',
  );
  const args = siteArgs(cfg, '127.0.0.1:1', 0, 1);
  expect(args.slice(args.indexOf('--actor-id'), args.indexOf('--actor-id') + 2)).toEqual(['--actor-id', 'site0']);
  expect(args.slice(-8)).toEqual(['--site-devices', 'host,host', '--site-plan', 'mls', '--site-link', '50MB/s', '--site-latency-ms', '2']);
  // the site alone (no plain actor to race it to the frame budget): every frame trained on came from it
  const s = (await runDistributed(cfg, { spawnActors: 0, log: () => {} })) as {
    actors: { id: string; stepsServed: number; stepsLocal: number }[];
    stepAccounting: { trained: number };
  };
  expect(s.actors.map((a) => a.id)).toEqual(['site0']);
  expect(s.actors[0].stepsServed + s.actors[0].stepsLocal).toBeGreaterThan(0);
  expect(s.stepAccounting.trained).toBeGreaterThan(0);
});

it('distributed.sites is checked naming the field', () => {
  const base = { mode: 'impala', distributed: { sites: [{ devices: ['rpi4', 'toaster'] }] } };
  const cfg = validateConfig(base, 'test');
  expect(() => checkSites(cfg)).toThrow(/distributed.sites\[0\].devices\[1\]: unknown device class "toaster"/);
  expect(() => validateConfig({ mode: 'impala', distributed: { sites: [{ devices: [] }] } }, 'test')).toThrow(/distributed.sites.0.devices/);
  expect(() => validateConfig({ mode: 'impala', distributed: { sites: [{ devices: ['rpi4'], plan: 'lcpss-osds' }] } }, 'test')).toThrow(
    /distributed.sites.0.plan/,
  );
});
