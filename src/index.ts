/**
 * Coknight: distributed deep RL for edge networks. The main types in one import; each part also has
 * its own entry point (`coknight/env`, `coknight/atari`, `coknight/model`, `coknight/vtrace`,
 * `coknight/partition`, `coknight/learner`, `coknight/actor`, `coknight/transport`).
 */
export { makeEnv, listEnvs, registerEnv, VectorEnv, EnvError, type Env, type MakeEnvOptions, type StepResult } from './env/index.js';
export { createModel, act, PolicyModel, NETWORK_SPECS, type NetworkSpec } from './model/index.js';
export { vtraceFromLogits, impalaLoss } from './vtrace/index.js';
export { solvePartition, DefpPartitioner, ALGORITHMS, type Algorithm, type PartitionResult } from './partition/index.js';
export { Learner, TrainStep, TrajectoryAssembler, type LearnerSink, type SplitPlanner, type TrainBatch, type TrainStats } from './learner/index.js';
export { Actor, type ActorOptions, type ActorStats } from './actor/index.js';
export { startInferenceServer, connectInference, type LearnerContract, type DeviceProfile, ProtocolError } from './transport/index.js';
export { configSchema, type RunConfig } from './config/schema.js';
export { loadConfig, resolveConfig, validateConfig, ConfigError } from './config/load.js';
export { runTraining } from './run/train.js';
export { initBackend, type BackendInfo } from './backend/index.js';
export { Rng } from './util/rng.js';
