/**
 * Which blocks of layers i..j can be run without data exchange inside the block — the four feasible
 * cases (our reading of CoopAI §II and its eq. 5 sub-cases; the derivation itself is in their [11]):
 *   1. conv/pool layers only            → height slicing with prefetched halos ('slice');
 *   2. one FC layer                     → data or model parallelism;
 *   3. conv layers then one FC layer    → slicing, then data parallelism on the rows each device holds
 *                                          (a row range of [H, W, C] is a contiguous feature range);
 *   4. two FC layers                    → hybrid (model then data parallelism).
 * Anything else (a conv after an FC, three FCs) needs an exchange mid-block and is infeasible.
 */
import type { LayerDef } from '../../model/layer-builder.js';
import { fcLayout } from '../../coop/fc-modes.js';
import type { BlockMode, SiteBlock } from '../../coop/plan.js';
import { isSpatialLayer, splitRows, type Rows } from '../../coop/slicing.js';

export function feasibleModes(defs: readonly LayerDef[], i: number, j: number): BlockMode[] {
  const layers = defs.slice(i - 1, j);
  const spatial = layers.map(isSpatialLayer);
  if (spatial.every(Boolean)) return ['slice'];
  if (layers.length === 1) return ['data', 'model'];
  if (spatial.slice(0, -1).every(Boolean)) return ['data'];
  if (layers.length === 2 && !spatial[0] && !spatial[1]) return ['hybrid'];
  return [];
}

/** What a block's parts range over: output rows (slice), FC input rows (data), or units (model; hybrid: of its first FC). */
export function blockExtent(defs: readonly LayerDef[], i: number, j: number, mode: BlockMode): number {
  const last = defs[j - 1];
  if (mode === 'slice') return last.outShape[0];
  if (mode === 'data') return last.inShape[0];
  return fcLayout(mode === 'hybrid' ? defs[i - 1] : last).units;
}

/** A block with parts by share (0 = idle device). */
export function blockByShares(defs: readonly LayerDef[], i: number, j: number, mode: BlockMode, shares: readonly number[]): SiteBlock {
  return { from: i, to: j, mode, parts: splitRows(blockExtent(defs, i, j, mode), shares) };
}

export function blockByParts(i: number, j: number, mode: BlockMode, parts: readonly Rows[]): SiteBlock {
  return { from: i, to: j, mode, parts };
}
