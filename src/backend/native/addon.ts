// Loads the optional OpenBLAS addon (packages/native-blas, built by `npm run build:native` or
// the root package's prepare step when a CBLAS is installed). Never throws: says why it is absent.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The addon's functions; tensors are float offsets into `heap` (the wasm backend's HEAPF32). */
export interface NativeBlas {
  /** C[b] = op(A[b])·op(B[b]) then the epilogue (bias, activation), b < batch. */
  gemm(
    heap: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    aOff: number,
    aStride: number,
    bOff: number,
    bStride: number,
    cOff: number,
    ...epilogue: EpilogueArgs
  ): void;
  /** op 0: y = conv(a = x, b = w) + epilogue; 1: dx from (a = dy, b = w); 2: dW from (a = x, b = dy). */
  conv(
    heap: Float32Array,
    op: 0 | 1 | 2,
    geometry: Int32Array,
    aOff: number,
    bOff: number,
    outOff: number,
    chunkFloats: number,
    ...epilogue: EpilogueArgs
  ): void;
  /** out[c] = Σ_r x[r, c] over a [rows, cols] matrix (in double). */
  columnSums(heap: Float32Array, xOff: number, rows: number, cols: number, outOff: number): void;
  /** One RMSProp step in place on n floats (gradient × scale first); tf.RMSPropOptimizer's arithmetic. */
  rmsprop(
    heap: Float32Array,
    n: number,
    vOff: number,
    msOff: number,
    momOff: number,
    gOff: number,
    lr: number,
    decay: number,
    momentum: number,
    epsilon: number,
    scale: number,
  ): void;
  /** out = dy where y > 0, else 0, over n floats. */
  reluGrad(heap: Float32Array, n: number, dyOff: number, yOff: number, outOff: number): void;
  /** out = clamp(round_half_even((x − offset)/scale), 0, levels)·scale + offset over n floats. */
  fakeQuant(heap: Float32Array, n: number, xOff: number, outOff: number, scale: number, offset: number, levels: number): void;
  /** out[0..1] = min, max of n > 0 floats (NaN if any is NaN). */
  extremes(heap: Float32Array, n: number, xOff: number, outOff: number): void;
  /** out[0..1] = Σ(a − b)², Σ b² over n floats (in double). */
  squaredErrorSums(heap: Float32Array, n: number, aOff: number, bOff: number, outOff: number): void;
  /** out = heap[kOff]·(a − b) over n floats. */
  scaledDifference(heap: Float32Array, n: number, aOff: number, bOff: number, kOff: number, outOff: number): void;
  /** 1 (default): conv forward and filter gradient by implicit GEMM on AVX2 where outC % 8 = 0; 0: always im2col + sgemm. */
  setDirectConv(on: number): void;
  /** Sets OpenBLAS's thread count; false when the library is another CBLAS. */
  setThreads(n: number): boolean;
  /** e.g. "OpenBLAS 0.3.21 … Cooperlake MAX_THREADS=64, core Cooperlake". */
  describe(): string;
}

/** biasOff (−1: none), biasLen, activation code, leakyrelu alpha, preluOff (−1: none), preluLen. */
export type EpilogueArgs = [number, number, number, number, number, number];

export const NATIVE_BLAS_PATH = fileURLToPath(new URL('../../../packages/native-blas/build/Release/coknight_native_blas.node', import.meta.url));

let cached: { addon: NativeBlas | null; why: string } | undefined;

/** The addon, or null and a one-line reason (not built, or failed to load). */
export function loadNativeBlas(): { addon: NativeBlas | null; why: string } {
  if (cached) return cached;
  if (!existsSync(NATIVE_BLAS_PATH)) {
    cached = { addon: null, why: 'the native BLAS addon is not built (apt-get install libopenblas-dev, then npm run build:native)' };
  } else {
    try {
      const addon = createRequire(import.meta.url)(NATIVE_BLAS_PATH) as NativeBlas;
      cached = { addon, why: '' };
    } catch (err) {
      cached = { addon: null, why: `the native BLAS addon failed to load: ${String((err as Error).message).split('\n')[0]}` };
    }
  }
  return cached;
}
