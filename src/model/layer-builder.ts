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
  /** The ops `apply` runs, in order (see OpSpec). */
  readonly ops: readonly OpSpec[];
  /** Forward pass on a batch; `w` holds one tensor per entry of `params`, in order. */
  apply(x: tf.Tensor, w: readonly tf.Tensor[]): tf.Tensor;
}

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

/** Output length of a conv/pool along one axis, with TensorFlow's padding rules. */
export function convOutLength(inLen: number, kernel: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(inLen / stride) : Math.floor((inLen - kernel) / stride) + 1;
}

export class LayerBuilder {
  private shape: number[];
  private flopCount = 0;
  private readonly paramList: ParamSpec[] = [];
  private readonly ops: Op[] = [];
  private readonly specs: OpSpec[] = [];

  constructor(
    readonly name: string,
    private readonly inShape: readonly number[],
  ) {
    this.shape = [...inShape];
  }

  /** Cast to float32 and multiply by `scale` (uint8 observations → network input). */
  inputScale(scale: number): this {
    this.ops.push((x) => {
      const f = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
      return scale === 1 ? f : tf.mul(f, scale);
    });
    this.specs.push({ type: 'scale', scale });
    return this;
  }

  conv(tag: string, filters: number, kernel: number, stride: number, padding: Padding): this {
    const [h, w, c] = this.requireRank(3, 'conv');
    const oh = convOutLength(h, kernel, stride, padding);
    const ow = convOutLength(w, kernel, stride, padding);
    this.requirePositive(oh, ow, `conv ${tag} (${kernel}×${kernel}/${stride} ${padding})`);
    const kIdx = this.addParam(`${tag}.kernel`, [kernel, kernel, c, filters], 'kernel', kernel * kernel * c, kernel * kernel * filters);
    const bIdx = this.addParam(`${tag}.bias`, [filters], 'bias', 0, 0);
    this.ops.push((x, w) => tf.add(tf.conv2d(x as tf.Tensor4D, w[kIdx] as tf.Tensor4D, stride, padding), w[bIdx]));
    this.specs.push({ type: 'conv', kernel, stride, padding, kIdx, bIdx });
    this.flopCount += 2 * oh * ow * filters * kernel * kernel * c;
    this.shape = [oh, ow, filters];
    return this;
  }

  dense(tag: string, units: number, gain = 1): this {
    const [f] = this.requireRank(1, 'dense');
    const kIdx = this.addParam(`${tag}.kernel`, [f, units], 'kernel', f, units, gain);
    const bIdx = this.addParam(`${tag}.bias`, [units], 'bias', 0, 0);
    this.ops.push((x, w) => tf.add(tf.matMul(x as tf.Tensor2D, w[kIdx] as tf.Tensor2D), w[bIdx]));
    this.specs.push({ type: 'dense', kIdx, bIdx });
    this.flopCount += 2 * f * units;
    this.shape = [units];
    return this;
  }

  relu(): this {
    this.ops.push((x) => tf.relu(x));
    this.specs.push({ type: 'relu' });
    return this;
  }

  maxPool(size: number, stride: number, padding: Padding): this {
    const [h, w, c] = this.requireRank(3, 'maxPool');
    const oh = convOutLength(h, size, stride, padding);
    const ow = convOutLength(w, size, stride, padding);
    this.requirePositive(oh, ow, `maxPool ${size}×${size}/${stride}`);
    this.ops.push((x) => tf.maxPool(x as tf.Tensor4D, size, stride, padding));
    this.specs.push({ type: 'pool', kernel: size, stride, padding });
    this.shape = [oh, ow, c];
    return this;
  }

  flatten(): this {
    const size = this.shape.reduce((a, b) => a * b, 1);
    this.ops.push((x) => tf.reshape(x, [x.shape[0], size]));
    this.specs.push({ type: 'flatten' });
    this.shape = [size];
    return this;
  }

  /** y = x + body(x); the body must keep the shape. */
  residual(body: (b: LayerBuilder) => void): this {
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
    this.specs.push({ type: 'residual', body: inner.specs.map((o) => shiftIndices(o, offset)) });
    this.ops.push((x, w) => {
      const sub = w.slice(offset, offset + count);
      let y = x;
      for (const op of innerOps) y = op(y, sub);
      return tf.add(x, y);
    });
    return this;
  }

  /** Read the per-sample shape so far (for builders that chain layers). */
  get currentShape(): readonly number[] {
    return this.shape;
  }

  build(): LayerDef {
    const ops = [...this.ops];
    const specs = [...this.specs];
    const params = [...this.paramList];
    const expected = params.length;
    const name = this.name;
    return {
      name,
      inShape: [...this.inShape],
      outShape: [...this.shape],
      flops: this.flopCount,
      params,
      ops: specs,
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

function shiftIndices(o: OpSpec, by: number): OpSpec {
  if (o.type === 'conv' || o.type === 'dense') return { ...o, kIdx: o.kIdx + by, bIdx: o.bIdx + by };
  if (o.type === 'residual') return { type: 'residual', body: o.body.map((b) => shiftIndices(b, by)) };
  return o;
}
