// Sum over every axis but the last (the bias gradient of conv and dense layers) in one pass. The
// wasm Sum transposes first when the reduced axes are not innermost, which made these 6–7% of a
// training step. Other reductions go to the wasm kernel.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeBlas } from './addon.js';
import { floatOffset, heapOf } from './epilogue.js';

export function nativeSum(addon: NativeBlas, fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const x = (args.inputs as { x: TensorInfo }).x;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const backend = args.backend as BackendWasm;
    const r = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = r >= 2 && axes.length === r - 1 && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') return fallback()(args);
    const cols = x.shape[r - 1]!;
    const rows = util.sizeFromShape(x.shape) / Math.max(1, cols);
    const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, -1).map(() => 1), cols] : [cols], 'float32');
    if (cols > 0) addon.columnSums(heapOf(backend), floatOffset(backend, x), rows, cols, floatOffset(backend, out));
    return out;
  };
}
