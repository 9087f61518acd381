// Real worker processes over TCP: a site's output equals the single-device head; a worker killed
// mid-block is re-planned around without losing the step; a wrongly shaped slice is refused.
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, readFloats } from '../src/backend/index.js';
import type { SitePlan } from '../src/coop/plan.js';
import { Site, type SiteDevice } from '../src/coop/site.js';
import { splitRows } from '../src/coop/slicing.js';
import { encodeFrame, readFrames, type Frame } from '../src/coop/wire.js';
import { createModel } from '../src/model/index.js';
import { Rng } from '../src/util/rng.js';
import { until } from './helpers/wait.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'coknight.js');
const SHAPE: [number, number, number] = [84, 84, 4];

beforeAll(async () => {
  await initBackend({ log: () => {}, gradients: false });
});

/** conv1+conv2 sliced by height with equal shares, then the FC layer by data parallelism. */
const shallowPlan = (alive: readonly SiteDevice[]): SitePlan => ({
  blocks: [
    {
      from: 1,
      to: 2,
      mode: 'slice',
      parts: splitRows(
        9,
        alive.map(() => 1),
      ),
    },
    {
      from: 3,
      to: 3,
      mode: 'data',
      parts: splitRows(
        9,
        alive.map(() => 1),
      ),
    },
  ],
});

function observations(n: number): Uint8Array {
  const rng = new Rng(5);
  const obs = new Uint8Array(n * SHAPE[0] * SHAPE[1] * SHAPE[2]);
  for (let i = 0; i < obs.length; i++) obs[i] = rng.int(256);
  return obs;
}

function reference(seed: number, obs: Uint8Array, n: number, spec: 'impala-shallow' | 'impala-shallow-fc2' = 'impala-shallow'): Float32Array {
  const m = createModel(spec, { inputShape: SHAPE, numActions: 4, seed });
  const out = readFloats(() => m.head(m.observationTensor(obs, n), m.K));
  m.dispose();
  return out;
}

const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('a site of worker processes', () => {
  let site: Site;
  const obs = observations(2);
  afterAll(async () => site?.close());

  it('runs the IMPALA shallow head on 3 devices equal to one device, and follows weight updates', async () => {
    site = await Site.start({ spec: 'impala-shallow', inputShape: SHAPE, numActions: 4, devices: ['a', 'b', 'c'].map((id) => ({ id })), plan: shallowPlan });
    const step = await site.head(obs, 2);
    expect(step.lost).toEqual([]);
    expect(maxDiff(step.out, reference(0, obs, 2))).toBeLessThan(1e-4);
    const other = createModel('impala-shallow', { inputShape: SHAPE, numActions: 4, seed: 9 });
    await site.setWeights(await other.getLayerWeights());
    other.dispose();
    expect(maxDiff((await site.head(obs, 2)).out, reference(9, obs, 2))).toBeLessThan(1e-4);
    // a second refresh of the same network: the workers load the values into the model they hold
    const first = createModel('impala-shallow', { inputShape: SHAPE, numActions: 4, seed: 0 });
    await site.setWeights(await first.getLayerWeights());
    first.dispose();
    expect(maxDiff((await site.head(obs, 2)).out, reference(0, obs, 2))).toBeLessThan(1e-4);
  });
});

describe('hybrid FC on worker processes (CoopAI §II-B)', () => {
  it('impala-shallow-fc2: convs sliced, then fc model-parallel and fc2 data-parallel with no exchange between them, equals one device', async () => {
    const plan = (alive: readonly SiteDevice[]): SitePlan => ({
      blocks: [
        {
          from: 1,
          to: 2,
          mode: 'slice',
          parts: splitRows(
            9,
            alive.map(() => 1),
          ),
        },
        {
          from: 3,
          to: 4,
          mode: 'hybrid',
          parts: splitRows(
            256,
            alive.map((_, i) => i + 1),
          ),
        },
      ],
    });
    const hybridSite = await Site.start({ spec: 'impala-shallow-fc2', inputShape: SHAPE, numActions: 4, devices: ['a', 'b', 'c'].map((id) => ({ id })), plan });
    try {
      const obs = observations(2);
      const step = await hybridSite.head(obs, 2);
      expect(step.lost).toEqual([]);
      expect(step.out.length).toBe(2 * 256);
      expect(maxDiff(step.out, reference(0, obs, 2, 'impala-shallow-fc2'))).toBeLessThan(1e-4);
    } finally {
      await hybridSite.close();
    }
  });
});

describe('faults', () => {
  it('a worker killed mid-block: the site re-plans on the two left and the step is not lost', async () => {
    const devices: SiteDevice[] = [{ id: 'a' }, { id: 'b', delayMs: 2000 }, { id: 'c' }];
    const log: string[] = [];
    const site = await Site.start({ spec: 'impala-shallow', inputShape: SHAPE, numActions: 4, devices, plan: shallowPlan, log: (m) => log.push(m) });
    try {
      const obs = observations(1);
      const pending = site.head(obs, 1);
      await new Promise((r) => setTimeout(r, 500)); // b holds its first-block result for 2 s
      process.kill(site.pids().b as number, 'SIGKILL');
      const step = await pending;
      expect(step.lost).toEqual(['b']);
      expect(site.live().map((w) => w.device.id)).toEqual(['a', 'c']);
      expect(log.some((l) => l.includes('device b'))).toBe(true);
      expect(maxDiff(step.out, reference(0, obs, 1))).toBeLessThan(1e-4);
    } finally {
      await site.close();
    }
  });

  it('a slice with the wrong shape is answered with an error naming the shape it needed', async () => {
    const frames: Frame[] = [];
    let sock: Socket | undefined;
    const server = createServer((s) => {
      sock = s;
      readFrames(s, (f) => frames.push(f));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const proc = spawn(process.execPath, [BIN, 'site-worker', '--connect', `127.0.0.1:${port}`, '--id', 'w'], { stdio: 'ignore' });
    try {
      await until(() => frames.some((f) => f.header.type === 'hello'), 30_000, 'worker hello');
      const m = createModel('impala-shallow', { inputShape: SHAPE, numActions: 4 });
      sock?.write(encodeFrame({ type: 'init', spec: 'impala-shallow', inputShape: SHAPE, numActions: 4 }, await m.getLayerWeights()));
      m.dispose();
      const block = { from: 1, to: 2, mode: 'slice', parts: splitRows(9, [1, 1]) };
      sock?.write(encodeFrame({ type: 'task', id: 7, block, device: 0, shape: [1, 30, 84, 4] }, new Uint8Array(4 * 30 * 84 * 4)));
      await until(() => frames.some((f) => f.header.type === 'error'), 30_000, 'worker error reply');
      const err = frames.find((f) => f.header.type === 'error');
      expect(err?.header).toMatchObject({ id: 7 });
      expect(String(err?.header.message)).toMatch(/slice shape mismatch: block 1..2 \(slice\) part 0 needs \[n, 52, 84, 4\].*got \[1, 30, 84, 4\]/);
    } finally {
      proc.kill();
      sock?.destroy();
      server.close();
    }
  });
});
