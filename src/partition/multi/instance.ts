import { z } from 'zod';
import { InvalidInstanceError, LayerSchema } from '../instance.js';
import { splitStrategies } from '../strategies.js';

/**
 * The partition problem with several inference servers (issue 21): every actor chooses a strategy
 * (server s, split point y, codec, bandwidth share w); a layer's `codecs` (and `plain: false`) mean what
 * they mean for one learner (src/partition/instance.ts). Server s has f_s FLOP/s, a compute budget R_c^s (FLOPs
 * per round, as the paper's R_c) and an ingress of B_s bytes/s that its actors share. An actor commits
 * share w of its own link tr_{i,s} (it transmits at w·tr_{i,s}), and the committed rates on one server
 * sum to at most B_s. Shares come in `shareLevels` equal steps (w ∈ {1/Q, …, 1}), so the exact MILP
 * solves the same problem as every other planner. y = K runs on the actor and holds no server resources.
 */

const positive = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .finite()
    .positive({ message: `${what} must be > 0` });

export const ServerSchema = z.object({
  id: z.string({ error: 'server id must be a string' }).min(1, 'server id must not be empty'),
  flops: positive('server flops (f_s, FLOP/s)'),
  computeBudget: z
    .number({ error: 'server computeBudget must be a number' })
    .finite()
    .nonnegative('server computeBudget (R_c^s, FLOPs per round) must be >= 0'),
  ingressBytesPerSec: positive('server ingressBytesPerSec (B_s, bytes/s its actors share)'),
});

export const MultiActorSchema = z.object({
  id: z.union([z.string().min(1), z.number().int()], { error: 'actor id must be a string or an integer' }),
  flops: positive('actor flops (f_d, FLOP/s)'),
  /** tr_{i,s}: the actor's own link to each server, in the order of `servers`. */
  links: z.array(positive('actor link (tr_{i,s}, bytes/s)')).min(1, 'actor links must list one rate per server'),
  /** Device power figures for the energy term of MAHPPO's reward (watts). */
  computeWatts: positive('actor computeWatts').default(5),
  transmitWatts: positive('actor transmitWatts').default(1),
});

export const MultiInstanceSchema = z
  .object({
    inputBytes: positive('inputBytes (b_0, observation size in bytes)'),
    layers: z.array(LayerSchema).min(1, 'layers must list at least one layer (K >= 1)'),
    servers: z.array(ServerSchema).min(1, 'servers must list at least one inference server'),
    actors: z.array(MultiActorSchema),
    shareLevels: z.number().int().min(1, 'shareLevels (Q) must be an integer >= 1').max(64, 'shareLevels (Q) must be <= 64').default(4),
    /** false: only lossless codecs (float32, f32z) may be chosen. Default true. */
    allowLossyCodecs: z.boolean({ error: 'allowLossyCodecs must be true or false' }).optional(),
  })
  .superRefine((inst, ctx) => {
    const ids = new Set<string>();
    inst.servers.forEach((s, i) => {
      if (ids.has(s.id)) ctx.addIssue({ code: 'custom', path: ['servers', i, 'id'], message: `duplicate server id "${s.id}"` });
      ids.add(s.id);
    });
    const seen = new Set<string>();
    inst.actors.forEach((a, i) => {
      const key = String(a.id);
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['actors', i, 'id'], message: `duplicate actor id "${key}"` });
      seen.add(key);
      if (a.links.length !== inst.servers.length)
        ctx.addIssue({
          code: 'custom',
          path: ['actors', i, 'links'],
          message: `has ${a.links.length} link rates for ${inst.servers.length} servers: give one per server, in the order of servers`,
        });
    });
  });

export type ServerSpec = z.infer<typeof ServerSchema>;
export type MultiActorSpec = z.infer<typeof MultiActorSchema>;
export type MultiInstance = z.infer<typeof MultiInstanceSchema>;

/** Validates untrusted JSON as a multi-server instance; the error names every bad field. */
export function parseMultiInstance(data: unknown, where = ''): MultiInstance {
  const r = MultiInstanceSchema.safeParse(data);
  if (r.success) {
    try {
      splitStrategies(r.data.inputBytes, r.data.layers, r.data.allowLossyCodecs ?? true);
    } catch (e) {
      throw new InvalidInstanceError(`invalid multi-server partition instance${where ? ` (${where})` : ''}:\n  ${(e as Error).message}`);
    }
    return r.data;
  }
  const lines = r.error.issues.map((issue) => {
    const field =
      issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '') || '(root)';
    return `  ${field}: ${issue.code === 'invalid_type' && issue.input === undefined ? 'missing required field' : issue.message}`;
  });
  throw new InvalidInstanceError(`invalid multi-server partition instance${where ? ` (${where})` : ''}:\n${lines.join('\n')}`);
}
