/** Train batches for tests: a copy that a training worker may take the buffers of. */
import type { TrainBatch } from '../../src/learner/batch.js';

/** A copy of every array: WorkerTrainStep transfers the batch's buffers to the worker. */
export const copyBatch = (b: TrainBatch): TrainBatch => ({
  obs: b.obs.slice(),
  actions: b.actions.slice(),
  rewards: b.rewards.slice(),
  dones: b.dones.slice(),
  behaviourLogits: b.behaviourLogits.slice(),
});
