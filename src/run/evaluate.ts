import { validateConfig } from '../config/load.js';
import { VectorEnv } from '../env/index.js';
import { trainingEnvOptions } from '../learner/index.js';
import { act, createModel, networkSpecFromName, type PolicyModel } from '../model/index.js';
import { Rng } from '../util/rng.js';
import { loadCheckpoint } from './checkpoint.js';

export interface PolicyScore {
  readonly episodes: number;
  readonly meanReturn: number;
  readonly medianReturn: number;
  readonly minReturn: number;
  readonly maxReturn: number;
  readonly meanLength: number;
}

export interface EvalResult {
  readonly env: string;
  readonly checkpointFrames: number;
  readonly greedy: PolicyScore;
  readonly sampling: PolicyScore;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Plays `episodes` episodes with the policy (greedy or sampled), `parallel` envs at a time. */
export async function scorePolicy(
  model: PolicyModel,
  envId: string,
  envOpts: ConstructorParameters<typeof VectorEnv>[2],
  episodes: number,
  greedy: boolean,
  seed: number,
  parallel = 16,
  onEpisode?: () => void,
): Promise<PolicyScore> {
  const n = Math.min(parallel, episodes);
  const env = new VectorEnv(envId, n, { ...envOpts, seed });
  const rng = new Rng(seed + 99991);
  let obs = env.reset();
  const returns: number[] = [];
  const lengths: number[] = [];
  // Only the first `episodes` finishers count; envs keep running until enough have finished.
  const actions = new Int32Array(n);
  while (returns.length < episodes) {
    await act(model, obs, n, { mode: greedy ? 'greedy' : 'sample', rng, out: actions });
    const r = env.step(actions);
    for (let i = 0; i < n; i++) {
      if ((r.terminated[i] || r.truncated[i]) && returns.length < episodes) {
        returns.push(r.episodeReturns[i]);
        lengths.push(r.episodeLengths[i]);
        onEpisode?.();
      }
    }
    obs = r.observations;
  }
  return {
    episodes,
    meanReturn: returns.reduce((a, b) => a + b, 0) / episodes,
    medianReturn: median(returns),
    minReturn: Math.min(...returns),
    maxReturn: Math.max(...returns),
    meanLength: lengths.reduce((a, b) => a + b, 0) / episodes,
  };
}

/** Loads a checkpoint and scores its greedy and its sampling policy on fresh seeded episodes. */
export async function evaluateCheckpoint(
  pathOrDir: string,
  episodes: number,
  seed = 12345,
  maxEpisodeSteps?: number,
  /** Called after each scored episode (2 × episodes in all), for a progress display. */
  onEpisode?: (policy: 'greedy' | 'sampling') => void,
): Promise<EvalResult> {
  const ckpt = loadCheckpoint(pathOrDir);
  const config = validateConfig(ckpt.meta.config, `checkpoint ${pathOrDir}`);
  const meta = ckpt.meta as unknown as { modelSpec: string; inputShape: [number, number, number]; numActions: number };
  const model = createModel(networkSpecFromName(meta.modelSpec, `checkpoint ${pathOrDir}`), { inputShape: meta.inputShape, numActions: meta.numActions });
  try {
    model.setLayerWeights(ckpt.weights);
    // Whole games are scored (no episode end on a lost life), as evaluations report them.
    const envOpts = {
      ...trainingEnvOptions(config),
      terminalOnLifeLoss: false,
      maxEpisodeSteps: maxEpisodeSteps ?? config.env.maxEpisodeSteps,
    };
    return {
      env: config.env.id,
      checkpointFrames: ckpt.meta.frames,
      greedy: await scorePolicy(model, config.env.id, envOpts, episodes, true, seed, 16, onEpisode && (() => onEpisode('greedy'))),
      sampling: await scorePolicy(model, config.env.id, envOpts, episodes, false, seed, 16, onEpisode && (() => onEpisode('sampling'))),
    };
  } finally {
    model.dispose();
  }
}
