/**
 * Slicing fully-connected layers (CoopAI §II-B). A Coknight FC layer is [pointwise ops…, flatten,
 * dense, pointwise ops…]. Data parallelism splits the dense layer's *input features* (device d holds
 * rows f of W, sends back a partial sum x_f·W_f of all units; the gateway adds them, then the bias);
 * model parallelism splits its *output units* (device d needs all of x, returns its units, bias and
 * ReLU included); hybrid runs two consecutive FC layers as model-then-data parallel, so a device's
 * units of the first are exactly its input features of the second and no exchange is needed.
 */
import type { LayerDef, OpSpec } from '../model/layer-builder.js';
import { rowCount, type Rows } from './slicing.js';

export const FC_MODES = ['data', 'model', 'hybrid'] as const;
export type FcMode = (typeof FC_MODES)[number];

export interface FcLayout {
  readonly features: number;
  readonly units: number;
  readonly kIdx: number;
  readonly bIdx: number;
  /** Ops before the flatten (elementwise, on [H, W, C]) and after the dense layer (elementwise). */
  readonly pre: readonly OpSpec[];
  readonly post: readonly OpSpec[];
}

export function fcLayout(def: LayerDef): FcLayout {
  const f = def.ops.findIndex((o) => o.type === 'flatten' || o.type === 'dense');
  const d = def.ops.findIndex((o) => o.type === 'dense');
  const dense = def.ops[d];
  const elementwise = (o: OpSpec): boolean => o.type === 'relu' || o.type === 'scale';
  if (d < 0 || dense.type !== 'dense' || def.ops.filter((o) => o.type === 'dense').length !== 1) {
    throw new Error(`layer ${def.name}: an FC layer needs exactly one dense op`);
  }
  const pre = def.ops.slice(0, f);
  const post = def.ops.slice(d + 1);
  if (![...pre, ...post].every(elementwise) || def.ops.slice(f, d).some((o) => o.type !== 'flatten')) {
    throw new Error(`layer ${def.name}: only elementwise ops may surround the flatten + dense of an FC layer`);
  }
  const [features, units] = def.params[dense.kIdx].shape;
  return { features, units, kIdx: dense.kIdx, bIdx: dense.bIdx, pre, post };
}

/** Per-device floats in / out and FLOPs of one FC part, one sample. `part` ranges over features (data) or units (model/hybrid). */
export interface FcCost {
  readonly inFloats: number;
  readonly outFloats: number;
  readonly flops: number;
}

export function fcPartCost(mode: 'data' | 'model', layout: FcLayout, part: Rows): FcCost {
  const n = rowCount(part);
  if (n === 0) return { inFloats: 0, outFloats: 0, flops: 0 };
  if (mode === 'data') return { inFloats: n, outFloats: layout.units, flops: 2 * n * layout.units };
  return { inFloats: layout.features, outFloats: n, flops: 2 * layout.features * n };
}

/** Hybrid over two FC layers: device holds units `part` of the first = features `part` of the second. */
export function hybridPartCost(first: FcLayout, second: FcLayout, part: Rows): FcCost {
  if (first.units !== second.features) throw new Error(`hybrid: first layer has ${first.units} units, second ${second.features} features`);
  const n = rowCount(part);
  if (n === 0) return { inFloats: 0, outFloats: 0, flops: 0 };
  return { inFloats: first.features, outFloats: second.units, flops: 2 * first.features * n + 2 * n * second.units };
}
