/**
 * Builds one splittable layer (the paper's l_k) out of primitive ops on explicit weights.
 *
 * A layer is a short pipeline of conv / dense / relu / pool / residual ops. The builder tracks the
 * per-sample shape as ops are added, so each layer knows its output shape and its FLOPs without
 * running anything, and it records the parameter shapes in the order `apply` consumes them.
 *
 * FLOPs convention (used everywhere in Coknight): 2 × multiply-accumulates of the forward pass of
 * convolutions and dense layers, for one sample. Bias adds, ReLUs, max-pools, residual adds and the
 * input scaling are counted as 0 (they are < 2% of every network here).
 */
import * as tf from '@tensorflow/tfjs-core';
import { convRelu, denseRelu } from '../backend/relu-ops.js';

export type Padding = 'valid' | 'same';

/** One parameter tensor of a layer: shape plus what the initialiser needs. */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly kind: 'kernel' | 'bias';
  readonly fanIn: number;
  readonly fanOut: number;
  /** Multiplier on the Glorot-uniform limit (e.g. 0.01 for the policy logits: near-uniform start). */
  readonly gain: number;
}

/** A built layer: static description plus a forward function of its weights. */
export interface LayerDef {
  readonly name: string;
  /** Per-sample input shape ([H, W, C] or [F]). */
  readonly inShape: readonly number[];
  /** Per-sample output shape. */
  readonly outShape: readonly number[];
  readonly flops: number;
  readonly params: readonly ParamSpec[];
  /** The same pipeline as data, for other runtimes (the ONNX export); indices point into `params`. */
  readonly graph: readonly OpDesc[];
  /** The ops `apply` runs, in order (see OpSpec). */
  readonly ops: readonly OpSpec[];
  /** Forward pass on a batch; `w` holds one tensor per entry of `params`, in order. */
  apply(x: tf.Tensor, w: readonly tf.Tensor[]): tf.Tensor;
}

/** One op of a layer as data; conv/pool carry their per-sample NHWC input shape for padding. */
export type OpDesc =
  | { readonly op: 'scale'; readonly scale: number }
  | {
      readonly op: 'conv';
      readonly kernel: number;
      readonly bias: number;
      readonly size: number;
      readonly stride: number;
      readonly padding: Padding;
      readonly inShape: readonly number[];
    }
  | { readonly op: 'dense'; readonly kernel: number; readonly bias: number; readonly inShape: readonly number[] }
  | { readonly op: 'relu' }
  | { readonly op: 'maxPool'; readonly size: number; readonly stride: number; readonly padding: Padding; readonly inShape: readonly number[] }
  | { readonly op: 'flatten'; readonly inShape: readonly number[] }
  | { readonly op: 'residual'; readonly body: readonly OpDesc[] };

type Op = (x: tf.Tensor, w: readonly tf.Tensor[]) => tf.Tensor;

/**
 * What an op is, for code that must re-run a layer on part of its input (cooperative inference
 * slices a layer by height and pads itself). Weight indices point into the layer's `params`.
 */
export type OpSpec =
  | { readonly type: 'scale'; readonly scale: number }
  | { readonly type: 'conv'; readonly kernel: number; readonly stride: number; readonly padding: Padding; readonly kIdx: number; readonly bIdx: number }
  | { readonly type: 'pool'; readonly kernel: number; readonly stride: number; readonly padding: Padding }
  | { readonly type: 'relu' }
  | { readonly type: 'flatten' }
  | { readonly type: 'dense'; readonly kIdx: number; readonly bIdx: number }
  | { readonly type: 'residual'; readonly body: readonly OpSpec[] };

/** The coop slicer's view of an op (OpSpec), derived from the one op list the builder keeps. */
export function toOpSpec(d: OpDesc): OpSpec {
  switch (d.op) {
    case 'scale':
      return { type: 'scale', scale: d.scale };
    case 'conv':
      return { type: 'conv', kernel: d.size, stride: d.stride, padding: d.padding, kIdx: d.kernel, bIdx: d.bias };
    case 'dense':
      return { type: 'dense', kIdx: d.kernel, bIdx: d.bias };
    case 'relu':
      return { type: 'relu' };
    case 'maxPool':
      return { type: 'pool', kernel: d.size, stride: d.stride, padding: d.padding };
    case 'flatten':
      return { type: 'flatten' };
    case 'residual':
      return { type: 'residual', body: d.body.map(toOpSpec) };
  }
}

