// BatchMatMul / _FusedMatMul on the addon's sgemm, every transpose combination, bias and
// activation fused. Anything it does not cover (non-float inputs, batch shapes that broadcast other
// than 1-vs-n, a bias that is not per column) goes to the kernel that was registered before.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backend_util, util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeBlas } from './addon.js';
import { epilogueArgs, floatOffset, heapOf, NO_EPILOGUE } from './epilogue.js';

interface MatMulAttrs {
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

export function nativeMatMul(addon: NativeBlas, fallback: () => KernelFunc, fused: boolean): KernelFunc {
  return (args) => {
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as unknown as MatMulAttrs & NamedAttrMap;
    const backend = args.backend as BackendWasm;
    const a = inputs.a!;
    const b = inputs.b!;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return fallback()(args);
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const M = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const K = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const Kb = tb ? b.shape[rb - 1]! : b.shape[rb - 2]!;
    const N = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    if (K !== Kb) {
      throw new Error(`MatMul (native): inner dimensions ${K} (a, transposeA=${ta}) and ${Kb} (b, transposeB=${tb}) must agree`);
    }
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = util.sizeFromShape(outerA);
    const batchB = util.sizeFromShape(outerB);
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return fallback()(args);
    const epi = fused ? epilogueArgs(backend, N, inputs.bias, attrs.activation, attrs.leakyreluAlpha, inputs.preluActivationWeights) : NO_EPILOGUE;
    if (epi == null) return fallback()(args);
    const outShape = [...backend_util.assertAndGetBroadcastShape(outerA, outerB), M, N];
    const batch = Math.max(batchA, batchB);
    const out = backend.makeOutput(outShape, 'float32');
    if (batch * M * N === 0) return out;
    addon.gemm(
      heapOf(backend),
      batch,
      M,
      N,
      K,
      ta ? 1 : 0,
      tb ? 1 : 0,
      floatOffset(backend, a),
      batchA === 1 ? 0 : M * K,
      floatOffset(backend, b),
      batchB === 1 ? 0 : K * N,
      floatOffset(backend, out),
      ...epi,
    );
    return out;
  };
}
