// Conv2DBackpropInput as stride-1 convolutions (sub-pixel decomposition), so that XNNPACK's
// forward conv does the work. Input rows i with (i + padTop) ≡ p (mod stride) receive
// dy[a − j] · W[p + stride·j] over j: a stride-1 conv of dy with the sub-filter of taps ≡ p,
// flipped and with its channel axes swapped. One conv per phase (stride² for 2-D); their FLOPs
// add up to the gradient's, and each output row is written once (no col2im accumulation).
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './conv-geometry.js';
import { dispose, heapF32, runShipped, zeros } from './heap.js';

/** Along one axis, phase p: taps J, and the range [aMin, aMax] of dy-grid rows a it fills. */
export interface AxisPhase {
  taps: number;
  aMin: number;
  aMax: number;
}

export function axisPhase(p: number, stride: number, kernel: number, pad: number, inLen: number): AxisPhase {
  const taps = p < kernel ? Math.ceil((kernel - p) / stride) : 0;
  return { taps, aMin: Math.max(0, Math.ceil((pad - p) / stride)), aMax: Math.floor((pad + inLen - 1 - p) / stride) };
}

/** dx = Conv2DBackpropInput(dy, W) by stride-1 phase convolutions on the shipped Conv2D. */
export function backpropInputByPhases(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const { batch, inH, inW, inC, outH, outW, outC, fh, fw, sh, sw, padTop, padLeft } = g;
  const dx = zeros(backend, [batch, inH, inW, inC]);
  for (let py = 0; py < sh; py++) {
    const y = axisPhase(py, sh, fh, padTop, inH);
    for (let px = 0; px < sw; px++) {
      const x = axisPhase(px, sw, fw, padLeft, inW);
      if (y.taps === 0 || x.taps === 0 || y.aMax < y.aMin || x.aMax < x.aMin) continue; // no taps reach these rows
      // sub-filter F[jy, jx, co, ci] = W[py + sh·(Jy−1−jy), px + sw·(Jx−1−jx), ci, co]
      const sub = backend.makeOutput([y.taps, x.taps, outC, inC], 'float32');
      {
        const w = heapF32(backend, filter);
        const f = heapF32(backend, sub);
        for (let jy = 0; jy < y.taps; jy++) {
          for (let jx = 0; jx < x.taps; jx++) {
            const src = ((py + sh * (y.taps - 1 - jy)) * fw + (px + sw * (x.taps - 1 - jx))) * inC * outC;
            const dst = (jy * x.taps + jx) * outC * inC;
            for (let ci = 0; ci < inC; ci++) for (let co = 0; co < outC; co++) f[dst + co * inC + ci] = w[src + ci * outC + co]!;
          }
        }
      }
      const pad = [
        [0, 0],
        [y.taps - 1, Math.max(0, y.aMax + 1 - outH)],
        [x.taps - 1, Math.max(0, x.aMax + 1 - outW)],
        [0, 0],
      ];
      const o = runShipped('Conv2D', backend, { x: dy, filter: sub }, { strides: 1, pad, dataFormat: 'NHWC', dilations: 1 });
      const [, OH, OW] = o.shape as [number, number, number, number];
      const ov = heapF32(backend, o);
      const d = heapF32(backend, dx);
      for (let n = 0; n < batch; n++) {
        for (let a = y.aMin; a <= y.aMax; a++) {
          const iy = a * sh + py - padTop;
          for (let b = x.aMin; b <= x.aMax; b++) {
            const src = ((n * OH + a) * OW + b) * inC;
            const dst = ((n * inH + iy) * inW + b * sw + px - padLeft) * inC;
            for (let c = 0; c < inC; c++) d[dst + c] = ov[src + c]!;
          }
        }
      }
      dispose(backend, sub, o);
    }
  }
  return dx;
}