/** Output length of a conv/pool along one axis, with TensorFlow's padding rules. */
export function convOutLength(inLen: number, kernel: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(inLen / stride) : Math.floor((inLen - kernel) / stride) + 1;
}

export class LayerBuilder {
  private shape: number[];
  private flopCount = 0;
  private readonly paramList: ParamSpec[] = [];
  private readonly ops: Op[] = [];
  private readonly descs: OpDesc[] = [];
  /** An input scale not yet applied: the next conv folds it into its (small) kernel. */
  private pendingScale = 1;
  /**
   * The conv or dense op just pushed, as one fused op with the ReLU (bias and activation in the
   * kernel: one pass instead of three, and the native/wasm backends fuse it into the sgemm; in
   * training too, see backend/relu-ops.ts); relu() takes it when it directly follows. Same
   * function, so the ONNX graph keeps its separate Relu.
   */
  private withRelu: { index: number; op: Op } | null = null;

  constructor(
    readonly name: string,
    private readonly inShape: readonly number[],
  ) {
    this.shape = [...inShape];
  }

  /**
   * Cast to float32 and multiply by `scale` (uint8 observations → network input). A conv right
   * after takes the scale into its kernel instead — conv(s·x, W) = conv(x, s·W) — which scales a
   * few thousand weights rather than every input pixel (4% of an IMPALA training step).
   */
  inputScale(scale: number): this {
    this.ops.push((x) => (x.dtype === 'float32' ? x : tf.cast(x, 'float32')));
    this.pendingScale *= scale;
    // The ONNX graph keeps the scale as its own Mul: the same function, folded or not.
    this.descs.push({ op: 'scale', scale });
    return this;
  }

  /** Applies a pending input scale as its own op (before any op that cannot fold it). */
  private flushScale(): void {
    const scale = this.pendingScale;
    this.pendingScale = 1;
    if (scale !== 1) this.ops.push((x) => tf.mul(x, scale));
  }

  conv(tag: string, filters: number, kernel: number, stride: number, padding: Padding): this {
    const [h, w, c] = this.requireRank(3, 'conv');
    const scale = this.pendingScale;
    this.pendingScale = 1;
    const oh = convOutLength(h, kernel, stride, padding);
    const ow = convOutLength(w, kernel, stride, padding);
    this.requirePositive(oh, ow, `conv ${tag} (${kernel}×${kernel}/${stride} ${padding})`);
    const kIdx = this.addParam(`${tag}.kernel`, [kernel, kernel, c, filters], 'kernel', kernel * kernel * c, kernel * kernel * filters);
    const bIdx = this.addParam(`${tag}.bias`, [filters], 'bias', 0, 0);
    const scaled = (w: readonly tf.Tensor[]): tf.Tensor4D => (scale === 1 ? w[kIdx] : tf.mul(w[kIdx], scale)) as tf.Tensor4D;
    this.ops.push((x, w) => tf.add(tf.conv2d(x as tf.Tensor4D, scaled(w), stride, padding), w[bIdx]));
    this.withRelu = {
      index: this.ops.length - 1,
      op: (x, w) => convRelu(x as tf.Tensor4D, scaled(w), w[bIdx]!, stride, padding),
    };
    this.descs.push({ op: 'conv', kernel: kIdx, bias: bIdx, size: kernel, stride, padding, inShape: [h, w, c] });
    this.flopCount += 2 * oh * ow * filters * kernel * kernel * c;
    this.shape = [oh, ow, filters];
    return this;
  }

  dense(tag: string, units: number, gain = 1): this {
    this.flushScale();
    const [f] = this.requireRank(1, 'dense');
    const kIdx = this.addParam(`${tag}.kernel`, [f, units], 'kernel', f, units, gain);
    const bIdx = this.addParam(`${tag}.bias`, [units], 'bias', 0, 0);
    this.ops.push((x, w) => tf.add(tf.matMul(x as tf.Tensor2D, w[kIdx] as tf.Tensor2D), w[bIdx]));
    this.withRelu = {
      index: this.ops.length - 1,
      op: (x, w) => denseRelu(x as tf.Tensor2D, w[kIdx] as tf.Tensor2D, w[bIdx]!),
    };
    this.descs.push({ op: 'dense', kernel: kIdx, bias: bIdx, inShape: [f] });
    this.flopCount += 2 * f * units;
    this.shape = [units];
    return this;
  }

