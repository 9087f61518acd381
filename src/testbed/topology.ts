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

export const deviceGroupSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'lower-case letters, digits and "-", at most 16, starting with a letter'),
  class: z.string().refine((c) => c in DEVICE_CLASSES, { message: `one of ${Object.keys(DEVICE_CLASSES).join(', ')}` }),
  count: z.number().int().min(1).max(64).default(1),
  envs: z.number().int().min(1).default(4),
  streams: z.number().int().min(1).default(1),
  link: linkSchema,
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
  devices: z.array(deviceGroupSchema).min(1),
  train: z
    .strictObject({
      env: z.string().default('minatar/breakout'),
      mode: z.enum(['seed', 'impala', 'coknight']).default('coknight'),
      frames: z.number().int().positive().default(20_000),
      set: z.array(z.string()).default([]),
    })
    .prefault({}),
});
export type Topology = z.infer<typeof topologySchema>;

export function parseTopology(data: unknown, source: string): Topology {
  const r = topologySchema.safeParse(data ?? {});
  if (r.success) {
    const ids = r.data.devices.map((d) => d.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) throw new Error(`${source}: devices: id "${dup}" appears twice`);
    const total = r.data.devices.reduce((n, d) => n + d.count, 0);
    if (total > 200) throw new Error(`${source}: devices: ${total} actors in all; at most 200 (addresses on the testbed's /24)`);
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

/** Every actor of the topology, numbered: group id + index ("pi4-0"). */
export function actorsOf(t: Topology): { name: string; group: Topology['devices'][number]; index: number }[] {
  let index = 0;
  return t.devices.flatMap((group) => Array.from({ length: group.count }, (_, i) => ({ name: `${group.id}-${i}`, group, index: index++ })));
}
