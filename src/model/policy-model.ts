/**
 * The splittable policy network: K layers l_1..l_K on explicit tf.Variables, plus policy and value
 * heads that belong to layer K. `head(x, y)` runs l_1..l_y (on an actor), `tail(h, y)` runs
 * l_{y+1}..l_K and the heads (on the learner); head then tail equals `forward` for every y in 0..K.
 *
 * Sizes: b_0 = the raw observation as uint8 (H·W·C bytes); b_k (k ≥ 1) = 4 bytes × floats of layer
 * k's output for one sample. FLOPs c_k follow the convention in layer-builder.ts (2 × MACs); c_K
 * includes the two heads.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng.js';
import type { LayerDef, ParamSpec } from './layer-builder.js';
import { buildTrunk, NETWORK_SPECS, type NetworkSpec } from './networks.js';
import { decodeLayerWeights, encodeLayerWeights, fnv1a32, type EncodedTensor } from './weights-codec.js';

export interface LayerInfo {
  /** 1-based index k. */
  readonly index: number;
  readonly name: string;
  /** c_k: forward FLOPs for one sample (2 × MACs; layer K includes the heads). */
  readonly flops: number;
  /** Per-sample output shape of the layer (the activation an actor would send). */
  readonly outShape: readonly number[];
  /** b_k: bytes of that activation as float32. */
  readonly outBytes: number;
  /** Number of parameters (floats) stored with this layer. */
  readonly paramCount: number;
}

export interface ModelOptions {
  readonly inputShape: readonly [number, number, number];
  readonly numActions: number;
  readonly seed?: number;
}

export interface PolicyOutput {
  /** [N, A] unnormalised log-probabilities. */
  readonly logits: tf.Tensor2D;
  /** [N] state values. */
  readonly value: tf.Tensor1D;
}

/** Multiplier on the Glorot limit of the policy-logits kernel: start from a near-uniform policy. */
const POLICY_GAIN = 0.01;

export class PolicyModel {
  readonly K: number;
  readonly layers: readonly LayerInfo[];
  /** b_0: bytes of one raw uint8 observation. */
  readonly inputBytes: number;
  /** Parameter version (the learner's update count); travels with serialised weights. */
  version = 0;
  /** Hash of spec, input shape and action count, checked when weights are loaded. */
  readonly signature: number;

  private readonly defs: readonly LayerDef[];
  private readonly specsPerLayer: readonly (readonly ParamSpec[])[];
  private readonly vars: readonly (readonly tf.Variable[])[];
  private readonly inputScaleValue: number;
  /** Per layer: bumped whenever its weights change, so other runtimes know when to re-read them. */
  private readonly epochs: number[];

