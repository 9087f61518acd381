import { z } from 'zod';
import { buildTrunk, NETWORK_SPECS, type NetworkSpec } from '../../model/networks.js';
import type { LayerDef } from '../../model/layer-builder.js';

/**
 * A site instance (cooperative head inference): the network, the batch the site steps, each device
 * class's measured per-layer, per-height times (`coknight profile --site`), and the devices with their
 * links to the gateway. Units: seconds, bytes/s. The planners never invent a time: every compute time
 * is a table lookup in `profiles`.
 */
const seconds = (what: string) =>
  z
    .number({ error: `${what} must be a number of seconds` })
    .finite()
    .nonnegative({ message: `${what} must be >= 0` });

export const LayerProfileSchema = z.object({
  /** Spatial layer: seconds to produce h output rows (with the input rows they need), h = 1..H: rows[h-1]. */
  rows: z.array(seconds('profiles.<class>[l].rows[h]')).optional(),
  /** FC layer, data parallelism: seconds for the partial product over h rows of its input, h = 1..H_in. */
  dataRows: z.array(seconds('profiles.<class>[l].dataRows[h]')).optional(),
  /** FC layer, model parallelism: [units, seconds] points, interpolated linearly. */
  units: z.array(z.tuple([z.number().int().positive(), seconds('profiles.<class>[l].units[i][1]')])).optional(),
});

export const SiteDeviceSchema = z.object({
  id: z.string({ error: 'devices[i].id must be a string' }).min(1),
  class: z.string({ error: 'devices[i].class must name a profiled device class' }),
  linkBytesPerSec: z.number({ error: 'devices[i].linkBytesPerSec must be a number' }).positive({ message: 'devices[i].linkBytesPerSec must be > 0' }),
  /** Per message (one each way per block). */
  latencySeconds: seconds('devices[i].latencySeconds').default(0),
});

export const SiteInstanceSchema = z.object({
  kind: z.literal('site', { error: 'kind must be "site" for a cooperative-inference instance' }),
  network: z.enum(NETWORK_SPECS, { error: `network must be one of ${NETWORK_SPECS.join(', ')}` }),
  inputShape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()], {
    error: 'inputShape must be [H, W, C] positive integers',
  }),
  batch: z.number().int().positive({ message: 'batch must be a positive integer' }).default(1),
  /** The site runs layers 1..y (default: all K). */
  y: z.number().int().positive().optional(),
  /** CoopAI's shared gateway bandwidth G: the k devices busy in a block get G/k each (capped by their own link). */
  gatewayBytesPerSec: z.number().positive({ message: 'gatewayBytesPerSec must be > 0' }).optional(),
  profiles: z.record(z.string(), z.array(LayerProfileSchema)),
  devices: z.array(SiteDeviceSchema).min(1, 'devices must list at least one device'),
});

export type SiteInstance = z.infer<typeof SiteInstanceSchema>;
export type SiteDeviceSpec = SiteInstance['devices'][number];

/** Parses and cross-checks a site instance; errors name the field and say what to fix. */
export function parseSiteInstance(data: unknown, where = 'site instance'): SiteInstance {
  const r = SiteInstanceSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${where}: ${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
  }
  const inst = r.data;
  const defs = siteLayers(inst.network, inst.inputShape);
  const y = inst.y ?? defs.length;
  if (y > defs.length) throw new Error(`${where}: y: ${y} exceeds the ${defs.length} layers of ${inst.network}`);
  inst.devices.forEach((d, i) => {
    const p = inst.profiles[d.class];
    if (!p)
      throw new Error(`${where}: devices.${i}.class: no profile for class "${d.class}" (profiles has ${Object.keys(inst.profiles).join(', ') || 'none'})`);
    if (p.length < y) throw new Error(`${where}: profiles.${d.class}: ${p.length} layers profiled, the site runs ${y}`);
  });
  const ids = inst.devices.map((d) => d.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`${where}: devices: id "${dup}" appears twice`);
  return inst;
}

export function siteLayers(spec: NetworkSpec, inputShape: readonly [number, number, number]): LayerDef[] {
  return [...buildTrunk(spec, inputShape).layers];
}
