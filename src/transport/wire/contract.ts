/**
 * What the learner and an actor agree on, typed and validated at both ends (zod). The learner sends
 * a LearnerContract as RegisterReply.learnerConfig (and from the Contract call, before an actor
 * knows which env it runs); an actor sends its DeviceProfile as Hello.profile. Both travel as the
 * JSON blobs the wire format already has, so the byte format is unchanged.
 */
import { z } from 'zod';
import { ProtocolError } from './messages.js';

/** Env options an actor must use to produce the data the learner trains on (no local paths). */
export const contractEnvSchema = z.strictObject({
  id: z.string().min(1),
  stickyActionProb: z.number().min(0).max(1).optional(),
  minimalActionSet: z.boolean(),
  difficultyRamping: z.boolean(),
  maxEpisodeSteps: z.number().int().positive().optional(),
  terminalOnLifeLoss: z.boolean().optional(),
});

export const learnerContractSchema = z.strictObject({
  env: contractEnvSchema,
  /** Network spec name (model/networks.ts), resolved: never 'auto'. */
  model: z.string().min(1),
  /** Layers K of that network. */
  numLayers: z.number().int().min(1),
  unrollLength: z.number().int().min(1),
  /** Run seed; actors derive their env seeds from it and their index. */
  seed: z.number().int().min(0),
  /**
   * Feature codecs the learner holds per split point ("1": ["ae4q4", "q8"], …); which one an actor
   * uses is in its RegisterReply / SplitPointChange / StepReply.newCodec.
   */
  codecs: z.record(z.string().regex(/^[1-9][0-9]*$/), z.array(z.string().min(1)).min(1)).optional(),
  /** Set in a RegisterReply: this actor's index and how many times it has registered. */
  actorIndex: z.number().int().min(0).optional(),
  registration: z.number().int().min(1).optional(),
  /**
   * Set in a RegisterReply: the CURVE keys of this registration's ZeroMQ channels (Z85) — the
   * learner's server key and a keypair made for this actor alone. The parameter and upload sockets
   * admit only keys the learner handed out, and the upload socket only this actor's.
   */
  curve: z
    .strictObject({
      serverKey: z.string().length(40),
      publicKey: z.string().length(40),
      secretKey: z.string().length(40),
    })
    .optional(),
  /**
   * Set in the Contract reply when the learner plans with decentralised proposals (partition.planner or
   * partition.multi.solver shielded-marl): the policy file (for the servers connected now), the planning
   * instance without actors (network layers with codecs, the learner and its inference servers, share
   * levels) and how many actors are registered. The actor runs the policy
   * on its own observation and sends its request as Hello.profile.proposal; the learner's shield grants
   * or substitutes it. Opaque here (the transport knows no planners): the actor validates both.
   */
  planning: z
    .strictObject({
      planner: z.literal('shielded-marl'),
      checkpoint: z.unknown(),
      instance: z.unknown(),
      actors: z.number().int().min(0),
    })
    .optional(),
});
export type LearnerContract = z.infer<typeof learnerContractSchema>;

export const deviceProfileSchema = z.strictObject({
  /** The device's measured forward-pass FLOP/s (the cost model's f_d). */
  flops: z.number().positive().optional(),
  /** The actor's link speed in bytes/s (absent: unlimited). */
  linkBytesPerSec: z.number().positive().optional(),
  /**
   * The strategy this actor's own policy asks for (decentralised planning, see LearnerContract.planning):
   * server index (0: the learner; −1 with y = K: local), split point, share level, codec at y (absent:
   * float32). The learner checks it is one of its plan's strategies.
   */
  proposal: z
    .strictObject({
      server: z.number().int().min(-1),
      y: z.number().int().min(0),
      q: z.number().int().min(0),
      codec: z.string().min(1).max(32).optional(),
      /** The id of the server it names (the instance's servers[server].id): several servers come and go. */
      serverId: z.string().min(1).max(128).optional(),
    })
    .optional(),
});
export type DeviceProfile = z.infer<typeof deviceProfileSchema>;

function parseOrFail<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.length ? `.${issue.path.join('.')}` : '';
  throw new ProtocolError('BAD_FIELD', `${what}${path}: ${issue.message}`);
}

/** RegisterReply.learnerConfig as a LearnerContract (throws ProtocolError BAD_FIELD naming the field). */
export function parseLearnerContract(value: unknown): LearnerContract {
  return parseOrFail(learnerContractSchema, value, 'RegisterReply.learnerConfig');
}

/** Hello.profile as a DeviceProfile. */
export function parseDeviceProfile(value: unknown): DeviceProfile {
  return parseOrFail(deviceProfileSchema, value, 'Hello.profile');
}
