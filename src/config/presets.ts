/**
 * Defaults that depend on the environment family, layered between the schema's defaults and a config
 * file: `coknight train --env minatar/breakout` with no file trains with what the shipped MinAtar
 * configs use, not with IMPALA's Atari learning rate. Each value carries the measurement behind it.
 */
export interface Preset {
  /** Shown by --print-config as the source of these values. */
  readonly name: string;
  readonly values: Record<string, unknown>;
}

const MINATAR: Preset = {
  name: 'preset minatar/*',
  values: {
    // IMPALA's 6e-4 is for Atari; on MinAtar 5e-3 learns ~5x faster early (300k-frame probe on Breakout: 3.4 vs 0.64 return).
    hyper: { learningRate: 0.005, rewardClip: 'none' },
    // The MinAtar paper's sticky-action probability (the env's own default too; stated so --print-config shows it).
    env: { stickyActionProb: 0.1 },
    run: { checkpointEverySeconds: 120 },
  },
};

const MINATAR_PIXELS: Preset = {
  name: 'preset minatar-pixels/*',
  // MinAtar's game rules and sticky actions, seen through IMPALA's shallow net on 84×84×4 frames (its Atari learning rate).
  values: { hyper: { rewardClip: 'none' }, env: { stickyActionProb: 0.1 } },
};

const MINATAR_BATCH16: Preset = {
  name: 'preset minatar/* (batch 16)',
  // 16 unrolls per update: twice the updates of 32 for the same frames (Space Invaders at 5M frames: 183 vs
  // 140 mean return; Breakout over 3 seeds 16.88 ± 3.6 vs 14.00 ± 3.8); every MinAtar config ships with it.
  values: { hyper: { batchSize: 16 } },
};

const ATARI: Preset = {
  name: 'preset atari/*',
  // IMPALA's Atari settings (DESIGN.md): lr 6e-4 (the schema default), rewards clipped to [-1, 1]; ALE v5's sticky actions 0.25.
  values: { hyper: { rewardClip: 'unit' }, env: { stickyActionProb: 0.25 } },
};

/** The presets that apply to an env id, most general first. */
export function presetsFor(envId: string): Preset[] {
  if (envId.startsWith('minatar-pixels/')) return [MINATAR_PIXELS];
  if (envId.startsWith('minatar/')) return [MINATAR, MINATAR_BATCH16];
  if (envId.startsWith('atari/')) return [ATARI];
  return [];
}
