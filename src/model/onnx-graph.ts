/**
 * The ONNX graph of one run of layers from+1..to (a head 1..y, a tail y+1..K with the policy and
 * value heads, or the whole network), built from the layers' op lists (LayerDef.graph).
 *
 * Layout: tfjs is NHWC, ONNX's Conv and MaxPool are NCHW. The graph transposes once at each end
 * (an NHWC input to NCHW, an NCHW activation output back to NHWC, and back to NHWC before a flatten,
 * so dense kernels keep tfjs's HWC row order: a reorder of the big fc kernel in JS costs more on
 * every update than this small transpose on every run); conv kernels are converted HWIO → OIHW.
 * Weights are graph inputs (fed on every run), so a
 * parameter update never rebuilds the session; `initializers` bakes them in instead (the bench's
 * peer). TF 'same' padding puts the odd pixel at the end: explicit pads, computed here.
 */
import { createRequire } from 'node:module';
import type * as OnnxProto from 'onnx-proto';
import type { OpDesc } from './layer-builder.js';
import type { PolicyModel } from './policy-model.js';

// Loaded on first use: every process imports model/, few build graphs.
let onnxModule: typeof OnnxProto.onnx | undefined;
const proto = (): typeof OnnxProto.onnx => (onnxModule ??= (createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto).onnx);
type INode = OnnxProto.onnx.INodeProto;
type IAttr = OnnxProto.onnx.IAttributeProto;
type IValueInfo = OnnxProto.onnx.IValueInfoProto;
type ITensor = OnnxProto.onnx.ITensorProto;

/** How a tfjs weight is laid out as an ONNX graph input. */
export type WeightLayout = { readonly kind: 'as-is' } | { readonly kind: 'conv-oihw' };

/** One weight graph input: variable `param` of layer `layer` (1-based), converted by `layout`. */
export interface WeightBinding {
  readonly name: string;
  readonly layer: number;
  readonly param: number;
  readonly layout: WeightLayout;
  /** Shape of the tfjs variable. */
  readonly tfShape: readonly number[];
  /** Shape of the graph input. */
  readonly shape: readonly number[];
}

export interface SegmentGraph {
  /** The serialised ModelProto. */
  readonly bytes: Uint8Array;
  readonly input: { readonly name: string; readonly dtype: 'uint8' | 'float32'; readonly shape: readonly number[] };
  /** ['activation'] for a head, ['logits', 'value'] when the segment ends with the heads. */
  readonly outputs: readonly string[];
  readonly weights: readonly WeightBinding[];
}

const OPSET = 13;
// onnx.proto's enum values (TensorProto.DataType, AttributeProto.AttributeType), fixed by the spec.
const FLOAT = 1;
const UINT8 = 2;
const INT = 2;
const INTS = 7;

