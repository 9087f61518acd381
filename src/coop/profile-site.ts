/**
 * Measures the site planners' input on this device: for every spatial layer and every output height
 * h, the time of the slice that produces h rows (input rows with their halo, padding done by hand —
 * exactly what a worker runs); for the FC layer, the data-parallel partial product over h input rows
 * and the model-parallel product for a few unit counts. Best of `reps` after a warm-up: on a shared
 * host a busy neighbour only ever slows a run down, so the fastest is the device's own speed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type NetworkSpec } from '../model/index.js';
import { fcLayout } from './fc-modes.js';
import { runBlockSlice, runFcPart, WeightSlices } from './execute.js';
import { isSpatialLayer, rowCount, sliceLayer } from './slicing.js';

export interface MeasuredLayer {
  readonly rows?: number[];
  readonly dataRows?: number[];
  readonly units?: [number, number][];
}

function best(run: () => void, reps: number): number {
  run();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    run();
    ts.push((performance.now() - t0) / 1000);
  }
  return Math.min(...ts);
}

export function profileSiteLayers(
  spec: NetworkSpec,
  inputShape: [number, number, number],
  batch: number,
  reps: number,
  onLayer?: (k: number, K: number) => void,
): MeasuredLayer[] {
  const model = createModel(spec, { inputShape, numActions: 4 });
  try {
    return Array.from({ length: model.K }, (_, i) => {
      const parts = model.layerParts(i + 1);
      const def = parts.def;
      let out: MeasuredLayer;
      if (isSpatialLayer(def)) {
        const rows = Array.from({ length: def.outShape[0] }, (_, h) => {
          const s = sliceLayer(def, [0, h + 1]);
          const x = tf.randomUniform([batch, rowCount(s.inRows), def.inShape[1], def.inShape[2]], 0, 1, 'float32', 1) as tf.Tensor4D;
          const t = best(() => runBlockSlice([parts], [s], x).dataSync(), reps);
          x.dispose();
          return t;
        });
        out = { rows };
      } else {
        const layout = fcLayout(def);
        const perRow = layout.features / def.inShape[0];
        // as a worker runs it: the weight slices are cut once, not per step
        const cache = new WeightSlices();
        const dataRows = Array.from({ length: def.inShape[0] }, (_, h) => {
          const x = tf.randomUniform([batch, (h + 1) * perRow], 0, 1, 'float32', 2);
          const t = best(() => runFcPart('data', parts, layout, [0, (h + 1) * perRow], x, cache).dataSync(), reps);
          x.dispose();
          return t;
        });
        const x = tf.randomUniform([batch, layout.features], 0, 1, 'float32', 3);
        const units = [8, 4, 2, 1].map((d): [number, number] => {
          const u = Math.max(1, Math.round(layout.units / d));
          return [u, best(() => runFcPart('model', parts, layout, [0, u], x, cache).dataSync(), reps)];
        });
        x.dispose();
        cache.clear();
        out = { dataRows, units };
      }
      onLayer?.(i + 1, model.K);
      return out;
    });
  } finally {
    model.dispose();
  }
}

/** The same tables on a device `slowdown` times slower (the testbed's calibrated speed ratio). */
export function scaleProfile(p: readonly MeasuredLayer[], slowdown: number): MeasuredLayer[] {
  return p.map((l) => ({
    ...(l.rows ? { rows: l.rows.map((t) => t * slowdown) } : {}),
    ...(l.dataRows ? { dataRows: l.dataRows.map((t) => t * slowdown) } : {}),
    ...(l.units ? { units: l.units.map(([u, t]): [number, number] => [u, t * slowdown]) } : {}),
  }));
}
