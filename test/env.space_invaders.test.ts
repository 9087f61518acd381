import { randomPolicyMeanReturn } from './helpers/random-policy.js';
import { describe, expect, it } from 'vitest';
import { makeEnv, type MinAtarEnv } from '../src/env/index.js';
import { type SpaceInvaders } from '../src/env/minatar/space_invaders.js';

const NOOP = 0;
const LEFT = 1;
const RIGHT = 3;
const FIRE = 5;

function invaders(opts: { ramping?: boolean; seed?: number } = {}): { env: MinAtarEnv; game: SpaceInvaders } {
  const env = makeEnv('minatar/space_invaders', {
    seed: opts.seed ?? 0,
    stickyActionProb: 0,
    difficultyRamping: opts.ramping ?? true,
  }) as MinAtarEnv;
  env.reset();
  return { env, game: env.game as SpaceInvaders };
}

/** Replaces the alien block with the given (y, x) cells and parks both alien timers far away. */
function placeAliens(game: SpaceInvaders, cells: [number, number][]): void {
  game.aliens.fill(0);
  for (const [y, x] of cells) game.aliens[y] |= 1 << x;
  game.alienMoveTimer = 100;
  game.alienShotTimer = 100;
}

function alienCells(game: SpaceInvaders): [number, number][] {
  const out: [number, number][] = [];
  for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) if (game.aliens[y] & (1 << x)) out.push([y, x]);
  return out;
}

/** FNV-1a over the observation bytes: a compact fingerprint for trajectory comparisons. */
function obsHash(obs: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < obs.length; i++) h = Math.imul(h ^ obs[i], 0x01000193);
  return h >>> 0;
}

/** Cells set in channel c of an HWC observation. */
function channelCells(obs: Uint8Array, c: number, channels = 6): [number, number][] {
  const out: [number, number][] = [];
  for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) if (obs[(y * 10 + x) * channels + c]) out.push([y, x]);
  return out;
}

function block(rows: number[], cols: number[]): [number, number][] {
  return rows.flatMap((y) => cols.map((x): [number, number] => [y, x]));
}

