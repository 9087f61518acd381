// Conv2DBackpropInput for the wasm backend. The shipped kernel is a naive loop (~10× the forward
// conv); here dx = col2im(dy · Wᵀ), with dy · Wᵀ on the shipped XNNPACK matmul per chunk of images.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Conv2DBackpropInput, type Conv2DBackpropInputAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { col2imAdd, convGeometry, imagesPerChunk } from './conv-geometry.js';
import { dispose, scratchLimit, heapF32, matMulNN, view, zeros } from './heap.js';

function conv2DBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Conv2DBackpropInputAttrs }): TensorInfo {
  const {
    inputs: { dy, filter },
    backend,
    attrs,
  } = args;
  const g = convGeometry('Conv2DBackpropInput', [...attrs.inputShape], filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
  const K = g.fh * g.fw * g.inC;
  const P = g.outH * g.outW;
  const Co = g.outC;

  // Wᵀ: filter [fh, fw, inC, outC] viewed as [K, Co], transposed to [Co, K] (small).
  const wT = backend.makeOutput([1, Co, K], 'float32');
  const dx = zeros(backend, [...attrs.inputShape]);
  {
    const w = heapF32(backend, filter);
    const wt = heapF32(backend, wT);
    for (let k = 0; k < K; k++) for (let c = 0; c < Co; c++) wt[c * K + k] = w[k * Co + c];
  }
  const nbMax = imagesPerChunk(P * K, scratchLimit(), g.batch);
  for (let n0 = 0; n0 < g.batch; n0 += nbMax) {
    const nb = Math.min(nbMax, g.batch - n0);
    const Mc = nb * P;
    let dyc: TensorInfo;
    let copied = false;
    if (nb === g.batch) {
      dyc = view(dy, [1, Mc, Co]);
    } else {
      dyc = backend.makeOutput([1, Mc, Co], 'float32');
      heapF32(backend, dyc).set(heapF32(backend, dy).subarray(n0 * P * Co, (n0 + nb) * P * Co));
      copied = true;
    }
    const col = matMulNN(backend, dyc, wT); // [1, Mc, K]
    col2imAdd(heapF32(backend, col), heapF32(backend, dx), g, n0, nb);
    dispose(backend, col);
    if (copied) dispose(backend, dyc);
  }
  dispose(backend, wT);
  return dx;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
