/**
 * Height-wise slicing of conv/pool layers with prefetched halo rows (CoopAI §II-A, DistrEdge's
 * Vertical-Splitting Law): for the output rows a slice must produce, the input rows it needs at every
 * op of a block of layers, so that a device computes its whole grid without exchanging data
 * mid-block. Rows are half-open ranges [start, end). Pure functions of the layers' geometry.
 */
import { convOutLength, type LayerDef, type OpSpec, type Padding } from '../model/layer-builder.js';

export type Rows = readonly [start: number, end: number];

export const rowCount = (r: Rows): number => Math.max(0, r[1] - r[0]);

/** Rows TensorFlow pads above the input for a k/s window ('same': half the total, rounded down). */
export function padBefore(inLen: number, kernel: number, stride: number, padding: Padding): number {
  if (padding === 'valid') return 0;
  const out = convOutLength(inLen, kernel, stride, padding);
  return Math.floor(Math.max((out - 1) * stride + kernel - inLen, 0) / 2);
}

/** Input rows (unclipped: negative or ≥ H are padding) that output rows `out` of a window op read. */
export function windowInputRows(out: Rows, kernel: number, stride: number, padTop: number): Rows {
  if (rowCount(out) === 0) return [0, 0];
  return [out[0] * stride - padTop, (out[1] - 1) * stride - padTop + kernel];
}

const clip = (r: Rows, h: number): Rows => [Math.max(0, r[0]), Math.min(h, r[1])];
const union = (a: Rows, b: Rows): Rows => (rowCount(a) === 0 ? b : rowCount(b) === 0 ? a : [Math.min(a[0], b[0]), Math.max(a[1], b[1])]);

/** One op of a sliced layer: its input height/width, the rows it reads (clipped) and produces. */
export interface OpSlice {
  readonly op: OpSpec;
  readonly inH: number;
  readonly inW: number;
  readonly inRows: Rows;
  readonly outRows: Rows;
  /** For a window op: rows of padding to add above / below the clipped input. */
  readonly padRows?: readonly [top: number, bottom: number];
  /** For a residual: the slice of its body. */
  readonly body?: readonly OpSlice[];
  /** FLOPs of this op on the slice, one sample (conv: 2 × MACs of the produced rows). */
  readonly flops: number;
}

export interface LayerSlice {
  readonly name: string;
  readonly inRows: Rows;
  readonly outRows: Rows;
  readonly ops: readonly OpSlice[];
  readonly flops: number;
}

function isSpatial(op: OpSpec): boolean {
  return op.type !== 'flatten' && op.type !== 'dense';
}

/** Whether every op of the layer keeps the [H, W, C] layout (conv / pool / relu / residual). */
export function isSpatialLayer(def: LayerDef): boolean {
  return def.inShape.length === 3 && def.ops.every(isSpatial);
}

function sliceOps(ops: readonly OpSpec[], def: LayerDef, inH: number, inW: number, inC: number, out: Rows): { inRows: Rows; slices: OpSlice[] } {
  const dims: [number, number, number][] = [];
  let [h, w, c] = [inH, inW, inC];
  for (const op of ops) {
    dims.push([h, w, c]);
    if (op.type === 'conv') {
      c = def.params[op.kIdx].shape[3];
      [h, w] = [convOutLength(h, op.kernel, op.stride, op.padding), convOutLength(w, op.kernel, op.stride, op.padding)];
    } else if (op.type === 'pool') {
      [h, w] = [convOutLength(h, op.kernel, op.stride, op.padding), convOutLength(w, op.kernel, op.stride, op.padding)];
    } else if (!isSpatial(op)) throw new Error(`layer ${def.name}: a ${op.type} op cannot be sliced by height (use an FC mode)`);
  }
  if (out[0] < 0 || out[1] > h || out[0] > out[1]) {
    throw new RangeError(`layer ${def.name}: output rows [${out[0]}, ${out[1]}) are outside its ${h} rows`);
  }
  const slices: OpSlice[] = [];
  let want = out;
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i];
    const [ih, iw, ic] = dims[i];
    if (op.type === 'conv' || op.type === 'pool') {
      const raw = windowInputRows(want, op.kernel, op.stride, padBefore(ih, op.kernel, op.stride, op.padding));
      const inRows = clip(raw, ih);
      const padRows = rowCount(want) === 0 ? ([0, 0] as const) : ([inRows[0] - raw[0], raw[1] - inRows[1]] as const);
      const ow = convOutLength(iw, op.kernel, op.stride, op.padding);
      const flops = op.type === 'conv' ? 2 * rowCount(want) * ow * def.params[op.kIdx].shape[3] * op.kernel * op.kernel * ic : 0;
      slices.unshift({ op, inH: ih, inW: iw, inRows, outRows: want, padRows, flops });
      want = inRows;
    } else if (op.type === 'residual') {
      const body = sliceOps(op.body, def, ih, iw, ic, want);
      const inRows = union(body.inRows, want);
      slices.unshift({ op, inH: ih, inW: iw, inRows, outRows: want, body: body.slices, flops: sumFlops(body.slices) });
      want = inRows;
    } else {
      slices.unshift({ op, inH: ih, inW: iw, inRows: want, outRows: want, flops: 0 });
    }
  }
  return { inRows: want, slices };
}

const sumFlops = (s: readonly OpSlice[]): number => s.reduce((a, o) => a + o.flops, 0);

/** The slice of one spatial layer that produces output rows `out`. */
export function sliceLayer(def: LayerDef, out: Rows): LayerSlice {
  if (!isSpatialLayer(def)) throw new Error(`layer ${def.name} is not a conv/pool layer; slice FC layers by data/model parallelism`);
  const [h, w, c] = def.inShape;
  const { inRows, slices } = sliceOps(def.ops, def, h, w, c, out);
  return { name: def.name, inRows, outRows: out, ops: slices, flops: sumFlops(slices) };
}

/** A block of consecutive spatial layers, sliced from its last layer's rows `out` back to its input. */
export function sliceBlock(defs: readonly LayerDef[], out: Rows): LayerSlice[] {
  const layers: LayerSlice[] = [];
  let want = out;
  for (let i = defs.length - 1; i >= 0; i--) {
    const s = sliceLayer(defs[i], want);
    layers.unshift(s);
    want = s.inRows;
  }
  return layers;
}

/**
 * Output rows per device from shares (any non-negative weights): contiguous, in device order, rounded
 * by cumulative share so the counts add up to `h`. A device with share 0 gets no rows.
 */
export function splitRows(h: number, shares: readonly number[]): Rows[] {
  const total = shares.reduce((a, b) => a + b, 0);
  if (!(total > 0) || shares.some((s) => !(s >= 0))) throw new RangeError(`splitRows: shares must be ≥ 0 with a positive sum, got [${shares.join(', ')}]`);
  let acc = 0;
  let start = 0;
  return shares.map((s) => {
    acc += s;
    const end = Math.round((h * acc) / total);
    const r: Rows = [start, end];
    start = end;
    return r;
  });
}

/** DistrEdge's split decision: cut points x_1 ≤ … ≤ x_{|D|-1} on the height → the rows of each device. */
export function rowsFromCuts(h: number, cuts: readonly number[]): Rows[] {
  const xs = [0, ...cuts.map((x) => Math.min(h, Math.max(0, Math.round(x)))), h];
  for (let i = 1; i < xs.length; i++) if (xs[i] < xs[i - 1]) throw new RangeError(`rowsFromCuts: cuts must be non-decreasing, got [${cuts.join(', ')}]`);
  return xs.slice(1).map((end, i) => [xs[i], end] as const);
}
