/**
 * Runs a slice of a block on a device: the ops of each layer on the rows the slicing math says, with
 * the padding TensorFlow would have added done by hand (zeros for convs, -∞ for max-pools) so that a
 * 'valid' window over the prefetched rows gives exactly the full layer's rows. Also the FC parts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { convOutLength, type LayerDef, type OpSpec } from '../model/layer-builder.js';
import type { FcLayout } from './fc-modes.js';
import { padBefore, rowCount, type LayerSlice, type OpSlice, type Rows } from './slicing.js';

export interface LayerParts {
  readonly def: LayerDef;
  readonly weights: readonly tf.Tensor[];
}

function pointwise(op: OpSpec, x: tf.Tensor): tf.Tensor {
  if (op.type === 'relu') return tf.relu(x);
  if (op.type === 'scale') return op.scale === 1 ? x : tf.mul(x.dtype === 'float32' ? x : tf.cast(x, 'float32'), op.scale);
  throw new Error(`op ${op.type} is not elementwise`);
}

/** x holds rows `have` of the op's input; returns rows s.outRows of its output. */
function runOp(s: OpSlice, w: readonly tf.Tensor[], x: tf.Tensor4D, have: Rows): tf.Tensor4D {
  const take = (r: Rows): tf.Tensor4D => {
    if (r[0] < have[0] || r[1] > have[1]) throw new Error(`slice needs rows [${r[0]}, ${r[1]}) but holds [${have[0]}, ${have[1]})`);
    return r[0] === have[0] && r[1] === have[1] ? x : tf.slice(x, [0, r[0] - have[0], 0, 0], [-1, r[1] - r[0], -1, -1]);
  };
  const { op } = s;
  if (op.type === 'conv' || op.type === 'pool') {
    const [top, bottom] = s.padRows ?? [0, 0];
    const ow = convOutLength(s.inW, op.kernel, op.stride, op.padding);
    const left = padBefore(s.inW, op.kernel, op.stride, op.padding);
    const right = Math.max((ow - 1) * op.stride + op.kernel - s.inW - left, 0);
    const padded = tf.pad(
      take(s.inRows),
      [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      op.type === 'pool' ? -Infinity : 0,
    );
    if (op.type === 'pool') return tf.maxPool(padded, op.kernel, op.stride, 'valid');
    return tf.add(tf.conv2d(padded, w[op.kIdx] as tf.Tensor4D, op.stride, 'valid'), w[op.bIdx]);
  }
  if (op.type === 'residual') {
    const y = runOps(s.body ?? [], w, x, have);
    return tf.add(take(s.outRows), y);
  }
  return pointwise(op, take(s.inRows)) as tf.Tensor4D;
}

function runOps(ops: readonly OpSlice[], w: readonly tf.Tensor[], x: tf.Tensor4D, have: Rows): tf.Tensor4D {
  let y = x;
  let rows = have;
  for (const s of ops) {
    y = runOp(s, w, y, rows);
    rows = s.outRows;
  }
  return y;
}

/** Runs a sliced block on x = rows block[0].inRows of its input ([n, rows, W, C]); returns its output rows. */
export function runBlockSlice(layers: readonly LayerParts[], block: readonly LayerSlice[], x: tf.Tensor4D): tf.Tensor4D {
  if (layers.length !== block.length) throw new Error(`runBlockSlice: ${layers.length} layers for ${block.length} slices`);
  const want = rowCount(block[0].inRows);
  if (x.shape[1] !== want) {
    throw new Error(`slice shape mismatch: block ${block[0].name}… needs ${want} input rows [${block[0].inRows.join(', ')}), got ${x.shape[1]}`);
  }
  return tf.tidy(() => {
    let y = x;
    let rows = block[0].inRows;
    block.forEach((s, i) => {
      y = runOps(s.ops, layers[i].weights, y, rows);
      rows = s.outRows;
    });
    return y;
  });
}

/**
 * Slices of FC weights by part, kept across steps: slicing a 1M-float kernel on every step costs more
 * than the product itself (measured: 20–60 ms vs ~1 ms on the IMPALA deep FC). Clear it when the
 * weights change.
 */
export class WeightSlices {
  private readonly map = new Map<string, tf.Tensor>();

  get(w: tf.Tensor, begin: number[], size: number[]): tf.Tensor {
    if (begin.every((b) => b === 0) && size.every((s, i) => s === -1 || s === w.shape[i])) return w;
    const key = `${w.id}:${begin.join(',')}:${size.join(',')}`;
    let t = this.map.get(key);
    if (!t) {
      t = tf.keep(tf.slice(w, begin, size));
      this.map.set(key, t);
    }
    return t;
  }

  clear(): void {
    for (const t of this.map.values()) t.dispose();
    this.map.clear();
  }
}

/**
 * An FC part. data: x = [n, features part] (the pre ops already elementwise-safe) → partial sums
 * [n, units] without bias; model: x = [n, features] → units `part` with bias and post ops.
 */
export function runFcPart(mode: 'data' | 'model', parts: LayerParts, layout: FcLayout, part: Rows, x: tf.Tensor, cache = new WeightSlices()): tf.Tensor2D {
  return tf.tidy(() => {
    let h = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
    for (const op of layout.pre) h = pointwise(op, h) as tf.Tensor2D;
    const W = parts.weights[layout.kIdx] as tf.Tensor2D;
    const b = parts.weights[layout.bIdx] as tf.Tensor1D;
    const n = rowCount(part);
    if (mode === 'data') {
      if (h.shape[1] !== n) throw new Error(`slice shape mismatch: FC data part [${part.join(', ')}) needs ${n} features, got ${h.shape[1]}`);
      return tf.matMul(h, cache.get(W, [part[0], 0], [n, -1]) as tf.Tensor2D);
    }
    if (h.shape[1] !== layout.features) throw new Error(`slice shape mismatch: FC model part needs all ${layout.features} features, got ${h.shape[1]}`);
    let y = tf.add(tf.matMul(h, cache.get(W, [0, part[0]], [-1, n]) as tf.Tensor2D), cache.get(b, [part[0]], [n])) as tf.Tensor2D;
    for (const op of layout.post) y = pointwise(op, y) as tf.Tensor2D;
    return y;
  });
}

/** Gateway side of data parallelism: sum of partial products + bias, then the post ops. */
export function finishDataParallel(parts: LayerParts, layout: FcLayout, partials: readonly tf.Tensor2D[]): tf.Tensor2D {
  return tf.tidy(() => {
    let y = tf.add(tf.addN([...partials]), parts.weights[layout.bIdx]) as tf.Tensor2D;
    for (const op of layout.post) y = pointwise(op, y) as tf.Tensor2D;
    return y;
  });
}
