import { z } from 'zod';
import { parseBandwidth } from '../util/bandwidth.js';

/**
 * The run configuration: one schema for YAML files and command-line overrides, so that a bad value
 * fails before anything starts, with the dotted path of the field in the message.
 */
export const hyperSchema = z.strictObject({
  unrollLength: z.number().int().min(1).default(20),
  batchSize: z.number().int().min(1).default(32),
  discount: z.number().min(0).max(1).default(0.99),
  baselineCost: z.number().min(0).default(0.5),
  entropyCost: z.number().min(0).default(0.01),
  learningRate: z.number().positive().default(0.0006),
  annealLearningRate: z.boolean().default(true),
  rmspropDecay: z.number().min(0).max(1).default(0.99),
  rmspropMomentum: z.number().min(0).max(1).default(0),
  rmspropEpsilon: z.number().positive().default(0.01),
  gradClipNorm: z.number().positive().default(40),
  /** 'unit' clips rewards to [-1, 1] (Atari); 'none' leaves them (MinAtar rewards are small already). */
  rewardClip: z.enum(['none', 'unit']).default('none'),
  clipRhoThreshold: z.number().positive().default(1),
  clipPgRhoThreshold: z.number().positive().default(1),
  clipCThreshold: z.number().positive().default(1),
  lambda: z.number().min(0).max(1).default(1),
  /**
   * Initial RMSProp mean square. TF1's RMSPropOptimizer (used by scalable_agent) starts it at 1;
   * tfjs (and Keras) start at 0, which makes the first updates ~10× larger with ε = 0.01.
   */
  rmspropInitialMeanSquare: z.enum(['ones', 'zeros']).default('ones'),
  /** Columns of the batch per forward/backward pass (gradient accumulation); 0 = the whole batch. */
  microBatchSize: z.number().int().min(0).default(0),
});

export const envSchema = z.strictObject({
  id: z.string().min(1).default('minatar/breakout'),
  stickyActionProb: z.number().min(0).max(1).optional(),
  minimalActionSet: z.boolean().default(true),
  difficultyRamping: z.boolean().default(true),
  maxEpisodeSteps: z.number().int().positive().optional(),
  romDir: z.string().optional(),
});

export const runSchema = z.strictObject({
  /** Run directory; defaults to runs/<env>-<mode>-<seed>-<timestamp>. */
  dir: z.string().optional(),
  checkpointEverySeconds: z.number().positive().default(300),
  logEverySeconds: z.number().positive().default(10),
  /** Episodes averaged for finalMeanReturn and the progress line. */
  returnWindow: z.number().int().positive().default(100),
  progress: z.enum(['auto', 'bar', 'lines', 'none']).default('auto'),
});

