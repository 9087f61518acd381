/**
 * A site plan — blocks of consecutive layers, each with a mode and each device's part — and what one
 * device computes for it (its task). The same derivation runs on the coordinator (to cut the input)
 * and on the worker (to check what it received), so a wrongly shaped slice is caught where it lands.
 */
import type { LayerDef } from '../model/layer-builder.js';
import { fcLayout, type FcLayout } from './fc-modes.js';
import { isSpatialLayer, rowCount, sliceBlock, type LayerSlice, type Rows } from './slicing.js';

export const BLOCK_MODES = ['slice', 'data', 'model', 'hybrid'] as const;
export type BlockMode = (typeof BLOCK_MODES)[number];

/**
 * Layers from..to (1-based, inclusive). parts[d] is device d's share: output rows of the block
 * ('slice'), rows of the FC layer's input ('data': the conv layers before it in the block are sliced
 * to those rows too, and a row range of [H, W, C] is a contiguous range of flattened features), or
 * output units ('model'; 'hybrid': units of the first of two FC layers, which are the same device's
 * input features of the second). An empty range leaves device d idle in that block.
 */
export interface SiteBlock {
  readonly from: number;
  readonly to: number;
  readonly mode: BlockMode;
  readonly parts: readonly Rows[];
}

export interface SitePlan {
  readonly blocks: readonly SiteBlock[];
}

/** What device d computes in one block. */
export interface DeviceTask {
  /** Spatial layers of the block, sliced (empty for an FC-only block). */
  readonly spatial: readonly LayerSlice[];
  /** Rows of the block's input the device needs (all of them for 'model'). */
  readonly inRows: Rows;
  /**
   * The FC work: 'data' and 'model' on the block's last layer; 'hybrid' runs units `part` of `layout`
   * (model parallel) and then the same range as input features of `second` (data parallel).
   */
  readonly fc?:
    | { readonly layout: FcLayout; readonly mode: 'data' | 'model'; readonly part: Rows }
    | { readonly layout: FcLayout; readonly mode: 'hybrid'; readonly part: Rows; readonly second: FcLayout };
}

/** Height of an [H, W, C] shape; a flat [F] counts as F rows of one float. */
export const rowsOf = (shape: readonly number[]): number => shape[0];
const rowFloats = (shape: readonly number[]): number => (shape.length === 3 ? shape[1] * shape[2] : 1);

/** Checks a plan against the network: contiguous cover of 1..y, modes that fit the layers, parts that fit. */
export function checkPlan(defs: readonly LayerDef[], plan: SitePlan, devices: number, y = defs.length): void {
  let next = 1;
  plan.blocks.forEach((b, i) => {
    const where = `plan.blocks[${i}]`;
    if (b.from !== next) throw new Error(`${where}.from is ${b.from}, expected ${next}: blocks must cover layers 1..${y} in order`);
    if (b.to < b.from || b.to > y) throw new Error(`${where}.to is ${b.to}: must be in ${b.from}..${y}`);
    if (b.parts.length !== devices) throw new Error(`${where}.parts has ${b.parts.length} entries for ${devices} devices`);
    const layers = defs.slice(b.from - 1, b.to);
    const spatial = layers.every(isSpatialLayer);
    const last = layers[layers.length - 1];
    if (b.mode === 'slice' && !spatial) throw new Error(`${where}: mode 'slice' needs conv/pool layers only; ${last.name} is FC (use 'data' or 'model')`);
    if (b.mode === 'data' && (spatial || !layers.slice(0, -1).every(isSpatialLayer))) {
      throw new Error(`${where}: mode 'data' needs conv layers followed by one FC layer`);
    }
    if (b.mode === 'model' && (layers.length !== 1 || spatial)) throw new Error(`${where}: mode 'model' needs exactly one FC layer`);
    if (b.mode === 'hybrid') checkHybrid(layers, where);
    const extent = b.mode === 'slice' ? rowsOf(last.outShape) : b.mode === 'data' ? rowsOf(last.inShape) : fcLayout(layers[0]).units;
    let at = 0;
    b.parts.forEach((p, d) => {
      if (rowCount(p) === 0) return;
      if (p[0] !== at || p[1] > extent) throw new Error(`${where}.parts[${d}] = [${p[0]}, ${p[1]}): parts must tile 0..${extent} in device order`);
      at = p[1];
    });
    if (at !== extent) throw new Error(`${where}.parts cover 0..${at} of 0..${extent}`);
    next = b.to + 1;
  });
  if (next !== y + 1) throw new Error(`plan covers layers 1..${next - 1}, the site must run 1..${y}`);
}

/** Hybrid: exactly two FC layers, the first's units feeding the second's flat input one to one. */
function checkHybrid(layers: readonly LayerDef[], where: string): void {
  if (layers.length !== 2 || layers.some(isSpatialLayer)) {
    throw new Error(`${where}: mode 'hybrid' needs exactly two consecutive FC layers (${layers.map((l) => l.name).join(', ')} given)`);
  }
  const [a, b] = layers.map(fcLayout);
  if (layers[1].inShape.length !== 1 || a.units !== b.features) {
    throw new Error(`${where}: mode 'hybrid': ${layers[0].name} has ${a.units} units but ${layers[1].name} reads [${layers[1].inShape.join(', ')}]`);
  }
}

export function deviceTask(defs: readonly LayerDef[], b: SiteBlock, d: number): DeviceTask {
  const layers = defs.slice(b.from - 1, b.to);
  const part = b.parts[d];
  if (b.mode === 'slice') {
    const spatial = sliceBlock(layers, part);
    return { spatial, inRows: spatial[0].inRows };
  }
  const fcDef = layers[layers.length - 1];
  const layout = fcLayout(fcDef);
  if (b.mode === 'model') return { spatial: [], inRows: [0, rowsOf(fcDef.inShape)], fc: { layout, mode: 'model', part } };
  if (b.mode === 'hybrid') {
    return { spatial: [], inRows: [0, rowsOf(layers[0].inShape)], fc: { layout: fcLayout(layers[0]), mode: 'hybrid', part, second: layout } };
  }
  const per = rowFloats(fcDef.inShape);
  const features: Rows = [part[0] * per, part[1] * per];
  const spatial = layers.length > 1 ? sliceBlock(layers.slice(0, -1), part) : [];
  return { spatial, inRows: spatial.length > 0 ? spatial[0].inRows : part, fc: { layout, mode: 'data', part: features } };
}
