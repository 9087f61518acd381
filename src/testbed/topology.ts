/**
 * A testbed topology (YAML): a learner host and groups of actor devices, each group with a device
 * class (classes.ts), a link (rate, delay, jitter, loss) and envs per actor, plus what to train.
 * Validated with zod; every error names the field.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseBandwidth } from '../util/bandwidth.js';
import { DEVICE_CLASSES } from './classes.js';

const rate = z.string().superRefine((s, ctx) => {
  try {
    if (!Number.isFinite(parseBandwidth(s))) ctx.addIssue({ code: 'custom', message: 'a link needs a finite rate, e.g. "10MB/s"' });
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

export const linkSchema = z.strictObject({
  rate,
  delayMs: z.number().min(0).max(10_000).default(0),
  jitterMs: z.number().min(0).max(10_000).default(0),
  lossPct: z.number().min(0).max(100).default(0),
});

const groupId = z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'lower-case letters, digits and "-", at most 16, starting with a letter');
const deviceClass = z.string().refine((c) => c in DEVICE_CLASSES, { message: `one of ${Object.keys(DEVICE_CLASSES).join(', ')}` });

export const deviceGroupSchema = z.strictObject({
  id: groupId,
  class: deviceClass,
  count: z.number().int().min(1).max(64).default(1),
  envs: z.number().int().min(1).default(4),
  streams: z.number().int().min(1).default(1),
  link: linkSchema,
});

/**
 * A cooperative-inference site (issue 20): one actor whose head layers run on several worker devices.
 * The coordinator (the site's gateway: it steps the envs and talks to the learner) and every worker
 * are hosts of their own on the bridge, each with its class's CPU quota; workers reach the
 * coordinator over their own shaped links, which is also what the site's planner assumes.
 */
export const siteGroupSchema = z.strictObject({
  id: groupId,
  /** The gateway's class ("host" = an unthrottled core of this machine). */
  coordinator: deviceClass.default('host'),
  /** One worker process per entry, e.g. [rpi3, rpi3, rpi4]. */
  devices: z.array(deviceClass).min(1, 'a site needs at least one worker device').max(16),
  envs: z.number().int().min(1).default(4),
  plan: z.enum(['mls', 'sls', 'single']).default('mls'),
  /** The coordinator's link (to the learner, and the workers' traffic through its one interface). */
  link: linkSchema,
  /** Each worker's link to the bridge. */
  workerLink: linkSchema,
});

export const topologySchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9]{0,7}$/, 'lower-case letters and digits, at most 8 (it names interfaces and namespaces)'),
  learner: z
    .strictObject({
      cpus: z
        .string()
        .regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, 'a cpuset list such as "0" or "0-1"')
        .default('0'),
    })
    .prefault({}),
  /** CPUs the actors share (each limited further by its class). */
  actorCpus: z
    .string()
    .regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, 'a cpuset list such as "1"')
    .default('1'),
  devices: z.array(deviceGroupSchema).default([]),
  sites: z.array(siteGroupSchema).default([]),
  train: z
    .strictObject({
      env: z.string().default('minatar/breakout'),
      mode: z.enum(['seed', 'impala', 'coknight']).default('coknight'),
      frames: z.number().int().positive().default(20_000),
      set: z.array(z.string()).default([]),
      /** Who runs every actor's head layers (`coknight actor --inference`); tfjs makes a single actor use the kernels site workers use. */
      actorInference: z.enum(['auto', 'onnx', 'tfjs']).default('auto'),
      /**
       * The tfjs backend of every device process (actors, site workers) and of the calibration probe.
       * wasm by default: the device classes are defined by 128-bit SIMD peaks, the width of its kernels;
       * with 'native' (this host's OpenBLAS) a device measures ~4× its wasm FLOP/s at the same quota.
       */
      deviceBackend: z.enum(['wasm', 'native', 'auto']).default('wasm'),
    })
    .prefault({}),
});
export type Topology = z.infer<typeof topologySchema>;

export function parseTopology(data: unknown, source: string): Topology {
  const r = topologySchema.safeParse(data ?? {});
  if (r.success) {
    if (r.data.devices.length + r.data.sites.length === 0) throw new Error(`${source}: devices: list at least one device group (or a site under sites)`);
    const ids = [...r.data.devices.map((d) => d.id), ...r.data.sites.map((d) => d.id)];
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) throw new Error(`${source}: devices/sites: id "${dup}" appears twice`);
    const total = actorsOf(r.data).length + siteWorkersOf(r.data).length;
    if (total > 200)
      throw new Error(`${source}: devices: ${total} hosts (actors, site coordinators and site workers) in all; at most 200 (addresses on the testbed's /24)`);
    return r.data;
  }
  const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
  throw new Error(`invalid topology in ${source}:\n${lines.join('\n')}`);
}

export function loadTopology(path: string): Topology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read topology ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseTopology(parseYaml(text), path);
}

export type DeviceGroup = Topology['devices'][number];
export type SiteGroup = Topology['sites'][number];

export interface TopologyHost {
  readonly name: string;
  /** Class, link and envs of the host (for a site coordinator: the site's). */
  readonly group: DeviceGroup;
  /** Position on the bridge (addresses and namespace names follow it). */
  readonly index: number;
  /** Set on a site's coordinator. */
  readonly site?: SiteGroup;
}

/** Every actor of the topology, numbered: group id + index ("pi4-0"), then one per site (its id). */
export function actorsOf(t: Topology): TopologyHost[] {
  let index = 0;
  const plain = t.devices.flatMap((group) => Array.from({ length: group.count }, (_, i) => ({ name: `${group.id}-${i}`, group, index: index++ })));
  const sites = t.sites.map((site) => ({
    name: site.id,
    group: { id: site.id, class: site.coordinator, count: 1, envs: site.envs, streams: 1, link: site.link },
    index: index++,
    site,
  }));
  return [...plain, ...sites];
}

/** The worker devices of every site ("<site>-w<k>"), numbered after the actors. */
export function siteWorkersOf(t: Topology): (TopologyHost & { site: SiteGroup; worker: number })[] {
  let index = actorsOf(t).length;
  return t.sites.flatMap((site) =>
    site.devices.map((cls, k) => ({
      name: `${site.id}-w${k}`,
      group: { id: `${site.id}-w${k}`, class: cls, count: 1, envs: 1, streams: 1, link: site.workerLink },
      index: index++,
      site,
      worker: k,
    })),
  );
}

/** The device id the coordinator of `site` gives its worker k (src/cli/commands/site.ts names them so). */
export function siteDeviceId(site: SiteGroup, k: number): string {
  return `d${k}-${site.devices[k]}`;
}
