// Conv2DBackpropFilter for the wasm backend, which ships none (training a conv net throws).
//   dW[ky,kx,ci,co] = Σ_{n,oy,ox} x[n, oy·sh+ky−pt, ox·sw+kx−pl, ci] · dy[n,oy,ox,co]
// is itself a stride-1 convolution, dilated by the stride: of x viewed as [ci, y, x, n] (batch ci,
// channels n) with dy viewed as a filter [oy, ox, n, co]. So two shipped Transposes and one
// shipped (XNNPACK) Conv2D do it; the output [ci, ky, kx, co] is reordered to [ky, kx, ci, co].
// Measured at IMPALA conv1 × 640 frames (loaded 2-core box): ≈ 0.6–1.0 s, vs ≈ 1.1 s for
// im2colᵀ·dy on XNNPACK matmul and ≈ 1.5–2.3 s for im2col + Transpose + matmul.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { convGeometry } from './conv-geometry.js';
import { dispose, heapF32, runShipped } from './heap.js';

function conv2DBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const {
    inputs: { x, dy },
    backend,
    attrs,
  } = args;
  const g = convGeometry('Conv2DBackpropFilter', x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
  const xT = runShipped('Transpose', backend, { x }, { perm: [3, 1, 2, 0] }); // [ci, H, W, n]
  const dyT = runShipped('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }); // [oy, ox, n, co]
  // Pad so that the dilated filter fits for every tap (ky < fh, kx < fw); extra rows are ignored.
  const padBottom = Math.max(0, g.fh + (g.outH - 1) * g.sh - g.inH - g.padTop);
  const padRight = Math.max(0, g.fw + (g.outW - 1) * g.sw - g.inW - g.padLeft);
  const o = runShipped(
    'Conv2D',
    backend,
    { x: xT, filter: dyT },
    {
      strides: 1,
      pad: [
        [0, 0],
        [g.padTop, padBottom],
        [g.padLeft, padRight],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [g.sh, g.sw],
    },
  ); // [ci, OH ≥ fh, OW ≥ fw, co]
  dispose(backend, xT, dyT);
  const [, OH, OW] = o.shape as [number, number, number, number];
  const { fh, fw, inC: Ci, outC: Co } = g;
  const out = backend.makeOutput([...attrs.filterShape], 'float32');
  const ov = heapF32(backend, o);
  const dw = heapF32(backend, out);
  for (let ky = 0; ky < fh; ky++) {
    for (let kx = 0; kx < fw; kx++) {
      for (let ci = 0; ci < Ci; ci++) {
        const src = ((ci * OH + ky) * OW + kx) * Co;
        const dst = ((ky * fw + kx) * Ci + ci) * Co;
        for (let co = 0; co < Co; co++) dw[dst + co] = ov[src + co]!;
      }
    }
  }
  dispose(backend, o);
  return out;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
