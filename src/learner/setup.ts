/** How a run config becomes the learner's pieces: env options, the network, hyperparameters, the contract. */
import type { RunConfig } from '../config/schema.js';
import type { MakeEnvOptions } from '../env/types.js';
import { resolveNetworkSpec, type NetworkSpec } from '../model/index.js';
import type { LearnerContract } from '../transport/index.js';
import type { LearnerHyperParams } from './hyperparams.js';

export function modelSpecFor(config: RunConfig, inputShape: readonly number[]): NetworkSpec {
  return resolveNetworkSpec(config.model, inputShape);
}

/** Frames per agent step: Atari envs repeat each action 4 times; MinAtar counts one frame per step. */
export function actionRepeatFor(envId: string): number {
  return envId.startsWith('atari/') ? 4 : 1;
}

export function learnerHyperFromConfig(config: RunConfig): LearnerHyperParams {
  return { ...config.hyper, totalFrames: config.frames, actionRepeat: actionRepeatFor(config.env.id) };
}

/** Options for the environments a run trains on (Atari: a lost life ends a training episode, as in IMPALA). */
export function trainingEnvOptions(config: RunConfig): MakeEnvOptions {
  return {
    stickyActionProb: config.env.stickyActionProb,
    minimalActionSet: config.env.minimalActionSet,
    difficultyRamping: config.env.difficultyRamping,
    maxEpisodeSteps: config.env.maxEpisodeSteps,
    ...(config.env.romDir !== undefined ? { romDir: config.env.romDir } : {}),
    ...(config.env.id.startsWith('atari/') ? { terminalOnLifeLoss: true } : {}),
  };
}

/** What every actor of this run must run: sent at registration, so actors need no copy of the config. */
export function contractFor(config: RunConfig, spec: NetworkSpec, K: number, codecs?: Record<string, string[]>): LearnerContract {
  const { romDir: _local, ...env } = trainingEnvOptions(config);
  return {
    env: {
      id: config.env.id,
      minimalActionSet: env.minimalActionSet ?? true,
      difficultyRamping: env.difficultyRamping ?? true,
      ...(env.stickyActionProb !== undefined ? { stickyActionProb: env.stickyActionProb } : {}),
      ...(env.maxEpisodeSteps !== undefined ? { maxEpisodeSteps: env.maxEpisodeSteps } : {}),
      ...(env.terminalOnLifeLoss !== undefined ? { terminalOnLifeLoss: env.terminalOnLifeLoss } : {}),
    },
    model: spec,
    numLayers: K,
    unrollLength: config.hyper.unrollLength,
    seed: config.seed,
    ...(codecs ? { codecs } : {}),
  };
}
