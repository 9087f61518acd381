/**
 * The site's cost model, shared by every planner and the simulator: a block takes as long as its
 * slowest device, and a device's time is its input transfer (halo rows included) + its measured
 * compute on the rows it must produce at every layer + its output transfer, each transfer paying the
 * link's latency once (CoopAI eq. 3 with per-device links instead of a shared G/k).
 */
import type { LayerDef } from '../../model/layer-builder.js';
import { deviceTask, type SiteBlock, type SitePlan } from '../../coop/plan.js';
import { rowCount } from '../../coop/slicing.js';
import { siteLayers, type SiteInstance } from './site-instance.js';

export interface SiteModel {
  readonly inst: SiteInstance;
  readonly defs: readonly LayerDef[];
  readonly y: number;
}

export function siteModel(inst: SiteInstance): SiteModel {
  const defs = siteLayers(inst.network, inst.inputShape);
  return { inst, defs, y: inst.y ?? defs.length };
}

export interface DeviceCost {
  readonly inBytes: number;
  readonly outBytes: number;
  readonly compute: number;
  readonly seconds: number;
}

function lookup(table: readonly number[] | undefined, h: number, what: string): number {
  if (h === 0) return 0;
  if (!table || h > table.length) throw new Error(`site profile has no ${what} time for ${h} rows (profile up to ${table?.length ?? 0})`);
  return table[h - 1];
}

function interpolate(points: readonly (readonly [number, number])[] | undefined, u: number, what: string): number {
  if (u === 0) return 0;
  if (!points || points.length === 0) throw new Error(`site profile has no ${what} points`);
  const ps = [...points].sort((a, b) => a[0] - b[0]);
  if (u <= ps[0][0]) return (ps[0][1] * u) / ps[0][0];
  for (let i = 1; i < ps.length; i++) {
    if (u <= ps[i][0]) return ps[i - 1][1] + ((ps[i][1] - ps[i - 1][1]) * (u - ps[i - 1][0])) / (ps[i][0] - ps[i - 1][0]);
  }
  return (ps[ps.length - 1][1] * u) / ps[ps.length - 1][0];
}

const floats = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Device d's cost in block b (d indexes m.inst.devices). */
export function deviceCost(m: SiteModel, b: SiteBlock, d: number): DeviceCost {
  const busy = b.parts.filter((p) => rowCount(p) > 0).length;
  if (rowCount(b.parts[d]) === 0) return { inBytes: 0, outBytes: 0, compute: 0, seconds: 0 };
  const dev = m.inst.devices[d];
  const prof = m.inst.profiles[dev.class];
  const t = deviceTask(m.defs, b, d);
  const batch = m.inst.batch;
  const inDef = m.defs[b.from - 1];
  const inBytes = 4 * batch * rowCount(t.inRows) * floats(inDef.inShape.slice(1));
  let compute = 0;
  t.spatial.forEach((s, i) => (compute += lookup(prof[b.from - 1 + i].rows, rowCount(s.outRows), `${dev.class} layer ${b.from + i}`)));
  let outFloats: number;
  if (t.fc?.mode === 'hybrid') {
    // units `part` of the first FC (model parallel), then the same count of input rows of the second (data)
    const u = rowCount(t.fc.part);
    compute += interpolate(prof[b.from - 1].units, u, `${dev.class} FC units`) + lookup(prof[b.to - 1].dataRows, u, `${dev.class} FC data`);
    outFloats = t.fc.second.units;
  } else if (t.fc) {
    const fcProf = prof[b.to - 1];
    const rowsIn = rowCount(b.parts[d]);
    compute +=
      t.fc.mode === 'data' ? lookup(fcProf.dataRows, rowsIn, `${dev.class} FC data`) : interpolate(fcProf.units, rowCount(t.fc.part), `${dev.class} FC units`);
    outFloats = t.fc.mode === 'data' ? t.fc.layout.units : rowCount(t.fc.part);
  } else {
    outFloats = rowCount(b.parts[d]) * floats(m.defs[b.to - 1].outShape.slice(1));
  }
  const outBytes = 4 * batch * outFloats;
  const G = m.inst.gatewayBytesPerSec;
  const link = G ? Math.min(dev.linkBytesPerSec, G / busy) : dev.linkBytesPerSec;
  const seconds = inBytes / link + compute + outBytes / link + 2 * dev.latencySeconds;
  return { inBytes, outBytes, compute, seconds };
}

export interface BlockCost {
  readonly devices: readonly DeviceCost[];
  readonly seconds: number;
}

export function blockCost(m: SiteModel, b: SiteBlock): BlockCost {
  const devices = b.parts.map((_, d) => deviceCost(m, b, d));
  return { devices, seconds: Math.max(...devices.map((c) => c.seconds)) };
}

/** Predicted seconds of one site step under `plan` (blocks run one after another). */
export function planSeconds(m: SiteModel, plan: SitePlan): number {
  return plan.blocks.reduce((s, b) => s + blockCost(m, b).seconds, 0);
}
