import { z } from 'zod';

/**
 * A multi-actor DNN partition instance (paper §3.2). Units: FLOPs per inference, bytes, FLOP/s, bytes/s.
 * Budgets are per round: the learner's FLOPs and bandwidth units available to one inference of every actor.
 */

const positive = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .finite()
    .positive({ message: `${what} must be > 0` });
const nonNegative = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .finite()
    .nonnegative({ message: `${what} must be >= 0` });

/**
 * A feature codec an actor splitting after this layer may use instead of float32 (MAHPPO §2; ids as
 * in src/codec/spec.ts): the bytes it sends per inference and its encoder/decoder FLOPs.
 */
export const CodecOptionSchema = z.object({
  id: z.string({ error: 'codec id must be a string' }).min(1, 'codec id must not be empty'),
  bytes: positive('codec bytes (compressed size of the layer output per inference)'),
  deviceFlops: nonNegative('codec deviceFlops (encoder FLOPs on the actor)'),
  edgeFlops: nonNegative('codec edgeFlops (decoder FLOPs on the learner)'),
  lossy: z.boolean({ error: 'codec lossy must be true or false' }),
});

export const LayerSchema = z.object({
  name: z.string({ error: 'layer name must be a string' }).min(1, 'layer name must not be empty'),
  flops: nonNegative('layer flops (FLOPs per inference, c_k)'),
  outBytes: positive('layer outBytes (size of the layer output in bytes, b_k)'),
  /** Codecs for a split after this layer, besides plain float32 (none = float32 only). */
  codecs: z.array(CodecOptionSchema).optional(),
  /** false: float32 is not offered at this split, only `codecs` (a learner that holds one codec there). */
  plain: z.boolean({ error: 'layer plain must be true or false' }).optional(),
});

export const EdgeSchema = z.object({
  flops: positive('edge.flops (learner FLOP/s, f_e)'),
  computeBudget: nonNegative('edge.computeBudget (R_c, FLOPs per round)'),
  bandwidthBudget: nonNegative('edge.bandwidthBudget (R_b, bandwidth units per round)'),
  delta: nonNegative('edge.delta (bandwidth units per byte, δ)'),
  /** false: only lossless codecs (float32, f32z) may be chosen. Default true. */
  allowLossyCodecs: z.boolean({ error: 'edge.allowLossyCodecs must be true or false' }).optional(),
});

export const ActorSchema = z.object({
  id: z.union([z.string().min(1), z.number().int()], { error: 'actor id must be a string or an integer' }),
  flops: positive('actor flops (device FLOP/s, f_d)'),
  linkBytesPerSec: positive('actor linkBytesPerSec (link speed, tr_i)'),
});

/** The network and the learner, without actors: what DEFP needs before anyone joins. */
export const SystemSchema = z.object({
  inputBytes: positive('inputBytes (b_0, observation size in bytes)'),
  layers: z.array(LayerSchema).min(1, 'layers must list at least one layer (K >= 1)'),
  edge: EdgeSchema,
});

export const InstanceSchema = SystemSchema.extend({
  actors: z.array(ActorSchema),
}).superRefine((inst, ctx) => {
  const seen = new Set<string>();
  inst.actors.forEach((a, i) => {
    const key = String(a.id);
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['actors', i, 'id'], message: `duplicate actor id "${key}"` });
    seen.add(key);
  });
});

export type Layer = z.infer<typeof LayerSchema>;
export type CodecOption = z.infer<typeof CodecOptionSchema>;
export type EdgeSpec = z.infer<typeof EdgeSchema>;
export type ActorSpec = z.infer<typeof ActorSchema>;
export type PartitionSystem = z.infer<typeof SystemSchema>;
export type PartitionInstance = z.infer<typeof InstanceSchema>;
export type ActorId = ActorSpec['id'];

/** Thrown for an instance that does not match the schema; the message names every bad field. */
export class InvalidInstanceError extends Error {
  override name = 'InvalidInstanceError';
}

function formatIssues(error: z.ZodError, where: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') : '';
    const field = path.startsWith('.') ? path.slice(1) : path || '(root)';
    const msg = issue.code === 'invalid_type' && issue.input === undefined ? `missing required field` : issue.message;
    return `  ${field}: ${msg}`;
  });
  return `invalid partition instance${where}:\n${lines.join('\n')}`;
}

/** Validates untrusted JSON as an instance. `where` (e.g. a file name) is quoted in the error. */
export function parseInstance(data: unknown, where = ''): PartitionInstance {
  const r = InstanceSchema.safeParse(data);
  if (!r.success) throw new InvalidInstanceError(formatIssues(r.error, where ? ` (${where})` : ''));
  return r.data;
}

export function parseSystem(data: unknown, where = ''): PartitionSystem {
  const r = SystemSchema.safeParse(data);
  if (!r.success) throw new InvalidInstanceError(formatIssues(r.error, where ? ` (${where})` : ''));
  return r.data;
}
