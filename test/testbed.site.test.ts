/**
 * Cooperative-inference sites on the testbed (issue 20): the topology's `sites`, validated by field,
 * and for real (as root with ip/tc and a cgroup cpu controller; skipped with the reason otherwise) a
 * short training run whose one actor is a site of two rpi4 workers, each worker the real
 * `coknight site-worker` in its own namespace, behind its own shaped link and in its own calibrated
 * cgroup, connecting to its coordinator across the bridge; nothing is left behind.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { probeHost } from '../src/testbed/host.js';
import { actorHost, leftovers } from '../src/testbed/network.js';
import { runTestbed } from '../src/testbed/testbed.js';
import { actorsOf, parseTopology, siteDeviceId, siteWorkersOf } from '../src/testbed/topology.js';

const site = { id: 's1', devices: ['rpi4', 'rpi4'], envs: 1, link: { rate: '10MB/s' }, workerLink: { rate: '2.5MB/s', delayMs: 1 } };

describe('testbed sites in the topology', () => {
  it('places a site as one actor (its coordinator) plus one host per worker, after the plain actors', () => {
    const t = parseTopology({ name: 'x', devices: [{ id: 'pi', class: 'rpi3', count: 2, link: { rate: '1MB/s' } }], sites: [site] }, 't.yaml');
    expect(actorsOf(t).map((a) => [a.name, a.index, a.group.class, a.site?.id])).toEqual([
      ['pi-0', 0, 'rpi3', undefined],
      ['pi-1', 1, 'rpi3', undefined],
      ['s1', 2, 'host', 's1'],
    ]);
    expect(siteWorkersOf(t).map((w) => [w.name, w.index, w.group.class, w.group.link.rate, siteDeviceId(w.site, w.worker)])).toEqual([
      ['s1-w0', 3, 'rpi4', '2.5MB/s', 'd0-rpi4'],
      ['s1-w1', 4, 'rpi4', '2.5MB/s', 'd1-rpi4'],
    ]);
  });

  it('names the bad field of a site', () => {
    expect(() => parseTopology({ name: 'x', sites: [{ ...site, devices: ['rpi4', 'toaster'] }] }, 't.yaml')).toThrow(/sites\.0\.devices\.1: one of rpi3/);
    expect(() => parseTopology({ name: 'x', sites: [{ ...site, devices: [] }] }, 't.yaml')).toThrow(/sites\.0\.devices: a site needs at least one worker/);
    expect(() => parseTopology({ name: 'x', sites: [{ ...site, workerLink: undefined }] }, 't.yaml')).toThrow(/sites\.0\.workerLink/);
    expect(() => parseTopology({ name: 'x', sites: [{ ...site, plan: 'greedy' }] }, 't.yaml')).toThrow(/sites\.0\.plan/);
    expect(() => parseTopology({ name: 'x', devices: [{ id: 's1', class: 'rpi4', link: { rate: '1MB/s' } }], sites: [site] }, 't.yaml')).toThrow(
      /id "s1" appears twice/,
    );
    expect(() => parseTopology({ name: 'x' }, 't.yaml')).toThrow(/list at least one device group \(or a site under sites\)/);
  });
});

const cap = probeHost();
const why = cap.noNetns ?? (cap.cgroup ? null : 'no cgroup cpu controller');

describe.skipIf(why !== null)(`a site on the testbed${why ? ` (skipped: ${why})` : ''}`, () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', log: () => {}, gradients: false });
  });

  // Calibration is a measurement on a host the other test files share: retry when a busy neighbour
  // keeps it from converging.
  it('runs the site workers in their own namespaces and cgroups during training, and leaves nothing behind', { timeout: 300_000, retry: 1 }, async () => {
    const t = parseTopology(
      {
        name: `s${process.pid % 10000}`,
        sites: [site],
        // IMPALA mode: the site runs every layer of the IMPALA shallow net on 84×84×4 frames.
        train: { env: 'minatar-pixels/breakout', mode: 'impala', frames: 400, set: ['hyper.batchSize=2', 'hyper.unrollLength=10'] },
      },
      'test',
    );
    const logs: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'ck-testbed-site-'));
    const r = await runTestbed(t, 'test', { runDir: dir, log: (m) => logs.push(m) });
    expect(r.emulation).toMatch(/network namespaces/);
    expect((r.summary as { frames: number }).frames).toBeGreaterThanOrEqual(400);
    expect(r.actors.map((a) => [a.name, a.splitPoint, a.exit])).toEqual([['s1', 3, 0]]);
    expect(r.siteWorkers.map((w) => [w.name, w.site, w.class])).toEqual([
      ['s1-w0', 's1', 'rpi4'],
      ['s1-w1', 's1', 'rpi4'],
    ]);
    const workers = siteWorkersOf(t);
    for (const [i, w] of r.siteWorkers.entries()) {
      // Each worker measured its class's FLOP/s in its own cgroup, connected from its own address and exited cleanly.
      expect(Math.abs(w.calibratedFlops! / w.targetFlops - 1), `${w.name}: ${w.calibratedFlops} vs ${w.targetFlops} FLOP/s`).toBeLessThan(0.15);
      const from = actorHost(t, workers[i].index).address;
      expect(logs.join('\n')).toContain(`site: device ${siteDeviceId(site as never, i)} connected from ${from}`);
      expect(w.exit).toBe(0);
    }
    // The site served the actor's head: every step of its envs was computed there (no device lost).
    expect(logs.join('\n')).not.toMatch(/site: device .* (exited|closed its connection|did not answer)/);
    const report = JSON.parse(readFileSync(join(dir, 'testbed.json'), 'utf8')) as { siteWorkers: unknown[] };
    expect(report.siteWorkers).toHaveLength(2);
    expect(leftovers(t.name)).toEqual({ namespaces: [], links: [] });
    expect(existsSync(join(cap.cgroup!.cpuRoot, 'coknight', t.name))).toBe(false);
  });
});
