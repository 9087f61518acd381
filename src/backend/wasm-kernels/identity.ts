// Identity for the wasm backend that shares the input's buffer, as wasm's own Reshape and the cpu
// backend's Identity do (tfjs tensors are immutable; variables re-point, never write in place).
// The shipped kernel copies — and the engine clones every input it saves for the backward pass,
// so each training step copied its whole observation batch (3–5% of an IMPALA step).
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { shippedKernel } from './heap.js';

function identity(args: { inputs: { x: TensorInfo }; backend: BackendWasm }): TensorInfo {
  const { x } = args.inputs;
  if (x.dtype === 'string') return shippedKernel(Identity)(args as never) as TensorInfo;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelFunc,
};
