/** One device's work on one block (what a worker process runs), and the gateway's gather. */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerDef } from '../model/layer-builder.js';
import { finishDataParallel, runBlockSlice, runFcPart, type WeightSlices, type LayerParts } from './execute.js';
import { deviceTask, rowsOf, type SiteBlock } from './plan.js';
import { rowCount } from './slicing.js';

/** x: the rows task.inRows of the block input, [n, rows, W, C] (or [n, F] for a flat input). Returns the device's output. */
export function runDeviceTask(parts: readonly LayerParts[], b: SiteBlock, d: number, x: tf.Tensor, cache?: WeightSlices): tf.Tensor {
  const defs = parts.map((p) => p.def);
  const task = deviceTask(defs, b, d);
  const inDef = defs[b.from - 1];
  const want = [rowCount(task.inRows), ...inDef.inShape.slice(1)];
  if (x.shape.length !== want.length + 1 || want.some((v, i) => x.shape[i + 1] !== v)) {
    throw new Error(
      `slice shape mismatch: block ${b.from}..${b.to} (${b.mode}) part ${d} needs [n, ${want.join(', ')}] ` +
        `(input rows [${task.inRows.join(', ')})), got [${x.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const blockParts = parts.slice(b.from - 1, b.to);
    let h = task.spatial.length > 0 ? runBlockSlice(blockParts.slice(0, task.spatial.length), task.spatial, x as tf.Tensor4D) : x;
    const fc = task.fc;
    if (fc?.mode === 'hybrid') {
      // model parallel on the first FC (units `part`, bias and ReLU), then those units are this
      // device's input features of the second: a partial product, summed at the gateway
      const units = runFcPart('model', blockParts[0], fc.layout, fc.part, h, cache);
      h = runFcPart('data', blockParts[1], fc.second, fc.part, units, cache);
    } else if (fc) h = runFcPart(fc.mode, blockParts[blockParts.length - 1], fc.layout, fc.part, h, cache);
    return h;
  });
}

/** The rows a device needs, cut from the gateway's full block input. */
export function cutInput(defs: readonly LayerDef[], b: SiteBlock, d: number, full: tf.Tensor): tf.Tensor {
  const { inRows } = deviceTask(defs, b, d);
  if (inRows[0] === 0 && inRows[1] === rowsOf(defs[b.from - 1].inShape)) return tf.clone(full);
  const begin = full.shape.map((_, i) => (i === 1 ? inRows[0] : 0));
  const size = full.shape.map((s, i) => (i === 1 ? rowCount(inRows) : s));
  return tf.slice(full, begin, size);
}

/** The gateway's gather: concatenate rows (slice) or units (model), or sum partial products (data, hybrid). */
export function gather(parts: readonly LayerParts[], b: SiteBlock, outs: readonly (tf.Tensor | undefined)[]): tf.Tensor {
  const present = outs.filter((o, d): o is tf.Tensor => o !== undefined && rowCount(b.parts[d]) > 0);
  return tf.tidy(() => {
    if (b.mode === 'data' || b.mode === 'hybrid') {
      const { fc } = deviceTask(
        parts.map((p) => p.def),
        b,
        b.parts.findIndex((p) => rowCount(p) > 0),
      );
      if (!fc) throw new Error(`${b.mode} block without an FC layer`);
      return finishDataParallel(parts[b.to - 1], fc.mode === 'hybrid' ? fc.second : fc.layout, present as tf.Tensor2D[]);
    }
    return present.length === 1 ? tf.clone(present[0]) : tf.concat(present, 1);
  });
}

/** Runs a whole plan in this process, device after device: the reference the site's processes must match. */
export function runPlanLocally(parts: readonly LayerParts[], blocks: readonly SiteBlock[], x: tf.Tensor): tf.Tensor {
  const defs = parts.map((p) => p.def);
  let h = tf.clone(x);
  for (const b of blocks) {
    const outs = b.parts.map((p, d) => {
      if (rowCount(p) === 0) return undefined;
      const input = cutInput(defs, b, d, h);
      const out = runDeviceTask(parts, b, d, input);
      input.dispose();
      return out;
    });
    const next = gather(parts, b, outs);
    for (const o of outs) o?.dispose();
    h.dispose();
    h = next;
  }
  return h;
}
