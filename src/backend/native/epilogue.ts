// What the native kernels share: float offsets of tensors on the wasm heap, and the fused
// bias/activation epilogue in the addon's argument form.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { EpilogueArgs } from './addon.js';

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, elu: 3, leakyrelu: 4, prelu: 5, sigmoid: 6 };

/** Index of the tensor's first float in HEAPF32 (tfjs stores every wasm tensor on the heap). */
export function floatOffset(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset / 4;
}

/** The whole heap; take it after the last allocation (growing the heap replaces its buffer). */
export function heapOf(backend: BackendWasm): Float32Array {
  // HEAPF32 is emscripten's; tfjs's module type declares only HEAPU8, over the same buffer
  return (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32;
}

export const NO_EPILOGUE: EpilogueArgs = [-1, 0, 0, 0, -1, 0];

/** A per-column vector (bias, prelu weights) the epilogue can broadcast: 1 value or `cols` along the last axis. */
function columnVector(t: TensorInfo | undefined, cols: number): boolean {
  if (t == null) return true;
  const size = util.sizeFromShape(t.shape);
  return t.dtype === 'float32' && (size === 1 || (size === cols && t.shape[t.shape.length - 1] === cols));
}

/**
 * The epilogue for `y = act(y + bias)` over `cols` columns, or null when the addon cannot do it
 * (an activation it lacks, or a bias that is not per column): the caller then falls back.
 */
export function epilogueArgs(
  backend: BackendWasm,
  cols: number,
  bias: TensorInfo | undefined,
  activation: string | undefined,
  leakyreluAlpha: number | undefined,
  prelu: TensorInfo | undefined,
): EpilogueArgs | null {
  const act = ACTIVATIONS[activation ?? 'linear'];
  if (act == null || !columnVector(bias, cols) || !columnVector(prelu, cols)) return null;
  if (activation === 'prelu' && prelu == null) return null;
  const b = bias == null ? [-1, 0] : [floatOffset(backend, bias), util.sizeFromShape(bias.shape)];
  const p = prelu == null ? [-1, 0] : [floatOffset(backend, prelu), util.sizeFromShape(prelu.shape)];
  return [b[0]!, b[1]!, act, leakyreluAlpha ?? 0.2, p[0]!, p[1]!];
}
