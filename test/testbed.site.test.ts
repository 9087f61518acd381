/**
 * Cooperative-inference sites in a testbed topology (issue 20): placement and validation by field.
 * The run on the real testbed is in testbed.test.ts, in sequence with the other testbed run: two
 * calibrations at once on 2 cores miss their targets.
 */
import { describe, expect, it } from 'vitest';
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
