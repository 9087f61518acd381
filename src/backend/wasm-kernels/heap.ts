// Helpers for JS kernels that work directly on the wasm backend's heap.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { getKernel, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

let scratchFloats = 1 << 22;

/** Largest scratch matrix (im2col / col) one kernel call allocates, in floats (default 16 MiB). */
export function scratchLimit(): number {
  return scratchFloats;
}

/** Sets the scratch limit (tests use a small one to exercise chunking); returns the old one. */
export function setScratchFloats(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setScratchFloats: need a positive integer, got ${n}`);
  const old = scratchFloats;
  scratchFloats = n;
  return old;
}

/**
 * A float32 view of a tensor's bytes on the wasm heap. Any allocation on the backend may grow
 * (and so detach) the heap, so take views only after the last allocation you need.
 */
export function heapF32(backend: BackendWasm, t: TensorInfo): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`wasm training kernel: expected a float32 tensor, got ${t.dtype}`);
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** A new float32 tensor on the wasm heap whose contents are all zero (malloc does not clear). */
export function zeros(backend: BackendWasm, shape: number[]): TensorInfo {
  const t = backend.makeOutput(shape, 'float32');
  heapF32(backend, t).fill(0);
  return t;
}

export function dispose(backend: BackendWasm, ...ts: TensorInfo[]): void {
  for (const t of ts) backend.disposeData(t.dataId);
}

/**
 * The kernels the wasm package registered itself, captured before we replace any, so our
 * replacements can call the fast originals (and so they can be put back).
 */
const shipped = new Map<string, KernelConfig>();

export function captureShipped(kernelName: string): KernelConfig | undefined {
  if (!shipped.has(kernelName)) {
    const k = getKernel(kernelName, 'wasm');
    if (k) shipped.set(kernelName, k);
  }
  return shipped.get(kernelName);
}

export function shippedKernel(kernelName: string): KernelFunc {
  const k = captureShipped(kernelName);
  if (!k) throw new Error(`wasm backend has no ${kernelName} kernel to build on (tfjs-backend-wasm 4.22 is expected)`);
  return k.kernelFunc;
}

/** Runs a kernel as the wasm package shipped it. */
export function runShipped(kernelName: string, backend: BackendWasm, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): TensorInfo {
  return shippedKernel(kernelName)({ inputs, backend, attrs }) as TensorInfo;
}

/** Swaps the last two axes with the shipped Transpose kernel. */
export function transposeLast2(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return runShipped('Transpose', backend, { x }, { perm });
}