  relu(): this {
    this.flushScale();
    const fusable = this.withRelu;
    this.withRelu = null;
    if (fusable != null && fusable.index === this.ops.length - 1) this.ops[fusable.index] = fusable.op;
    else this.ops.push((x) => tf.relu(x));
    this.descs.push({ op: 'relu' });
    return this;
  }

  maxPool(size: number, stride: number, padding: Padding): this {
    this.flushScale();
    const [h, w, c] = this.requireRank(3, 'maxPool');
    const oh = convOutLength(h, size, stride, padding);
    const ow = convOutLength(w, size, stride, padding);
    this.requirePositive(oh, ow, `maxPool ${size}×${size}/${stride}`);
    this.ops.push((x) => tf.maxPool(x as tf.Tensor4D, size, stride, padding));
    this.descs.push({ op: 'maxPool', size, stride, padding, inShape: [h, w, c] });
    this.shape = [oh, ow, c];
    return this;
  }

  flatten(): this {
    this.flushScale();
    const size = this.shape.reduce((a, b) => a * b, 1);
    this.ops.push((x) => tf.reshape(x, [x.shape[0], size]));
    this.descs.push({ op: 'flatten', inShape: [...this.shape] });
    this.shape = [size];
    return this;
  }

  /** y = x + body(x); the body must keep the shape. */
  residual(body: (b: LayerBuilder) => void): this {
    this.flushScale();
    const inner = new LayerBuilder(this.name, this.shape);
    body(inner);
    if (inner.shape.join('x') !== this.shape.join('x')) {
      throw new Error(`${this.name}: residual body changes shape ${this.shape.join('x')} → ${inner.shape.join('x')}`);
    }
    const offset = this.paramList.length;
    this.paramList.push(...inner.paramList);
    this.flopCount += inner.flopCount;
    const innerOps = inner.ops;
    const count = inner.paramList.length;
    this.ops.push((x, w) => {
      const sub = w.slice(offset, offset + count);
      let y = x;
      for (const op of innerOps) y = op(y, sub);
      return tf.add(x, y);
    });
    this.descs.push({ op: 'residual', body: inner.descs.map((d) => shiftParams(d, offset)) });
    return this;
  }

  /** Read the per-sample shape so far (for builders that chain layers). */
  get currentShape(): readonly number[] {
    return this.shape;
  }

  build(): LayerDef {
    this.flushScale();
    const ops = [...this.ops];
    const graph = [...this.descs];
    const params = [...this.paramList];
    const expected = params.length;
    const name = this.name;
    return {
      name,
      inShape: [...this.inShape],
      outShape: [...this.shape],
      flops: this.flopCount,
      params,
      graph,
      ops: graph.map(toOpSpec),
      apply(x, w) {
        if (w.length !== expected) throw new Error(`layer ${name}: expected ${expected} weight tensors, got ${w.length}`);
        let y = x;
        for (const op of ops) y = op(y, w);
        return y;
      },
    };
  }

  private addParam(tag: string, shape: number[], kind: 'kernel' | 'bias', fanIn: number, fanOut: number, gain = 1): number {
    this.paramList.push({ name: tag, shape, kind, fanIn, fanOut, gain });
    return this.paramList.length - 1;
  }

  private requireRank(rank: number, op: string): number[] {
    if (this.shape.length !== rank) {
      throw new Error(`layer ${this.name}: ${op} needs a rank-${rank} input per sample, got shape [${this.shape.join(', ')}]`);
    }
    return this.shape;
  }

  private requirePositive(h: number, w: number, what: string): void {
    if (h < 1 || w < 1) {
      throw new Error(`layer ${this.name}: ${what} on ${this.shape.join('×')} gives an empty ${h}×${w} output; use a larger inputShape`);
    }
  }
}

/** A residual body's op with its parameter indices moved to where the body's params sit in the layer. */
function shiftParams(d: OpDesc, offset: number): OpDesc {
  if (d.op === 'conv' || d.op === 'dense') return { ...d, kernel: d.kernel + offset, bias: d.bias + offset };
  if (d.op === 'residual') return { ...d, body: d.body.map((b) => shiftParams(b, offset)) };
  return d;
}
