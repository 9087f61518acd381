// One RMSProp step per variable as a single pass on the wasm heap, in place: tf.RMSPropOptimizer
// runs ~15 kernels per variable (it even computes the new mean square twice), plus one more for
// the clipping scale, each a full pass over the weights and a trip through the tfjs engine.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { add, backend, tidy, type Tensor, type Variable } from '@tensorflow/tfjs-core';
import type { NativeBlas } from './addon.js';
import { floatOffset, heapOf } from './epilogue.js';

export interface RmsPropParams {
  lr: number;
  decay: number;
  momentum: number;
  epsilon: number;
  /** Multiplies the gradient first (global-norm clipping). */
  scale: number;
}

export type RmsPropStep = (value: Variable, meanSquare: Variable, moment: Variable, grad: Tensor, p: RmsPropParams) => void;

/**
 * tfjs tensors are immutable, so a reshape or identity may share a variable's buffer (our wasm
 * Identity does): before writing in place, a variable that shares its buffer gets its own copy.
 */
function ownBuffer(b: BackendWasm, v: Variable): void {
  if (b.refCount(v.dataId) <= 1) return;
  const copy = tidy(() => add(v, 0));
  v.assign(copy);
  copy.dispose();
}

/** The fused step over the addon (index.ts's nativeRmsPropStep says when it applies). */
export function rmsPropStep(addon: NativeBlas): RmsPropStep {
  return (value, ms, mom, grad, p) => {
    const n = value.size;
    for (const t of [value, ms, mom, grad]) {
      if (t.dtype !== 'float32' || t.size !== n) throw new Error(`native RMSProp: every operand must be float32 of ${n} values, got ${t.dtype} of ${t.size}`);
    }
    const b = backend() as BackendWasm;
    for (const v of [value, ms, mom]) ownBuffer(b, v);
    const off = (t: Tensor): number => floatOffset(b, t);
    addon.rmsprop(heapOf(b), n, off(value), off(ms), off(mom), off(grad), p.lr, p.decay, p.momentum, p.epsilon, p.scale);
  };
}
