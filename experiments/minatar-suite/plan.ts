/**
 * What the MinAtar suite (issue 17) runs and what it compares against: pure data and functions, so the
 * runner is a thin shell and the table/pass logic is unit-tested.
 */

export const GAMES = ['breakout', 'space_invaders', 'freeway', 'asterix', 'seaquest'] as const;
export type Game = (typeof GAMES)[number];
export const MODES = ['local', 'coknight', 'seed', 'impala'] as const;
export type Mode = (typeof MODES)[number];

/**
 * MinAtar paper (Young & Tian 2019), 5M frames, 30 seeds, sticky 0.1: AC(λ) and DQN final returns.
 * The bar a local-mode run must reach is the better of the two.
 */
export const BASELINES: Record<Game, { acLambda: number; dqn: number }> = {
  breakout: { acLambda: 17.5, dqn: 10 },
  space_invaders: { acLambda: 185, dqn: 43 },
  freeway: { acLambda: 47, dqn: 50 },
  asterix: { acLambda: 19, dqn: 17 },
  seaquest: { acLambda: 15, dqn: 20 },
};

export const target = (game: Game): number => Math.max(BASELINES[game].acLambda, BASELINES[game].dqn);

export interface RunSpec {
  game: Game;
  mode: Mode;
  seed: number;
  frames: number;
  /** Actor processes for the distributed modes. */
  actors: number;
  /** Run directory name under the suite's runs root. */
  name: string;
}

export interface PlanOptions {
  quick: boolean;
  games?: readonly Game[];
  modes?: readonly Mode[];
  seeds?: readonly number[];
  frames?: number;
}

export const runName = (game: Game, mode: Mode, seed: number): string => `${game}-${mode}-s${seed}`;

/**
 * The plan: local mode on every game (3 seeds on Breakout and Space Invaders, 1 elsewhere) and
 * coknight / seed / impala with 8 actors on those two games, all at 5M frames. `quick` is a smoke run
 * of the same pipeline: 20k frames, Breakout and Asterix (short episodes; a Freeway episode alone is 2,500 steps), two actors. Explicit games/modes/seeds/frames narrow it.
 */
export function suitePlan(opts: PlanOptions): RunSpec[] {
  const frames = opts.frames ?? (opts.quick ? 20_000 : 5_000_000);
  const actors = opts.quick ? 2 : 8;
  const games = opts.games ?? (opts.quick ? (['breakout', 'asterix'] as const) : GAMES);
  const modes = opts.modes ?? MODES;
  const specs: RunSpec[] = [];
  for (const game of games) {
    const twoMain = game === 'breakout' || game === 'space_invaders';
    for (const mode of modes) {
      if (mode !== 'local' && !twoMain) continue;
      const seeds = opts.seeds ?? (opts.quick ? [1] : mode === 'local' && twoMain ? [1, 2, 3] : [1]);
      for (const seed of seeds) specs.push({ game, mode, seed, frames, actors, name: runName(game, mode, seed) });
    }
  }
  return specs;
}

/** The `coknight train` arguments of one run (the shipped per-game config, flags for the rest). */
export function trainArgs(spec: RunSpec, runDir: string, resume: boolean): string[] {
  const args = ['train', '--config', `configs/minatar-${spec.game}.yaml`, '--frames', String(spec.frames), '--seed', String(spec.seed)];
  if (spec.mode !== 'local') args.push('--mode', spec.mode, '--actors', String(spec.actors));
  args.push(...(resume ? ['--resume', runDir] : ['--run-dir', runDir]), '--progress', 'lines');
  return args;
}

export function parseList<T extends string>(what: string, raw: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((s) => s.trim());
  for (const it of items) if (!(allowed as readonly string[]).includes(it)) throw new Error(`--${what}: "${it}" is not one of ${allowed.join(', ')}`);
  return items as T[];
}