describe('MinAtar Space Invaders rules', () => {
  it('starts with a 4x6 alien block in rows 0..3, columns 2..7, moving left, cannon at column 5', () => {
    const { env, game } = invaders();
    expect(env.observationShape).toEqual([10, 10, 6]);
    expect(env.observationSpec.channelNames).toEqual(['cannon', 'alien', 'alien_left', 'alien_right', 'friendly_bullet', 'enemy_bullet']);
    expect(alienCells(game)).toEqual(block([0, 1, 2, 3], [2, 3, 4, 5, 6, 7]));
    expect([game.pos, game.alienDirection, game.alienMoveTimer, game.alienShotTimer, game.shotTimer]).toEqual([5, -1, 12, 10, 0]);
    const obs = env.reset();
    expect(channelCells(obs, 0)).toEqual([[9, 5]]);
    expect(channelCells(obs, 1)).toEqual(block([0, 1, 2, 3], [2, 3, 4, 5, 6, 7]));
    expect(channelCells(obs, 2)).toEqual(channelCells(obs, 1)); // moving left
    expect(channelCells(obs, 3)).toEqual([]);
    expect(channelCells(obs, 4)).toEqual([]);
    expect(channelCells(obs, 5)).toEqual([]);
  });

  it('exposes the minimal action set noop, left, right, fire', () => {
    const env = makeEnv('minatar/space_invaders', { minimalActionSet: true });
    expect(env.actionSpec.names).toEqual(['NOOP', 'LEFT', 'RIGHT', 'FIRE']);
    expect(makeEnv('minatar/space_invaders').actionSpec.n).toBe(6);
  });

  it('fires a bullet that climbs one row a step, respects the cool-down and kills an alien for +1', () => {
    const { env, game } = invaders();
    placeAliens(game, [
      [7, 5],
      [0, 0],
    ]);
    // Fire: the bullet appears on row 9 and has already moved to row 8 by the end of the step.
    let r = env.step(FIRE);
    expect(r.reward).toBe(0);
    expect(game.friendlyBullets[8]).toBe(1 << 5);
    expect(game.shotTimer).toBe(4);
    expect(channelCells(r.observation, 4)).toEqual([[8, 5]]);
    // Firing again during the cool-down adds no bullet; the first one reaches the alien.
    r = env.step(FIRE);
    expect(r.reward).toBe(1);
    expect(alienCells(game)).toEqual([[0, 0]]);
    expect(Array.from(game.friendlyBullets)).toEqual(new Array(10).fill(0));
    expect(game.shotTimer).toBe(3);
    // After the cool-down runs out the cannon can fire again.
    env.step(NOOP);
    env.step(NOOP);
    env.step(NOOP);
    expect(game.shotTimer).toBe(0);
    env.step(FIRE);
    expect(game.friendlyBullets[8]).toBe(1 << 5);
  });

  it('moves the block sideways, then reverses and steps down at the edge', () => {
    const { env, game } = invaders();
    game.alienMoveTimer = 0;
    env.step(NOOP);
    expect(alienCells(game)).toEqual(block([0, 1, 2, 3], [1, 2, 3, 4, 5, 6]));
    expect(game.alienMoveTimer).toBe(11); // min(24 aliens, 12) - 1
    game.alienMoveTimer = 0;
    env.step(NOOP);
    expect(alienCells(game)).toEqual(block([0, 1, 2, 3], [0, 1, 2, 3, 4, 5]));
    // Column 0 is occupied while moving left: reverse and descend instead of moving sideways.
    game.alienMoveTimer = 0;
    const r = env.step(NOOP);
    expect(alienCells(game)).toEqual(block([1, 2, 3, 4], [0, 1, 2, 3, 4, 5]));
    expect(game.alienDirection).toBe(1);
    expect(channelCells(r.observation, 3)).toEqual(block([1, 2, 3, 4], [0, 1, 2, 3, 4, 5]));
    expect(channelCells(r.observation, 2)).toEqual([]);
    game.alienMoveTimer = 0;
    env.step(NOOP);
    expect(alienCells(game)).toEqual(block([1, 2, 3, 4], [1, 2, 3, 4, 5, 6]));
  });

  it('speeds up as the wave thins: the move interval is min(aliens left, interval)', () => {
    const { env, game } = invaders();
    placeAliens(game, [
      [0, 3],
      [0, 5],
      [1, 4],
    ]);
    game.alienMoveTimer = 0;
    env.step(NOOP);
    expect(game.alienMoveTimer).toBe(2); // set to 3, then the end-of-step decrement
    expect(alienCells(game)).toEqual([
      [0, 2],
      [0, 4],
      [1, 3],
    ]);
  });

  it('drops enemy bullets from the lowest alien of the column nearest the cannon (ties to the left)', () => {
    const { env, game } = invaders();
    placeAliens(game, [
      [1, 3],
      [2, 3],
      [4, 7],
    ]);
    game.alienShotTimer = 0;
    env.step(NOOP); // cannon at 5: columns 3 and 7 are both 2 away, the left one shoots
    expect(game.enemyBullets[2]).toBe(1 << 3);
    expect(game.alienShotTimer).toBe(9);
    env.step(NOOP);
    expect(game.enemyBullets[2]).toBe(0);
    expect(game.enemyBullets[3]).toBe(1 << 3);
    game.alienShotTimer = 0;
    const r = env.step(RIGHT); // cannon at 6, column 7 is now nearest
    expect(game.pos).toBe(6);
    expect(game.enemyBullets[4]).toBe((1 << 3) | (1 << 7));
    expect(channelCells(r.observation, 5)).toEqual([
      [4, 3],
      [4, 7],
    ]);
  });

  it('ends the episode when an enemy bullet reaches the cannon', () => {
    let { env, game } = invaders();
    game.enemyBullets[8] = 1 << 5;
    let r = env.step(NOOP);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(0);
    expect(r.info.lives).toBe(0);
    expect(() => env.step(NOOP)).toThrow(/reset/);
    // Stepping aside in the same step dodges it.
    ({ env, game } = invaders());
    game.enemyBullets[8] = 1 << 5;
    r = env.step(LEFT);
    expect(r.terminated).toBe(false);
    expect(game.enemyBullets[9]).toBe(1 << 5);
    r = env.step(NOOP); // the bullet leaves the screen
    expect(r.terminated).toBe(false);
    expect(Array.from(game.enemyBullets)).toEqual(new Array(10).fill(0));
  });

  it('ends the episode when aliens reach the cannon or must step down from the bottom row', () => {
    let { env, game } = invaders();
    placeAliens(game, [[9, 6]]);
    game.alienMoveTimer = 0;
    expect(env.step(NOOP).terminated).toBe(true); // slides onto the cannon at (9, 5)

    ({ env, game } = invaders());
    placeAliens(game, [
      [9, 0],
      [8, 1],
    ]);
    game.pos = 8;
    game.alienMoveTimer = 0;
    expect(env.step(NOOP).terminated).toBe(true); // edge reached with an alien on row 9

    ({ env, game } = invaders());
    placeAliens(game, [[9, 2]]);
    game.pos = 8;
    game.alienMoveTimer = 0;
    expect(env.step(NOOP).terminated).toBe(false); // on row 9 but away from the cannon and the edge
  });

  it('brings a new wave when the last alien dies and ramps the move interval down to 6', () => {
    for (const ramping of [true, false]) {
      const { env, game } = invaders({ ramping });
      placeAliens(game, [[7, 5]]);
      game.friendlyBullets[8] = 1 << 5;
      const r = env.step(NOOP);
      expect(r.reward).toBe(1);
      expect(alienCells(game)).toEqual(block([0, 1, 2, 3], [2, 3, 4, 5, 6, 7]));
      expect(game.enemyMoveInterval).toBe(ramping ? 11 : 12);
      expect(game.rampIndex).toBe(ramping ? 1 : 0);
    }
    const { env, game } = invaders();
    game.enemyMoveInterval = 6;
    placeAliens(game, [[7, 5]]);
    game.friendlyBullets[8] = 1 << 5;
    env.step(NOOP);
    expect(game.enemyMoveInterval).toBe(6);
    expect(game.rampIndex).toBe(0);
  });

  it('is deterministic given the seed; seeds differ only through sticky actions', () => {
    const run = (seed: number): string => {
      const env = makeEnv('minatar/space_invaders', { seed, stickyActionProb: 0.1 });
      const trace: number[] = [];
      env.reset();
      for (let t = 0; t < 600; t++) {
        const r = env.step((t * 7) % 6);
        trace.push(r.reward, r.info.executedAction, obsHash(r.observation));
        if (r.terminated || r.truncated) env.reset();
      }
      return trace.join(',');
    };
    expect(run(5)).toBe(run(5));
    expect(run(5)).not.toBe(run(6));
  });

  // The reference (MinAtar's space_invaders.py with numpy's generator, sticky 0.1, 4000 episodes) gives
  // a random-policy mean of 2.833 (sd 2.28) with the full action set and 3.994 (sd 3.25) with the
  // minimal one (it fires 1/4 of the time instead of 1/6). Each range is that mean +- about 3.5
  // standard errors of a 200-episode mean (0.161 and 0.230). This code, seeds below: 2.955 and 3.82
  // (over 4000 episodes: 2.820 and 3.986).
  it('random policy (sticky 0.1) scores about 3 per episode over 200 seeded episodes', () => {
    for (const [minimalActionSet, lo, hi] of [
      [false, 2.27, 3.4],
      [true, 3.19, 4.8],
    ] as const) {
      const mean = randomPolicyMeanReturn('minatar/space_invaders', minimalActionSet);
      expect(mean).toBeGreaterThan(lo);
      expect(mean).toBeLessThan(hi);
    }
  });
});
