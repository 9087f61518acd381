// Conv2DBackpropInput for the wasm backend. The shipped kernel is a naive loop (~10× the forward
// conv). Here: stride-1 phase convolutions on the shipped XNNPACK Conv2D (conv-phases.ts), 1.5×
// the forward conv at IMPALA conv2 where dy·Wᵀ on XNNPACK matmul plus a JS col2im took 1.9–2.7×
// (bench/conv-gradients.ts, loaded machine).
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Conv2DBackpropInput, type Conv2DBackpropInputAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { convGeometry } from './conv-geometry.js';
import { backpropInputByPhases } from './conv-phases.js';

function conv2DBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Conv2DBackpropInputAttrs }): TensorInfo {
  const {
    inputs: { dy, filter },
    backend,
    attrs,
  } = args;
  const g = convGeometry('Conv2DBackpropInput', [...attrs.inputShape], filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
  return backpropInputByPhases(backend, dy, filter, g);
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