  constructor(
    readonly spec: NetworkSpec,
    readonly inputShape: readonly [number, number, number],
    readonly numActions: number,
    seed = 0,
  ) {
    const trunk = buildTrunk(spec, inputShape);
    this.defs = trunk.layers;
    this.inputScaleValue = trunk.inputScale;
    this.K = this.defs.length;
    const last = this.defs[this.K - 1];
    const features = last.outShape[0];
    const headSpecs: ParamSpec[] = [
      { name: 'policy.kernel', shape: [features, numActions], kind: 'kernel', fanIn: features, fanOut: numActions, gain: POLICY_GAIN },
      { name: 'policy.bias', shape: [numActions], kind: 'bias', fanIn: 0, fanOut: 0, gain: 1 },
      { name: 'value.kernel', shape: [features, 1], kind: 'kernel', fanIn: features, fanOut: 1, gain: 1 },
      { name: 'value.bias', shape: [1], kind: 'bias', fanIn: 0, fanOut: 0, gain: 1 },
    ];
    const headFlops = 2 * features * (numActions + 1);
    this.specsPerLayer = this.defs.map((d, i) => (i === this.K - 1 ? [...d.params, ...headSpecs] : d.params));

    const rng = new Rng(seed);
    this.vars = this.specsPerLayer.map((specs) =>
      specs.map((p) => {
        const init = initialValue(p, rng);
        const v = tf.variable(init, true);
        init.dispose();
        return v;
      }),
    );
    this.epochs = this.defs.map(() => 0);
    this.inputBytes = inputShape[0] * inputShape[1] * inputShape[2];
    this.layers = this.defs.map((d, i) => ({
      index: i + 1,
      name: d.name,
      flops: d.flops + (i === this.K - 1 ? headFlops : 0),
      outShape: d.outShape,
      outBytes: 4 * d.outShape.reduce((a, b) => a * b, 1),
      paramCount: this.specsPerLayer[i].reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0),
    }));
    this.signature = fnv1a32(`${spec}|${inputShape.join('x')}|${numActions}`);
  }

  /** b_k for k in 0..K (b_0 = input bytes). */
  outBytes(k: number): number {
    this.checkSplit(k, 'outBytes');
    return k === 0 ? this.inputBytes : this.layers[k - 1].outBytes;
  }

  /** The multiplier turning a raw uint8 observation into network input (1 or 1/255). */
  get inputScale(): number {
    return this.inputScaleValue;
  }

  /** uint8 observations → float32 network input, as applied inside layer 1. */
  inputTransform(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const f = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
      return this.inputScaleValue === 1 ? f : tf.mul(f, this.inputScaleValue);
    });
  }

  /** Raw observations (uint8, [n, H, W, C] row-major) as a float32 tensor of the same values. */
  observationTensor(obs: Uint8Array, n: number): tf.Tensor4D {
    const [h, w, c] = this.inputShape;
    if (obs.length !== n * h * w * c) {
      throw new Error(`observationTensor: expected ${n}×${h}×${w}×${c} = ${n * h * w * c} bytes, got ${obs.length}`);
    }
    return tf.tensor4d(Float32Array.from(obs), [n, h, w, c]);
  }

  /** Run l_1..l_y on raw observations x [N, H, W, C]; always a new tensor (y = 0: a copy of x). */
  head(x: tf.Tensor, y: number): tf.Tensor {
    this.checkSplit(y, 'head');
    this.checkInput(x, 0);
    return tf.tidy(() => (y === 0 ? tf.clone(x) : this.runLayers(x, 0, y)));
  }

  /**
   * The tensor `tail(·, y)` expects, from n samples' activations as sent by an actor: raw uint8
   * observations for y = 0, float32 layer-y outputs otherwise.
   */
  activationTensor(data: Uint8Array | Float32Array, n: number, y: number): tf.Tensor {
    this.checkSplit(y, 'activationTensor');
    const shape = y === 0 ? this.inputShape : this.defs[y - 1].outShape;
    const size = n * shape.reduce((a, b) => a * b, 1);
    const want = y === 0 ? 'Uint8Array' : 'Float32Array';
    if ((y === 0) !== data instanceof Uint8Array || data.length !== size) {
      throw new Error(
        `activationTensor: split ${y} of ${this.spec} needs a ${want} of ${n}×${shape.join('×')} = ${size} values, ` +
          `got a ${data.constructor.name} of ${data.length}`,
      );
    }
    return tf.tensor(y === 0 ? Float32Array.from(data) : data, [n, ...shape], 'float32');
  }

  /** Run l_{y+1}..l_K and the heads on h = head(x, y). */
  tail(h: tf.Tensor, y: number): PolicyOutput {
    this.checkSplit(y, 'tail');
    this.checkInput(h, y);
    return tf.tidy(() => {
      const feat = this.runLayers(h, y, this.K);
      const w = this.vars[this.K - 1];
      const n = w.length;
      const lg = tf.add(tf.matMul(feat as tf.Tensor2D, w[n - 4]), w[n - 3]) as tf.Tensor2D;
      const v = tf.reshape(tf.add(tf.matMul(feat as tf.Tensor2D, w[n - 2]), w[n - 1]), [-1]) as tf.Tensor1D;
      return { logits: lg, value: v };
    });
  }

  forward(x: tf.Tensor): PolicyOutput {
    return this.tail(x, 0);
  }

  /** Variables of layer k (1-based), in serialisation order; layer K ends with the heads. */
  layerVariables(k: number): readonly tf.Variable[] {
    this.checkLayer(k, 'layerVariables');
    return this.vars[k - 1];
  }

  /** Layer k's (1-based) ops and parameter specs; layer K's specs end with the four head tensors. */
  layerDef(k: number): { readonly def: LayerDef; readonly params: readonly ParamSpec[] } {
    this.checkLayer(k, 'layerDef');
    return { def: this.defs[k - 1], params: this.specsPerLayer[k - 1] };
  }

  /** Changes whenever layer k's weights change (setLayerWeights, markUpdated). */
  paramsEpoch(k: number): number {
    this.checkLayer(k, 'paramsEpoch');
    return this.epochs[k - 1];
  }

  /** Whoever changes variables directly (an optimizer step) says so here. */
  markUpdated(from = 1, to = this.K): void {
    this.checkRange(from, to);
    for (let k = from; k <= to; k++) this.epochs[k - 1]++;
  }

  /** All trainable variables, layer by layer. */
  get variables(): tf.Variable[] {
    return this.vars.flat();
  }

  /** Stable names of `variables`, same order: 'L<k>.<param>' (tfjs's own names are process-global counters). */
  get variableNames(): string[] {
    return this.specsPerLayer.flatMap((specs, i) => specs.map((p) => `L${i + 1}.${p.name}`));
  }

  /**
   * Serialise layers from..to (1-based, inclusive) with the current `version`. Async: a GPU backend
   * reads back only asynchronously, so every variable comes back in one read.
   */
  async getLayerWeights(from = 1, to = this.K): Promise<Uint8Array> {
    this.checkRange(from, to);
    const version = this.version;
    const vars = this.vars.slice(from - 1, to).flatMap((layer, i) => layer.map((v) => ({ layer: from + i, v })));
    let host: Float32Array = new Float32Array(0);
    if (vars.length > 0) {
      const flat = tf.tidy(() => tf.concat(vars.map(({ v }) => tf.reshape(v, [-1]))));
      try {
        host = (await flat.data()) as Float32Array;
      } finally {
        flat.dispose();
      }
    }
    const tensors: EncodedTensor[] = [];
    let o = 0;
    for (const { layer, v } of vars) {
      tensors.push({ layer, shape: v.shape, data: host.subarray(o, o + v.size) });
      o += v.size;
    }
    return encodeLayerWeights({ version, signature: this.signature, from, to, tensors });
  }

  /** Load a blob from getLayerWeights (of a model with the same spec); sets `version` from it. */
  setLayerWeights(bytes: Uint8Array): { from: number; to: number; version: number } {
    const p = decodeLayerWeights(bytes);
    if (p.signature !== this.signature) {
      throw new Error(
        `setLayerWeights: blob is for a different network (signature ${p.signature}, this ${this.spec} ` +
          `${this.inputShape.join('x')} with ${this.numActions} actions has ${this.signature}); ` +
          'create the model with the same spec, inputShape and numActions as the sender',
      );
    }
    this.checkRange(p.from, p.to);
    const expected: { k: number; v: tf.Variable }[] = [];
    for (let k = p.from; k <= p.to; k++) for (const v of this.vars[k - 1]) expected.push({ k, v });
    if (expected.length !== p.tensors.length) {
      throw new Error(`setLayerWeights: blob has ${p.tensors.length} tensors for layers ${p.from}..${p.to}, model expects ${expected.length}`);
    }
    expected.forEach(({ k, v }, i) => {
      const t = p.tensors[i];
      if (t.layer !== k || t.shape.join('x') !== v.shape.join('x')) {
        throw new Error(`setLayerWeights: tensor ${i} is layer ${t.layer} [${t.shape.join(', ')}], expected layer ${k} [${v.shape.join(', ')}]`);
      }
    });
    expected.forEach(({ v }, i) => {
      const t = p.tensors[i];
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape as number[], 'float32')));
    });
    this.version = p.version;
    this.markUpdated(p.from, p.to);
    return { from: p.from, to: p.to, version: p.version };
  }

  /** Layer k's definition and its own weights (no head weights), for code that re-runs parts of it. */
  layerParts(k: number): { readonly def: LayerDef; readonly weights: readonly tf.Tensor[] } {
    this.checkLayer(k, 'layerParts');
    const def = this.defs[k - 1];
    return { def, weights: this.vars[k - 1].slice(0, def.params.length) };
  }

  dispose(): void {
    for (const layer of this.vars) for (const v of layer) v.dispose();
  }

  private runLayers(x: tf.Tensor, from: number, to: number): tf.Tensor {
    let h = x;
    for (let k = from; k < to; k++) {
      const def = this.defs[k];
      const w = this.vars[k];
      // layer K also stores the head weights after its own; the trunk op takes only its own
      h = def.apply(h, w.length === def.params.length ? w : w.slice(0, def.params.length));
    }
    return h;
  }

  private checkSplit(y: number, where: string): void {
    if (!Number.isInteger(y) || y < 0 || y > this.K) {
      throw new RangeError(`${where}: split point y=${String(y)} must be an integer in 0..${this.K} for ${this.spec}`);
    }
  }

  private checkLayer(k: number, where: string): void {
    if (!Number.isInteger(k) || k < 1 || k > this.K) {
      throw new RangeError(`${where}: layer index ${String(k)} must be an integer in 1..${this.K} for ${this.spec}`);
    }
  }

  private checkRange(from: number, to: number): void {
    this.checkLayer(from, 'layer range start');
    this.checkLayer(to, 'layer range end');
    if (from > to) throw new RangeError(`layer range ${from}..${to} is empty; need from ≤ to`);
  }

  /** h must be [N, ...shape entering layer y+1]. */
  private checkInput(h: tf.Tensor, y: number): void {
    const want = y === 0 ? this.inputShape : this.defs[y - 1].outShape;
    const got = h.shape.slice(1);
    if (h.rank !== want.length + 1 || got.join('x') !== want.join('x')) {
      throw new Error(`${this.spec}: input to layer ${y + 1} must be [N, ${want.join(', ')}], got [${h.shape.join(', ')}]`);
    }
  }
}

/** Glorot-uniform kernels (scaled by gain) and zero biases, drawn from the seeded Rng. */
function initialValue(p: ParamSpec, rng: Rng): tf.Tensor {
  const size = p.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  if (p.kind === 'kernel') {
    const limit = p.gain * Math.sqrt(6 / (p.fanIn + p.fanOut));
    for (let i = 0; i < size; i++) data[i] = (2 * rng.random() - 1) * limit;
  }
  return tf.tensor(data, p.shape as number[], 'float32');
}

export function createModel(spec: NetworkSpec, options: ModelOptions): PolicyModel {
  if (!(NETWORK_SPECS as readonly string[]).includes(spec)) {
    throw new Error(`createModel: unknown spec '${String(spec)}'; use one of ${NETWORK_SPECS.join(', ')}`);
  }
  const { inputShape, numActions, seed = 0 } = options;
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`createModel: inputShape must be [H, W, C] positive integers, got ${JSON.stringify(inputShape)}`);
  }
  if (!Number.isInteger(numActions) || numActions < 1) {
    throw new Error(`createModel: numActions must be a positive integer, got ${String(numActions)}`);
  }
  return new PolicyModel(spec, inputShape, numActions, seed);
}
