// The ReLU gradient through its output (relu-ops.ts's RELU_GRAD) in one pass on the wasm heap.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeBlas } from './addon.js';
import { floatOffset, heapOf } from './epilogue.js';

export function nativeReluGrad(addon: NativeBlas): KernelFunc {
  return ({ inputs, backend }) => {
    const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
    const b = backend as BackendWasm;
    const out = b.makeOutput(dy.shape, 'float32');
    const n = util.sizeFromShape(dy.shape);
    if (n > 0) addon.reluGrad(heapOf(b), n, floatOffset(b, dy), floatOffset(b, y), floatOffset(b, out));
    return out;
  };
}
