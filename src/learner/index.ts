/**
 * The learning system, as a library: `import { Learner, TrainStep } from 'coknight/learner'`. No file,
 * process or console IO here: run/ and the CLI own those.
 */
export { Learner, type LearnerOptions, type LearnerState, type StepAccounting } from './learner.js';
export { TrainStep, type TrainStats, type OptimizerSlot } from './train-step.js';
export { type TrainBatch, stackUnrolls, sliceBatchColumns } from './batch.js';
export { TrajectoryAssembler, type Unroll, type AssemblerDims, type EpisodeEnd } from './trajectory-assembler.js';
export { ActorRegistry, type ActorState } from './actor-registry.js';
export { InferenceHandler } from './inference-handler.js';
export { UploadIntake } from './upload-intake.js';
export { type LearnerSink, type EpisodeReport, type UpdateReport, nullSink } from './sink.js';
export {
  type SplitPlanner,
  type PlanChange,
  type PlanDescription,
  FixedPlanner,
  DefpPlanner,
  plannerFor,
  type LoadedPlanners,
  linkBytesPerSec,
} from './split-planner.js';
export { type LearnerHyperParams, resolveLearnerHyperParams, DEFAULT_LEARNER_HYPERPARAMS } from './hyperparams.js';
export { contractFor, trainingEnvOptions, learnerHyperFromConfig, modelSpecFor, actionRepeatFor } from './setup.js';
export { linearAnnealedLr } from './schedule.js';
export { clipByGlobalNorm, globalNorm } from './grad-clip.js';
export { CodecTrainer, codecTrainerFor, DEFAULT_CODEC_TRAINING, type CodecTrainingOptions } from './codec-training.js';