/** Explicit [begin, end] padding of one axis with TensorFlow's rule (the extra pixel at the end). */
export function tfPads(inLen: number, kernel: number, stride: number, padding: 'valid' | 'same'): [number, number] {
  if (padding === 'valid') return [0, 0];
  const out = Math.ceil(inLen / stride);
  const total = Math.max((out - 1) * stride + kernel - inLen, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/** HWIO conv kernel data → OIHW. */
export function convKernelToOihw(data: Float32Array, shape: readonly number[]): Float32Array {
  const [kh, kw, ci, co] = shape;
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = data[((y * kw + x) * ci + i) * co + o];
  return out;
}

/** A tfjs weight's data in the layout its graph input expects (always a fresh array). */
export function toGraphLayout(data: Float32Array, b: WeightBinding): Float32Array {
  const l = b.layout;
  if (l.kind === 'conv-oihw') return convKernelToOihw(data, b.tfShape);
  return data.slice();
}

type Layout = 'nchw' | 'flat';

class GraphWriter {
  readonly nodes: INode[] = [];
  readonly inits: ITensor[] = [];
  readonly weights: WeightBinding[] = [];
  private count = 0;

  constructor(
    private readonly model: PolicyModel,
    private readonly initializers?: (b: WeightBinding) => Float32Array,
  ) {}

  node(opType: string, inputs: string[], attribute: IAttr[] = []): string {
    const out = `t${this.count++}`;
    this.nodes.push({ opType, input: inputs, output: [out], name: `${opType}_${this.count}`, attribute });
    return out;
  }

  scalar(value: number): string {
    const name = `c${this.count++}`;
    this.inits.push({ name, dataType: FLOAT, dims: [], floatData: [value] });
    return name;
  }

  weight(layer: number, param: number, layout: WeightLayout): string {
    const spec = this.model.layerDef(layer).params[param];
    const tfShape = spec.shape;
    const shape = layout.kind === 'conv-oihw' ? [tfShape[3], tfShape[2], tfShape[0], tfShape[1]] : [...tfShape];
    const b: WeightBinding = { name: `L${layer}.${spec.name}`, layer, param, layout, tfShape, shape };
    if (this.initializers) {
      const data = this.initializers(b);
      this.inits.push({ name: b.name, dataType: FLOAT, dims: shape, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    } else this.weights.push(b);
    return b.name;
  }
}

const ints = (name: string, v: number[]): IAttr => ({ name, type: INTS, ints: v });
const int = (name: string, v: number): IAttr => ({ name, type: INT, i: v });

function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): IValueInfo {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}

/** Emits one layer's ops; returns the output tensor and its layout. */
function emitOps(g: GraphWriter, layer: number, ops: readonly OpDesc[], x: string, layout: Layout): { x: string; layout: Layout } {
  for (const d of ops) {
    switch (d.op) {
      case 'scale':
        if (d.scale !== 1) x = g.node('Mul', [x, g.scalar(d.scale)]);
        break;
      case 'relu':
        x = g.node('Relu', [x]);
        break;
      case 'conv':
      case 'maxPool': {
        const [h, w] = d.inShape;
        const [t, bo] = tfPads(h, d.size, d.stride, d.padding);
        const [l, r] = tfPads(w, d.size, d.stride, d.padding);
        const attrs = [ints('kernel_shape', [d.size, d.size]), ints('strides', [d.stride, d.stride]), ints('pads', [t, l, bo, r])];
        if (d.op === 'maxPool') x = g.node('MaxPool', [x], attrs);
        else x = g.node('Conv', [x, g.weight(layer, d.kernel, { kind: 'conv-oihw' }), g.weight(layer, d.bias, { kind: 'as-is' })], attrs);
        break;
      }
      case 'flatten':
        if (layout === 'nchw') x = g.node('Transpose', [x], [ints('perm', [0, 2, 3, 1])]);
        x = g.node('Flatten', [x], [int('axis', 1)]);
        layout = 'flat';
        break;
      case 'dense':
        x = g.node('Gemm', [x, g.weight(layer, d.kernel, { kind: 'as-is' }), g.weight(layer, d.bias, { kind: 'as-is' })]);
        break;
      case 'residual': {
        const body = emitOps(g, layer, d.body, x, layout);
        x = g.node('Add', [x, body.x]);
        break;
      }
      default: {
        const never: never = d;
        throw new Error(`onnx export: unknown op ${JSON.stringify(never)}`);
      }
    }
  }
  return { x, layout };
}

/** The graph of layers from+1..to (0 ≤ from < to ≤ K); a segment that ends at K includes the heads. */
export function buildSegmentGraph(model: PolicyModel, from: number, to: number, initializers?: (b: WeightBinding) => Float32Array): SegmentGraph {
  const K = model.K;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > K || from >= to) {
    throw new RangeError(`buildSegmentGraph: need integers 0 ≤ from < to ≤ K=${K}, got from=${from} to=${to}`);
  }
  const g = new GraphWriter(model, initializers);
  const inShape = from === 0 ? [...model.inputShape] : [...model.layers[from - 1].outShape];
  const dtype = from === 0 ? 'uint8' : 'float32';
  let x = 'input';
  if (dtype === 'uint8') x = g.node('Cast', [x], [int('to', FLOAT)]);
  let layout: Layout = 'flat';
  if (inShape.length === 3) {
    x = g.node('Transpose', [x], [ints('perm', [0, 3, 1, 2])]);
    layout = 'nchw';
  }
  for (let k = from + 1; k <= to; k++) ({ x, layout } = emitOps(g, k, model.layerDef(k).def.graph, x, layout));
  const outputs: IValueInfo[] = [];
  if (to === K) {
    const p = model.layerDef(K).def.params.length;
    const logits = g.node('Gemm', [x, g.weight(K, p, { kind: 'as-is' }), g.weight(K, p + 1, { kind: 'as-is' })]);
    const value = g.node('Gemm', [x, g.weight(K, p + 2, { kind: 'as-is' }), g.weight(K, p + 3, { kind: 'as-is' })]);
    outputs.push(valueInfo(logits, FLOAT, ['N', model.numActions]), valueInfo(value, FLOAT, ['N', 1]));
  } else {
    const out = model.layers[to - 1].outShape;
    if (layout === 'nchw') x = g.node('Transpose', [x], [ints('perm', [0, 2, 3, 1])]);
    outputs.push(valueInfo(x, FLOAT, ['N', ...out]));
  }
  const inputs = [valueInfo('input', dtype === 'uint8' ? UINT8 : FLOAT, ['N', ...inShape]), ...g.weights.map((b) => valueInfo(b.name, FLOAT, b.shape))];
  const graph = { name: `${model.spec}_${from}_${to}`, node: g.nodes, initializer: g.inits, input: inputs, output: outputs };
  const onnx = proto();
  const message = onnx.ModelProto.create({ irVersion: 8, producerName: 'coknight', opsetImport: [{ domain: '', version: OPSET }], graph });
  return {
    bytes: onnx.ModelProto.encode(message).finish(),
    input: { name: 'input', dtype, shape: inShape },
    outputs: outputs.map((o) => o.name!),
    weights: g.weights,
  };
}
