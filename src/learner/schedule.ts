import * as tf from '@tensorflow/tfjs-core';
import { nativeRmsPropStep } from '../backend/index.js';
import { scaleGradients } from './grad-clip.js';

/**
 * Linear learning-rate annealing, as scalable_agent's `tf.train.polynomial_decay(lr0, frames,
 * total_frames, 0)` with power 1: lr = lr0 · (1 − min(frames, total) / total).
 */
export function linearAnnealedLr(lr0: number, frames: number, totalFrames: number): number {
  if (!(totalFrames > 0)) throw new RangeError(`linearAnnealedLr: totalFrames must be > 0, got ${totalFrames}`);
  const progress = Math.min(Math.max(frames, 0), totalFrames) / totalFrames;
  return lr0 * (1 - progress);
}

interface Slot {
  originalName: string;
  variable: tf.Variable;
}

/** tf.RMSPropOptimizer's private slot lists (same objects, so getWeights/setWeights and checkpoints are unchanged). */
interface Slots {
  centered: boolean;
  accumulatedMeanSquares: Slot[];
  accumulatedMoments: Slot[];
}

/** RMSProp whose learning rate the annealing schedule can change between steps. */
export class AnnealedRmsProp extends tf.RMSPropOptimizer {
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }

  /**
   * applyGradients of the gradients × `scale` (the clipping factor). On the native backend, one fused
   * pass per variable over the optimizer's own slot variables; elsewhere tfjs's RMSProp.
   */
  applyScaledGradients(grads: ReadonlyArray<{ name: string; tensor: tf.Tensor }>, scale: number): void {
    const step = nativeRmsPropStep();
    const slots = this as unknown as Slots;
    if (step == null || slots.centered) {
      const scaled = scaleGradients(
        grads.map((g) => g.tensor),
        scale,
      );
      this.applyGradients(grads.map((g, i) => ({ name: g.name, tensor: scaled[i]! })));
      tf.dispose(scaled);
      return;
    }
    grads.forEach(({ name, tensor }, i) => {
      const value = tf.engine().registeredVariables[name];
      if (!value) throw new Error(`RMSProp: no variable named '${name}'`);
      // Created as tf.RMSPropOptimizer creates them, so its getWeights/setWeights see the same slots.
      slots.accumulatedMeanSquares[i] ??= { originalName: `${name}/rms`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      slots.accumulatedMoments[i] ??= { originalName: `${name}/momentum`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      step(value, slots.accumulatedMeanSquares[i]!.variable, slots.accumulatedMoments[i]!.variable, tensor, {
        lr: this.learningRate,
        decay: this.decay,
        momentum: this.momentum,
        epsilon: this.epsilon,
        scale,
      });
    });
    this.incrementIterations();
  }
}
