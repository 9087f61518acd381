import { drawActors, EDGE_FLOPS, type DeviceProfile } from '../../profiles.js';
import type { NetworkSpec } from '../../networks.js';
import type { Rng } from '../../../util/rng.js';
import { PLAIN, splitStrategies } from '../../strategies.js';
import { energy, LOCAL, responseTime, sameStrategy, splitOptions, type Strategy } from '../cost.js';
import { evaluateMulti } from '../feasibility.js';
import { parseMultiInstance, type MultiInstance } from '../instance.js';
import { shieldActions } from '../shield.js';

/**
 * The collaborative-inference MDP MAHPPO trains on, built from this project's cost model: an episode
 * is one planning round of a random fleet (the simulator's device classes, links drawn per server),
 * every actor acts at once, and each gets a reward for the latency (and energy, weight β) it saved
 * over running locally, minus a penalty when its server's budgets overflow (a collision).
 */
export interface FleetOptions {
  network: NetworkSpec;
  servers: number;
  /** Inclusive range of actors per episode. */
  actors: readonly [number, number];
  shareLevels: number;
  /** Device classes to draw actors from (default: the simulator's, src/partition/profiles.ts). */
  profiles?: readonly DeviceProfile[];
}

/** A random multi-server instance: budgets admit a random 10–60% of what offloading everyone at y = 0 needs. */
export function drawFleet(opts: FleetOptions, rng: Rng): MultiInstance {
  const [lo, hi] = opts.actors;
  const n = lo + rng.int(hi - lo + 1);
  const drawn = drawActors(n, rng, opts.profiles);
  const net = opts.network;
  const demandFlops = n * net.layers.reduce((c, l) => c + l.flops, 0);
  const totalLink = drawn.reduce((s, a) => s + a.linkBytesPerSec, 0);
  const servers = Array.from({ length: opts.servers }, (_, s) => ({
    id: `s${s}`,
    flops: EDGE_FLOPS * (0.2 + 0.8 * rng.random()),
    computeBudget: (demandFlops / opts.servers) * (0.1 + 0.5 * rng.random()),
    ingressBytesPerSec: (totalLink / opts.servers) * (0.1 + 0.5 * rng.random()),
  }));
  return parseMultiInstance({
    inputBytes: net.inputBytes,
    layers: net.layers,
    servers,
    actors: drawn.map((a, i) => ({
      id: i,
      flops: a.flops,
      links: servers.map(() => a.linkBytesPerSec * Math.pow(2, 2 * rng.random() - 1)),
    })),
    shareLevels: opts.shareLevels,
  });
}

export interface RewardOptions {
  /** Weight of energy against latency (MAHPPO's β; 0 = latency only, as DEFP and the MILP optimise). */
  beta: number;
  /** Subtracted from every actor on an overflowing server (no shield) or from a substituted one (shield). */
  collisionPenalty: number;
  /** Train through the shield (SROLE): rewards come from the shielded joint action. */
  shield: boolean;
}

/**
 * What the policy's raw actions decode to: server index S means local; the codec head picks among the
 * options at the chosen split (index modulo their number: float32 first where it is offered); u maps
 * to a share level.
 */
export function decode(inst: MultiInstance, server: number, split: number, codec: number, u: number): Strategy {
  if (server === inst.servers.length) return LOCAL(inst);
  const w = 1 / (1 + Math.exp(-u));
  const q = Math.min(inst.shareLevels, Math.max(1, Math.ceil(w * inst.shareLevels)));
  const here = splitOptions(inst).filter((o) => o.y === split);
  const pick = here[codec % here.length];
  return pick.codec === PLAIN ? { server, y: split, q } : { server, y: split, q, codec: pick.codec };
}

/** The codec head's size for a network: the most (y, codec) options any split offers. */
export function codecChoices(inst: Pick<MultiInstance, 'inputBytes' | 'layers' | 'allowLossyCodecs'>): number {
  const counts = new Map<number, number>();
  for (const o of splitStrategies(inst.inputBytes, inst.layers, inst.allowLossyCodecs ?? true).slice(0, -1)) counts.set(o.y, (counts.get(o.y) ?? 0) + 1);
  return Math.max(1, ...counts.values());
}

export interface StepOutcome {
  executed: Strategy[];
  rewards: Float32Array;
  /** Budget lines the raw (unshielded) joint action broke. */
  violations: number;
  substituted: number;
}

export function stepRewards(inst: MultiInstance, proposals: Strategy[], opts: RewardOptions): StepOutcome {
  const raw = evaluateMulti(inst, proposals);
  const shielded = opts.shield ? shieldActions(inst, proposals) : undefined;
  const executed = shielded?.assignment ?? proposals;
  const overflow = new Set(raw.violations.map((v) => v.match(/^server (\S+):/)?.[1]).filter((id): id is string => id !== undefined));
  const rewards = new Float32Array(inst.actors.length);
  inst.actors.forEach((a, i) => {
    const local = LOCAL(inst);
    const cost = (s: Strategy) => responseTime(inst, a, s) + opts.beta * energy(inst, a, s);
    rewards[i] = 1 - cost(executed[i]) / cost(local);
    const p = proposals[i];
    if (opts.shield) {
      const e = executed[i];
      if (!sameStrategy(e, p)) rewards[i] -= opts.collisionPenalty;
    } else if (p.server >= 0 && overflow.has(inst.servers[p.server].id)) rewards[i] -= opts.collisionPenalty;
  });
  return { executed, rewards, violations: raw.violations.length, substituted: shielded?.substituted ?? 0 };
}
