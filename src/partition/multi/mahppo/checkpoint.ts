import { z } from 'zod';
import type { Strategy } from '../cost.js';
import { parseMultiInstance, type MultiInstance } from '../instance.js';
import { shieldActions } from '../shield.js';
import { codecChoices, decode } from './environment.js';
import { observationOf, observationSize } from './features.js';
import type { HybridShape } from './hybrid-policy.js';

/**
 * A trained MAHPPO planner as a file, and its policy evaluated in plain JS: a 64-unit MLP needs no
 * tensor backend, so the live planner runs synchronously on whatever backend the learner trains with
 * (the WebGPU backend has no synchronous read-back) and loads in microseconds.
 */
export const PlannerCheckpointSchema = z.object({
  format: z.literal('coknight-mahppo/1', { error: 'format must be "coknight-mahppo/1" (a file written by coknight planner train)' }),
  network: z.string(),
  servers: z.number().int().positive(),
  shareLevels: z.number().int().positive(),
  shape: z.object({ obs: z.number().int(), servers: z.number().int(), splits: z.number().int(), codecs: z.number().int(), hidden: z.number().int() }),
  weights: z.record(z.string(), z.array(z.number())),
  /** Trained through the shields (SROLE-style shielded MARL, `coknight planner train --shield`); absent in older files. */
  trainedThroughShields: z.boolean().optional(),
});
export type PlannerCheckpoint = z.infer<typeof PlannerCheckpointSchema>;

export function parsePlannerCheckpoint(data: unknown, where: string): PlannerCheckpoint {
  const r = PlannerCheckpointSchema.safeParse(data);
  if (!r.success)
    throw new Error(`${where} is not a MAHPPO planner checkpoint: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const c = r.data;
  const need = (name: string, n: number) => {
    if (c.weights[name]?.length !== n) throw new Error(`${where}: weights.${name} has ${c.weights[name]?.length ?? 0} values, the policy shape needs ${n}`);
  };
  const { obs, hidden: h } = c.shape;
  for (const [k, i, o] of [
    ['a1', obs, h],
    ['a2', h, h],
    ['server', h, c.shape.servers + 1],
    ['split', h, c.shape.splits],
    ['mu', h, 1],
  ] as const) {
    need(`${k}.w`, i * o);
    need(`${k}.b`, o);
  }
  return c;
}

/** The `planner train` option that trains on an instance's codecs (`--codecs a@1,b`, or none). */
export function codecsFlag(inst: Pick<MultiInstance, 'layers'>): string {
  const pinned: string[] = [];
  const everywhere = new Set<string>();
  inst.layers.slice(0, -1).forEach((l, i) => {
    for (const o of l.codecs ?? [])
      if (l.plain === false) pinned.push(`${o.id}@${i + 1}`);
      else everywhere.add(o.id);
  });
  const all = [...everywhere, ...pinned];
  return all.length ? `--codecs ${all.join(',')}` : 'without --codecs';
}

/** Whether a checkpoint fits an instance, and if not why (the file is trained for one shape). */
export function checkpointMismatch(c: PlannerCheckpoint, inst: MultiInstance): string | undefined {
  const K = inst.layers.length;
  if (c.shape.splits !== K) return `it was trained for a ${c.shape.splits}-layer network (${c.network}), this one has K = ${K}`;
  if (c.servers !== inst.servers.length) return `it was trained for ${c.servers} server(s), this instance has ${inst.servers.length}`;
  if (c.shape.obs !== observationSize(inst.servers.length, K))
    return `its observation size ${c.shape.obs} does not match ${observationSize(inst.servers.length, K)}`;
  if (c.shape.codecs !== codecChoices(inst))
    return `it was trained with ${c.shape.codecs} codec choice(s) per split, this network offers ${codecChoices(inst)} (train one on this network's codecs: coknight planner train ${codecsFlag(inst)})`;
  return undefined;
}

function affine(x: Float64Array, w: readonly number[], b: readonly number[], inDim: number, outDim: number, tanh: boolean): Float64Array {
  const y = new Float64Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let s = b[o];
    for (let i = 0; i < inDim; i++) s += x[i] * w[i * outDim + o];
    y[o] = tanh ? Math.tanh(s) : s;
  }
  return y;
}

const argmax = (xs: Float64Array) => xs.reduce((best, v, k) => (v > xs[best] ? k : best), 0);

/**
 * One actor's proposal, the policy's mode (argmax heads, u = μ) on that actor's own observation with n
 * actors sharing the servers: what a decentralised actor computes on its device.
 */
export function proposeFromCheckpoint(c: PlannerCheckpoint, inst: MultiInstance, i: number, n: number): Strategy {
  const why = checkpointMismatch(c, inst);
  if (why) throw new Error(`the MAHPPO planner checkpoint does not fit: ${why}`);
  const { obs: D, hidden: H } = c.shape as HybridShape;
  const W = c.weights;
  const h1 = affine(Float64Array.from(observationOf(inst, i, n)), W['a1.w'], W['a1.b'], D, H, true);
  const h2 = affine(h1, W['a2.w'], W['a2.b'], H, H, true);
  const server = argmax(affine(h2, W['server.w'], W['server.b'], H, c.shape.servers + 1, false));
  const split = argmax(affine(h2, W['split.w'], W['split.b'], H, c.shape.splits, false));
  const codec = argmax(affine(h2, W['codec.w'], W['codec.b'], H, c.shape.codecs, false));
  const mu = affine(h2, W['mu.w'], W['mu.b'], H, 1, false)[0];
  return decode(inst, server, split, codec, mu);
}

/** The policy's mode for every actor, optionally behind the shields. */
export function planFromCheckpoint(c: PlannerCheckpoint, inst: MultiInstance, opts: { shield: boolean }): Strategy[] {
  const n = inst.actors.length;
  const proposals = inst.actors.map((_, i) => proposeFromCheckpoint(c, inst, i, n));
  return opts.shield ? shieldActions(inst, proposals).assignment : proposals;
}

/**
 * What an actor's policy asks for itself (decentralised planning): the mode on its own observation of
 * `base` (the plan without actors: network, servers, share levels), one link to every server, with
 * `n` actors in the fleet, itself included. `where` names the base's source in a validation error.
 */
export function askAsActor(c: PlannerCheckpoint, base: unknown, self: { flops: number; link: number }, n: number, where = 'planning instance'): Strategy {
  const servers = (base as { servers?: unknown } | null)?.servers;
  const links = (Array.isArray(servers) ? servers : [undefined]).map(() => self.link);
  const inst = parseMultiInstance({ ...(base as object), actors: [{ id: 'self', flops: self.flops, links }] }, where);
  return proposeFromCheckpoint(c, inst, 0, n);
}
