import * as tf from '@tensorflow/tfjs-core';

/**
 * Linear learning-rate annealing, as scalable_agent's `tf.train.polynomial_decay(lr0, frames,
 * total_frames, 0)` with power 1: lr = lr0 · (1 − min(frames, total) / total).
 */
export function linearAnnealedLr(lr0: number, frames: number, totalFrames: number): number {
  if (!(totalFrames > 0)) throw new RangeError(`linearAnnealedLr: totalFrames must be > 0, got ${totalFrames}`);
  const progress = Math.min(Math.max(frames, 0), totalFrames) / totalFrames;
  return lr0 * (1 - progress);
}

/** RMSProp whose learning rate the annealing schedule can change between steps. */
export class AnnealedRmsProp extends tf.RMSPropOptimizer {
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}
