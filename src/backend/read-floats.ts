// Reading a tensor computed in a tidy scope back to the host.
import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `f` in a tidy scope, reads the tensor it returns as floats and frees it. Never write
 * `tf.tidy(() => f().dataSync())`: tidy walks whatever its function returns for tensors to keep,
 * and a typed array is walked element by element into a Set — 9 ms for 19,200 floats on this
 * machine, 60× the op that produced them (bench/codec.ts measured that walk, not the codec).
 */
export function readFloats(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}
