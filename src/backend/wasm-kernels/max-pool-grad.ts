// MaxPoolGrad for the wasm backend. The shipped kernel starts each window's running max at
// FLT_MIN (the smallest positive float), so in a window whose values are all ≤ 0 the gradient
// goes to the wrong element. This one matches the cpu backend: the first strict maximum of the
// in-image taps (padding never wins) receives dy; overlapping windows accumulate.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { MaxPoolGrad, backend_util, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { heapF32, zeros } from './heap.js';

function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo }; backend: BackendWasm; attrs: MaxPoolGradAttrs }): TensorInfo {
  const {
    inputs: { dy, input },
    backend,
    attrs,
  } = args;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const {
    batchSize,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: Ho,
    outWidth: Wo,
    filterHeight: fh,
    filterWidth: fw,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const dx = zeros(backend, [...input.shape]);
  const x = heapF32(backend, input);
  const g = heapF32(backend, dy);
  const d = heapF32(backend, dx);
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let n = 0; n < batchSize; n++) {
    const img = n * H * W * C;
    for (let oy = 0; oy < Ho; oy++) {
      const y0 = Math.max(0, oy * sh - padTop);
      const y1 = Math.min(H, oy * sh - padTop + fh);
      for (let ox = 0; ox < Wo; ox++) {
        const x0 = Math.max(0, ox * sw - padLeft);
        const x1 = Math.min(W, ox * sw - padLeft + fw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const p = img + (iy * W + ix) * C;
            for (let c = 0; c < C; c++) {
              const v = x[p + c];
              if (v > best[c]) {
                best[c] = v;
                where[c] = p + c;
              }
            }
          }
        }
        const o = ((n * Ho + oy) * Wo + ox) * C;
        for (let c = 0; c < C; c++) if (where[c] >= 0) d[where[c]] += g[o + c];
      }
    }
  }
  return dx;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
