// Conv + bias + ReLU and dense + bias + ReLU as one kernel each, in training too. tfjs's own
// tf.fused ops stop fusing under a gradient tape (they fall back to conv, Add, Relu, and a ReLU
// gradient of Step, Cast and Multiply: six passes over the layer's output), which was 11% of an
// IMPALA training step. These run the fused forward kernel under the tape as well, and the
// gradient masks dy by y > 0 in one pass. Each input's gradient is computed only when the tape
// asks for it: the first conv's input (the observations) never needs one. A backend may register
// RELU_GRAD (inputs dy, y) to do the masking in one pass; the native backend does. Conv + bias
// without an activation (CONV_BIAS) is fused the same way, for the feature codec's 1×1 convs.
import {
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  FusedConv2D,
  _FusedMatMul,
  engine,
  fused,
  getKernel,
  matMul,
  mul,
  registerGradient,
  registerKernel,
  reshape,
  step,
  sum,
  type KernelFunc,
  type NamedAttrMap,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
  type Tensor4D,
} from '@tensorflow/tfjs-core';

export const CONV_RELU = 'CoknightConvRelu';
export const DENSE_RELU = 'CoknightDenseRelu';
export const RELU_GRAD = 'CoknightReluGrad';
/** conv + bias without an activation (the feature codec's 1×1 convs), fused the same way. */
export const CONV_BIAS = 'CoknightConvBias';

/** Backends whose own fused kernels these forward to. */
const BACKENDS = ['wasm', 'cpu', 'webgpu', 'tensorflow'] as const;

type Padding = 'valid' | 'same';

interface ConvAttrs extends NamedAttrMap {
  strides: number;
  pad: Padding;
}

function forwardTo(kernelName: string, backendName: string, attrs: (a: NamedAttrMap) => NamedAttrMap): KernelFunc {
  return (args) => {
    const k = getKernel(kernelName, backendName);
    if (!k) throw new Error(`${backendName} backend has no ${kernelName} kernel`);
    return k.kernelFunc({ ...args, attrs: attrs(args.attrs ?? {}) });
  };
}

const convAttrs = (a: NamedAttrMap): NamedAttrMap => ({
  strides: a.strides,
  pad: a.pad,
  dataFormat: 'NHWC',
  dilations: 1,
  activation: 'relu',
});
const convBiasAttrs = (a: NamedAttrMap): NamedAttrMap => ({ ...convAttrs(a), activation: 'linear' });
const denseAttrs = (): NamedAttrMap => ({ transposeA: false, transposeB: false, activation: 'relu' });

/** dy · [y > 0] (relu'(0) = 0, as tfjs's Step): one kernel where a backend has RELU_GRAD (native does). */
function reluGrad(dy: Tensor, y: Tensor): Tensor {
  if (dy.dtype === 'float32' && getKernel(RELU_GRAD, engine().backendName) != null) {
    return engine().runKernel(RELU_GRAD, { dy, y }) as Tensor;
  }
  return mul(dy, step(y));
}

let registered = false;
let enabled = true;

/** Off: convRelu/denseRelu are tfjs's tf.fused ops (unfused under a tape); for A/B benchmarks. */
export function setReluOps(on: boolean): void {
  enabled = on;
}

/** Registers the kernels and gradients (idempotent; the op functions call it). */
export function registerReluOps(): void {
  if (registered) return;
  registered = true;
  for (const name of BACKENDS) {
    registerKernel({ kernelName: CONV_RELU, backendName: name, kernelFunc: forwardTo(FusedConv2D, name, convAttrs) });
    registerKernel({ kernelName: DENSE_RELU, backendName: name, kernelFunc: forwardTo(_FusedMatMul, name, denseAttrs) });
    registerKernel({ kernelName: CONV_BIAS, backendName: name, kernelFunc: forwardTo(FusedConv2D, name, convBiasAttrs) });
  }
  const convGrads = (d: Tensor4D, x: Tensor4D, filter: Tensor4D, attrs: NamedAttrMap) => {
    const { strides, pad } = attrs as unknown as ConvAttrs;
    const common = { strides, pad, dataFormat: 'NHWC' };
    return {
      x: () => engine().runKernel(Conv2DBackpropInput, { dy: d, filter }, { ...common, inputShape: x.shape }) as Tensor,
      filter: () => engine().runKernel(Conv2DBackpropFilter, { x, dy: d }, { ...common, filterShape: filter.shape }) as Tensor,
      bias: () => sum(d, [0, 1, 2]),
    };
  };
  registerGradient({
    kernelName: CONV_RELU,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [Tensor4D, Tensor4D, Tensor4D];
      return convGrads(reluGrad(dy as Tensor, y) as Tensor4D, x, filter, attrs);
    },
  });
  registerGradient({
    kernelName: CONV_BIAS,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [Tensor4D, Tensor4D];
      return convGrads(dy as Tensor4D, x, filter, attrs);
    },
  });
  registerGradient({
    kernelName: DENSE_RELU,
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [a, b, y] = saved as [Tensor3D, Tensor3D, Tensor3D];
      const d = reluGrad(dy as Tensor, y) as Tensor3D;
      return { a: () => matMul(d, b, false, true), b: () => matMul(a, d, true, false), bias: () => sum(d, [0, 1]) };
    },
  });
}

/** relu(conv2d(x, filter) + bias), NHWC, square stride, one fused kernel forward and backward. */
export function convRelu(x: Tensor4D, filter: Tensor4D, bias: Tensor, strides: number, pad: Padding): Tensor4D {
  if (!enabled) return fused.conv2d({ x, filter, strides, pad, bias, activation: 'relu' });
  registerReluOps();
  return engine().runKernel(CONV_RELU, { x, filter, bias }, { strides, pad }) as Tensor4D;
}

/** conv2d(x, filter) + bias, NHWC, square stride, one fused kernel forward (the bias gradient is one Sum). */
export function convBias(x: Tensor4D, filter: Tensor4D, bias: Tensor, strides: number, pad: Padding): Tensor4D {
  if (!enabled) return fused.conv2d({ x, filter, strides, pad, bias });
  registerReluOps();
  return engine().runKernel(CONV_BIAS, { x, filter, bias }, { strides, pad }) as Tensor4D;
}

/** relu(a · b + bias), one fused kernel forward and backward. */
export function denseRelu(a: Tensor2D, b: Tensor2D, bias: Tensor): Tensor2D {
  if (!enabled) return fused.matMul({ a, b, bias, activation: 'relu' }) as Tensor2D;
  registerReluOps();
  // Batched 3-D operands, as tf.fused.matMul hands them to the kernel (the wasm one reads them so).
  const [m, k, n] = [a.shape[0], a.shape[1], b.shape[1]];
  const y = engine().runKernel(DENSE_RELU, { a: reshape(a, [1, m, k]), b: reshape(b, [1, k, n]), bias }, {}) as Tensor3D;
  return reshape(y, [m, n]);
}
