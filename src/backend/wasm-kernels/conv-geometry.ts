// Geometry of a 2-D convolution as the backprop kernels need it (NHWC, no dilation), and col2im.
import { backend_util } from '@tensorflow/tfjs-core';

export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
}

type Pad = 'same' | 'valid' | number | backend_util.ExplicitPadding;

export function convGeometry(
  kernel: string,
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  dataFormat: string | undefined,
): ConvGeometry {
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} (wasm, coknight): dataFormat ${dataFormat} is not supported; use NHWC`);
  }
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** How many images fit one scratch matrix of `floatsPerImage` each, at least 1. */
export function imagesPerChunk(floatsPerImage: number, limit: number, batch: number): number {
  return Math.max(1, Math.min(batch, Math.floor(limit / Math.max(1, floatsPerImage))));
}

/**
 * col2im for images [n0, n0+nb): dx[image, iy, ix, c] += col[m, (ky, kx, c)] over the taps that
 * land inside the image, where row m = (image, oy, ox) and column k = (ky, kx, c) follow the
 * filter layout [fh, fw, inC, outC] (so col = dy · Wᵀ).
 */
export function col2imAdd(col: Float32Array, dx: Float32Array, g: ConvGeometry, n0: number, nb: number): void {
  const { inH, inW, inC, outH, outW, fh, fw, sh, sw, padTop, padLeft } = g;
  const rowLen = fw * inC;
  const K = fh * rowLen;
  let m = 0;
  for (let n = n0; n < n0 + nb; n++) {
    const xImg = n * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * sh - padTop;
      for (let ox = 0; ox < outW; ox++, m++) {
        const ix0 = ox * sw - padLeft;
        const base = m * K;
        const kx0 = Math.max(0, -ix0);
        const kx1 = Math.min(fw, inW - ix0);
        if (kx1 <= kx0) continue;
        for (let ky = 0; ky < fh; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= inH) continue;
          let src = base + ky * rowLen + kx0 * inC;
          let dst = xImg + (iy * inW + ix0 + kx0) * inC;
          const end = dst + (kx1 - kx0) * inC;
          while (dst < end) dx[dst++] += col[src++];
        }
      }
    }
  }
}
