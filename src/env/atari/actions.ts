import { JOY } from './core.js';

/** ALE's 18 actions in ALE's order (Action enum PLAYER_A_NOOP .. PLAYER_A_DOWNLEFTFIRE). */
export const ALE_ACTION_NAMES = [
  'NOOP',
  'FIRE',
  'UP',
  'RIGHT',
  'LEFT',
  'DOWN',
  'UPRIGHT',
  'UPLEFT',
  'DOWNRIGHT',
  'DOWNLEFT',
  'UPFIRE',
  'RIGHTFIRE',
  'LEFTFIRE',
  'DOWNFIRE',
  'UPRIGHTFIRE',
  'UPLEFTFIRE',
  'DOWNRIGHTFIRE',
  'DOWNLEFTFIRE',
] as const;

export type AleActionName = (typeof ALE_ACTION_NAMES)[number];

/** Index of an ALE action by name. */
export const A: Record<AleActionName, number> = Object.fromEntries(ALE_ACTION_NAMES.map((n, i) => [n, i])) as Record<AleActionName, number>;

/** Joystick bits held for each ALE action, derived from its name. */
export const ACTION_BITS: readonly number[] = ALE_ACTION_NAMES.map((name) => {
  let bits = 0;
  if (name.includes('UP')) bits |= JOY.UP;
  if (name.includes('DOWN')) bits |= JOY.DOWN;
  if (name.includes('LEFT')) bits |= JOY.LEFT;
  if (name.includes('RIGHT')) bits |= JOY.RIGHT;
  if (name.includes('FIRE')) bits |= JOY.FIRE;
  return bits;
});

/** All 18 actions, the full action set. */
export const FULL_ACTION_SET: readonly number[] = ALE_ACTION_NAMES.map((_, i) => i);
