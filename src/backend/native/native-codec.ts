// The feature codec's training kernels (../codec-kernels.ts) on the wasm heap, one pass each.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { EXTREMES, FAKE_QUANT, SCALED_DIFFERENCE, SQUARED_ERROR_SUMS } from '../codec-kernels.js';
import type { NativeBlas } from './addon.js';
import { floatOffset, heapOf } from './epilogue.js';

interface FakeQuantAttrs extends NamedAttrMap {
  scale: number;
  offset: number;
  levels: number;
}

function fakeQuant(addon: NativeBlas): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const { scale, offset, levels } = attrs as unknown as FakeQuantAttrs;
    const b = backend as BackendWasm;
    const out = b.makeOutput(x.shape, 'float32');
    const n = util.sizeFromShape(x.shape);
    if (n > 0) addon.fakeQuant(heapOf(b), n, floatOffset(b, x), floatOffset(b, out), scale, offset, levels);
    return out;
  };
}

function extremes(addon: NativeBlas): KernelFunc {
  return ({ inputs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    const n = util.sizeFromShape(x.shape);
    if (n === 0) throw new RangeError(`${EXTREMES}: the tensor is empty`);
    const b = backend as BackendWasm;
    const out = b.makeOutput([2], 'float32');
    addon.extremes(heapOf(b), n, floatOffset(b, x), floatOffset(b, out));
    return out;
  };
}

function sameSize(kernel: string, a: TensorInfo, b: TensorInfo): number {
  const n = util.sizeFromShape(a.shape);
  if (util.sizeFromShape(b.shape) !== n) throw new RangeError(`${kernel}: a has ${n} values, b ${util.sizeFromShape(b.shape)}`);
  return n;
}

function squaredErrorSums(addon: NativeBlas): KernelFunc {
  return ({ inputs, backend }) => {
    const { a, b: t } = inputs as { a: TensorInfo; b: TensorInfo };
    const n = sameSize(SQUARED_ERROR_SUMS, a, t);
    const b = backend as BackendWasm;
    const out = b.makeOutput([2], 'float32');
    addon.squaredErrorSums(heapOf(b), n, floatOffset(b, a), floatOffset(b, t), floatOffset(b, out));
    return out;
  };
}

function scaledDifference(addon: NativeBlas): KernelFunc {
  return ({ inputs, backend }) => {
    const { a, b: t, k } = inputs as { a: TensorInfo; b: TensorInfo; k: TensorInfo };
    const n = sameSize(SCALED_DIFFERENCE, a, t);
    const b = backend as BackendWasm;
    const out = b.makeOutput(a.shape, 'float32');
    addon.scaledDifference(heapOf(b), n, floatOffset(b, a), floatOffset(b, t), floatOffset(b, k), floatOffset(b, out));
    return out;
  };
}

/** The kernels by name, or null with an addon built before them. */
export function nativeCodecKernels(addon: NativeBlas): Array<[string, KernelFunc]> | null {
  if (typeof addon.fakeQuant !== 'function' || typeof addon.scaledDifference !== 'function') return null;
  return [
    [FAKE_QUANT, fakeQuant(addon)],
    [EXTREMES, extremes(addon)],
    [SQUARED_ERROR_SUMS, squaredErrorSums(addon)],
    [SCALED_DIFFERENCE, scaledDifference(addon)],
  ];
}