/** Bandwidth as text ('10MB/s', '500KB/s', '1.5Mbit/s', 'unlimited') or bytes per second. */
const bandwidth = z.union([
  z
    .string()
    .min(1)
    .superRefine((s, ctx) => {
      try {
        parseBandwidth(s);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    }),
  z.number().positive(),
]);

/**
 * A cooperative-inference site (issue 20) started beside the plain actors: one actor process (the
 * coordinator) and one worker process per device, which jointly run the actor's head. One site is one
 * actor to the learner. Device classes are src/testbed/classes.ts's (checked when the run starts).
 */
export const siteSchema = z.strictObject({
  /** Device classes of the site's workers, e.g. ['rpi4', 'rpi4', 'rpi3']. */
  devices: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a device class name such as "rpi4"')).min(1, 'a site needs at least one device'),
  /** Planner of the site's blocks, re-run for every split point and every lost device. */
  plan: z.enum(['mls', 'sls', 'single']).default('mls'),
  /** Each worker's link to the coordinator, as the planner sees it, and its latency per message. */
  link: bandwidth.default('2.5MB/s'),
  latencyMs: z.number().min(0).default(2),
  /** Environments the site's actor steps (default distributed.envsPerActor). */
  envs: z.number().int().positive().optional(),
});

export const distributedSchema = z.strictObject({
  /** Actor processes `coknight train` starts on this machine (seed/impala/coknight modes). */
  actors: z.number().int().positive().default(8),
  /** Environments each actor steps together (batchSize unrolls are drawn from all of them). */
  envsPerActor: z.number().int().positive().default(4),
  /** Env groups per actor process, each with its own stream, sharing the actor's link (hides latency). */
  streamsPerActor: z.number().int().positive().default(1),
  /** How spawned actors send trajectory uploads (`coknight actor --upload-compression`); the learner takes both. */
  uploadCompression: z.enum(['deflate', 'none']).default('deflate'),
  /** Learner gRPC address; port 0 picks a free port. */
  listen: z.string().default('127.0.0.1:0'),
  /** Host actors use to reach the learner's ZeroMQ sockets (default: the listen host, or 127.0.0.1). */
  advertiseHost: z.string().optional(),
  /** Shared secret actors present; default: $COKNIGHT_TOKEN, or a random one for spawned actors. */
  token: z.string().min(1).optional(),
  /** Dynamic batching of inference: env-steps per batch and the longest wait of a request. */
  maxBatch: z.number().int().positive().default(64),
  maxWaitMs: z.number().min(0).default(2),
  /**
   * Fixed split point per actor in coknight mode (spawned actor a<i> takes entry i, remote actors in
   * join order); empty or any -1 lets DEFP decide live.
   */
  splitPoints: z.array(z.number().int().min(-1)).default([]),
  /**
   * Feature codec for actors at split point codecSplit (src/codec/spec.ts: f16, f32z, q<bits>, q8z,
   * ae<ch>q<bits>); absent = float32. The live planner prices that split at the codec's size.
   */
  codec: z.string().min(1).optional(),
  /**
   * Several codecs (the first is the one trained on the forward path; see docs/codec.md): each entry
   * `<id>` (at codecSplit) or `<id>@<y>`; the learner holds one trained codec per (y, id) and the
   * planner picks one per actor. `codec: x` is the same as `codecs: [x]`; set one of the two.
   */
  codecs: z
    .array(z.string().regex(/^[a-z0-9]+(@[1-9][0-9]*)?$/, 'each entry is a codec id, optionally @<split point>, e.g. ae4q4 or q8@2'))
    .min(1)
    .refine((l) => new Set(l).size === l.length, 'lists a codec twice')
    .optional(),
  /**
   * With fixed splitPoints: the codec of each spawned actor (entry i for a<i>; '' or absent = the
   * first codec held at its split point, float32 where none is).
   */
  splitCodecs: z.array(z.string()).default([]),
  /** false: refuse a lossy distributed.codec (only f32z is lossless). */
  allowLossyCodecs: z.boolean().default(true),
  /**
   * Where the codec is used and trained (default: the lowest split it fits; local mode acts through it
   * there), and how it trains with the model (src/learner/codec-training.ts): 'joint' or 'two-stage' (codec alone for
   * codecFrozenUpdates updates, then all at codecFineTuneLrScale × the learning rate).
   */
  codecSplit: z.number().int().positive().optional(),
  /** Published decoder versions the learner keeps per codec, so that it decodes each step with the decoder of the encoder that coded it. */
  codecDecoderVersions: z.number().int().min(1).default(4),
  codecTraining: z.enum(['joint', 'two-stage']).default('joint'),
  codecReconstructionWeight: z.number().min(0).default(1),
  codecFrozenUpdates: z.number().int().min(0).default(200),
  codecFineTuneLrScale: z.number().positive().max(1).default(0.1),
  /** Sites started beside the `actors` plain actors (ids site0, site1, …). */
  sites: z.array(siteSchema).default([]),
  /** Link cap of every actor, and per-actor overrides (index order). */
  bandwidth: bandwidth.default('unlimited'),
  actorBandwidth: z.array(bandwidth).default([]),
  /** Unrolls waiting for the learner beyond this are dropped oldest-first (bounded memory and policy lag). */
  maxQueuedUnrolls: z.number().int().positive().default(256),
  /**
   * When the unroll queue is full: 'wait' holds the actors back (uploads are not read and inference
   * replies wait, so nothing they produce is thrown away); 'drop-oldest' keeps them running and drops
   * the oldest unrolls (more data, more of it stale, some of it discarded).
   */
  queueFull: z.enum(['wait', 'drop-oldest']).default('wait'),
  /** Publish parameters every this many updates. */
  paramSyncEvery: z.number().int().positive().default(1),
  /** Prometheus /metrics address ('' disables); binds to localhost unless told otherwise. */
  metricsListen: z.string().default('127.0.0.1:0'),
  /** TLS for the gRPC link: PEM file paths. */
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
  tlsCa: z.string().optional(),
  /** Largest numEnvs one actor may register (each env holds unfinished unrolls on the learner). */
  maxEnvsPerActor: z.number().int().positive().default(256),
  /** Unfinished unrolls held per env of an actor; beyond it the oldest is dropped (counted in the step accounting). */
  maxPendingUnrollsPerEnv: z.number().int().positive().default(8),
  /** Bytes of partial (chunked) uploads held per actor; a chunk beyond it drops its upload. */
  maxPendingUploadBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /** Departed actors remembered (summary rows, metric series); older ones are forgotten, their totals kept. */
  maxDepartedActors: z.number().int().min(0).default(64),
  /** Rewards, uploaded logits and activations with a larger magnitude are rejected at intake. */
  maxAbsReward: z.number().positive().default(1e6),
  maxAbsLogit: z.number().positive().default(1e4),
  maxAbsActivation: z.number().positive().default(1e8),
  /** gRPC connections: the most at once, and how long an idle one (no stream) is kept. */
  maxConnections: z.number().int().positive().default(1024),
  /**
   * Inference servers (`coknight serve`): 'balance' puts each actor on the server with the fewest actors;
   * 'manual' keeps actors on the learner until moved (Learner.servers.move); 'plan' (coknight mode) solves
   * the multi-server problem (partition.multi) on every join and leave and moves actors and split points.
   */
  serverAssign: z.enum(['balance', 'manual', 'plan'], { error: "distributed.serverAssign must be 'balance', 'manual' or 'plan'" }).default('balance'),
  connectionIdleMs: z.number().int().positive().default(30_000),
});

/** One `coknight serve` as the multi-server planner sees it (defaults: the learner's FLOP/s, no budgets). */
const plannedServerSchema = z.strictObject({
  flops: z.number({ error: 'partition.multi.servers.<id>.flops must be a number (FLOP/s)' }).positive().optional(),
  computeBudget: z.number({ error: 'partition.multi.servers.<id>.computeBudget must be a number (FLOPs per round)' }).nonnegative().optional(),
  ingressBytesPerSec: z.number({ error: 'partition.multi.servers.<id>.ingressBytesPerSec must be a number (bytes/s)' }).positive().optional(),
});

/** distributed.serverAssign 'plan': the multi-server planner (src/partition/multi) run live by the learner. */
const multiPlanSchema = z.strictObject({
  solver: z
    .enum(['defp', 'greedy', 'milp', 'mahppo', 'shielded-marl'], {
      error: "partition.multi.solver must be 'defp', 'greedy', 'milp', 'mahppo' or 'shielded-marl'",
    })
    .default('defp'),
  /**
   * solver mahppo or shielded-marl: MAHPPO planner files (`coknight planner train --servers N`, with
   * --shield for shielded-marl), one per server count (the learner counts as one); a re-plan with a
   * count no file covers uses DEFP and says so. shielded-marl: each actor runs the policy for the
   * servers connected when it registers and asks (Hello.profile.proposal); the shields grant or substitute.
   */
  plannerCheckpoints: z.array(z.string().min(1)).default([]),
  /** Bandwidth-share steps Q of the multi-server problem. */
  shareLevels: z.number().int().min(1).max(64).default(4),
  /** MILP time limit per re-plan, seconds. */
  milpTimeLimitSec: z.number().positive().default(5),
  /** Declared FLOP/s and budgets per server id; a server not listed gets the learner's FLOP/s and no budgets. */
  servers: z.record(z.string().min(1), plannedServerSchema).default({}),
});

/** The learner side of the partition problem (paper §3.2) for coknight mode's live DEFP planner. */
export const partitionSchema = z.strictObject({
  /** Several inference servers: what distributed.serverAssign 'plan' solves with. */
  multi: multiPlanSchema.prefault({}),
  /** Learner FLOP/s (f_e); default: measured at start-up on the learner's own network. */
  edgeFlops: z.number().positive().optional(),
  /** Learner compute budget R_c per round, in FLOPs (default: unlimited). */
  computeBudget: z.number().positive().optional(),
  /** Learner bandwidth budget R_b per round, in bytes × delta (default: unlimited). */
  bandwidthBudget: z.number().positive().optional(),
  delta: z.number().positive().default(1),
  /** Actor device FLOP/s when an actor reports no profile. */
  defaultActorFlops: z.number().positive().default(2e9),
  /** Improvement passes of DEFP per join/leave. */
  passesPerEvent: z.number().int().min(0).default(10),
  /**
   * coknight mode's live planner: DEFP; a MAHPPO policy trained by `coknight planner train`, run by the
   * learner for every actor; or 'shielded-marl' (SROLE-style): each actor runs the policy on its own
   * observation and asks for a strategy, the learner's shield grants or substitutes it (train the file
   * with `coknight planner train --shield`).
   */
  planner: z.enum(['defp', 'mahppo', 'shielded-marl']).default('defp'),
  /** The MAHPPO planner file (required with planner mahppo or shielded-marl). */
  plannerCheckpoint: z.string().min(1).optional(),
  /** The learner's ingress in bytes/s that actors' committed rates share (MAHPPO planner; default unlimited). */
  ingressBytesPerSec: z.number().positive().optional(),
});

/** Defaults are DESIGN.md's (IMPALA paper, Atari); config/presets.ts adjusts some per env family. */
export const configSchema = z
  .strictObject({
    mode: z.enum(['local', 'seed', 'impala', 'coknight']).default('local'),
    frames: z.number().int().positive().default(5_000_000),
    seed: z.number().int().min(0).default(1),
    backend: z.enum(['auto', 'native', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto'),
    /** Who runs inference (actor heads, learner tails, eval, local acting); training stays on tfjs. */
    inference: z.enum(['auto', 'onnx', 'tfjs']).default('auto'),
    /** onnxruntime intra-op threads per session (1 matches the single-threaded tfjs measurements). */
    inferenceThreads: z.number().int().min(1).default(1),
    /**
     * Where a distributed learner trains: 'worker' (a worker thread, so updates do not block
     * inference on the main thread; feature codecs train there with the model), 'main', or 'auto'
     * (the worker unless the backend is a GPU's). Local mode trains between its own steps either way.
     */
    trainThread: z.enum(['auto', 'main', 'worker']).default('auto'),
    model: z.enum(['auto', 'minatar', 'impala-shallow', 'impala-deep']).default('auto'),
    env: envSchema.prefault({}),
    hyper: hyperSchema.prefault({}),
    run: runSchema.prefault({}),
    distributed: distributedSchema.prefault({}),
    partition: partitionSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.trainThread === 'worker' && (c.backend === 'webgpu' || c.backend === 'tensorflow'))
      ctx.addIssue({
        code: 'custom',
        path: ['trainThread'],
        message: `'worker' trains on the wasm, native or cpu backend; backend '${c.backend}' stays on the main thread: use 'auto' or 'main'`,
      });
    if (c.distributed.serverAssign === 'plan' && c.mode !== 'coknight')
      ctx.addIssue({
        code: 'custom',
        path: ['distributed', 'serverAssign'],
        message: `'plan' chooses split points as well as servers, so it needs mode coknight (mode is ${c.mode}): use 'balance' or 'manual' in ${c.mode} mode`,
      });
    if (c.distributed.serverAssign === 'plan' && c.partition.planner !== 'defp')
      ctx.addIssue({
        code: 'custom',
        path: ['partition', 'planner'],
        message:
          "distributed.serverAssign 'plan' solves with partition.multi.solver, not partition.planner: for learned plans over several servers set partition.multi.solver to mahppo (or shielded-marl: the actors ask) with partition.multi.plannerCheckpoints (one file per server count), and partition.planner to defp",
      });
    if ((c.partition.multi.solver === 'mahppo' || c.partition.multi.solver === 'shielded-marl') && c.partition.multi.plannerCheckpoints.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['partition', 'multi', 'plannerCheckpoints'],
        message: `partition.multi.solver is ${c.partition.multi.solver} but no plannerCheckpoints are given: train one per server count with \`coknight planner train --servers N${c.partition.multi.solver === 'shielded-marl' ? ' --shield' : ''} --out <file>\` and list the files`,
      });
    if (c.partition.planner !== 'defp' && c.partition.plannerCheckpoint === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['partition', 'plannerCheckpoint'],
        message: `partition.planner is ${c.partition.planner} but no plannerCheckpoint is given: train one with \`coknight planner train${c.partition.planner === 'shielded-marl' ? ' --shield' : ''} --out <file>\` and set partition.plannerCheckpoint to it`,
      });
    if (c.distributed.codec !== undefined && c.distributed.codecs !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['distributed', 'codecs'],
        message: `both distributed.codec ("${c.distributed.codec}") and distributed.codecs are set: use codecs: [${c.distributed.codec}, …] alone`,
      });
    }
    // The learner trains on batchSize unrolls at a time: a shorter queue would never fill a batch.
    if (c.distributed.maxQueuedUnrolls < c.hyper.batchSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['distributed', 'maxQueuedUnrolls'],
        message: `${c.distributed.maxQueuedUnrolls} is less than hyper.batchSize ${c.hyper.batchSize}: the learner could never fill a batch; use at least ${c.hyper.batchSize}`,
      });
    }
  });

export type RunConfig = z.infer<typeof configSchema>;
export type HyperParams = z.infer<typeof hyperSchema>;
export type DistributedConfig = z.infer<typeof distributedSchema>;
export type SiteConfig = z.infer<typeof siteSchema>;
