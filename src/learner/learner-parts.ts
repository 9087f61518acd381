/**
 * The parts a Learner is composed of, wired together: the network and its optimizer, the actor
 * registry, the trajectory assembler, the upload intake (every range limit), the inference handler
 * (batching that fills, backpressure through `room`), the split planner and membership.
 */
import type { LearnerOptions } from './learner-types.js';
import { makeEnv } from '../env/index.js';
import { LearnerMetrics } from '../metrics/learner-metrics.js';
import { createModel, createPolicyRunner, measureForwardFlops, type PolicyModel } from '../model/index.js';
import { Rng } from '../util/rng.js';
import { ActorRegistry } from './actor-registry.js';
import { InferenceHandler, type StepSink } from './inference-handler.js';
import { Membership } from './membership.js';
import { learnerHyperFromConfig, modelSpecFor, trainingEnvOptions } from './setup.js';
import type { SplitPlanner } from './split-planner.js';
import { TrainStep } from './train-step.js';
import type { Trainer } from './trainer.js';
import { WorkerTrainStep, workerBackend } from './worker-train-step.js';
import { TrajectoryAssembler, type Unroll } from './trajectory-assembler.js';
import { UploadIntake } from './upload-intake.js';
import { configuredCodecs, SplitCodecs } from './split-codecs.js';
import { codecTrainerFor, codecTrainingOptions } from './codec-training.js';
import * as tf from '@tensorflow/tfjs-core';

export interface LearnerParts {
  readonly metrics: LearnerMetrics;
  readonly registry: ActorRegistry;
  readonly model: PolicyModel;
  readonly trainStep: Trainer;
  readonly planner: SplitPlanner;
  readonly edgeFlops: number;
  readonly assembler: TrajectoryAssembler;
  readonly intake: UploadIntake;
  readonly inference: InferenceHandler;
  readonly membership: Membership;
  readonly codecs: SplitCodecs;
}

/** Where the parts call back into the learner that owns them. */
export interface LearnerHooks {
  onUnroll(u: Unroll): void;
  onEpisode(actorIndex: number, env: number, ret: number, length: number): void;
  room(): Promise<void> | undefined;
}

export async function buildLearnerParts(opts: LearnerOptions, hooks: LearnerHooks): Promise<LearnerParts> {
  const c = opts.config;
  const probe = makeEnv(c.env.id, { ...trainingEnvOptions(c), seed: 0 });
  const obsShape = probe.observationShape as [number, number, number];
  const model = createModel(modelSpecFor(c, obsShape), { inputShape: obsShape, numActions: probe.numActions, seed: c.seed });
  const local = await TrainStep.create(model, learnerHyperFromConfig(c));
  const edgeFlops = await measureForwardFlops(model, 32);
  const d0 = c.distributed;
  const codecs = new SplitCodecs(model, {
    codecs: configuredCodecs(d0),
    allowLossy: d0.allowLossyCodecs,
    seed: c.seed,
    split: d0.codecSplit,
    decoderVersions: d0.codecDecoderVersions,
  });
  if (codecs.size > 0) {
    calibrateCodecs(codecs, probe, c.seed);
    const [main, ...others] = codecs.all();
    local.attachCodec(codecTrainerFor(c, model, main.codec, main.y));
    local.attachOffPathCodecs(others.map((e) => codecTrainerFor(c, model, e.codec, e.y)));
  }
  const trainStep = await trainerFor(c, model, local, codecs, opts.sink.log);
  const dims = { unrollLength: c.hyper.unrollLength, numActions: probe.numActions, obsSize: obsShape[0] * obsShape[1] * obsShape[2] };
  const registry = new ActorRegistry();
  const metrics = new LearnerMetrics();
  const assembler = new TrajectoryAssembler(
    dims,
    (u) => hooks.onUnroll(u),
    (e) => hooks.onEpisode(e.actorId, e.env, e.ret, e.length),
    { maxPendingPerEnv: c.distributed.maxPendingUnrollsPerEnv, maxUnrollsAhead: Math.max(64, 4 * c.distributed.maxPendingUnrollsPerEnv) },
    (actor, steps) => {
      const a = registry.at(actor);
      if (a) a.droppedSteps += steps;
      metrics.droppedPendingSteps.inc(steps);
    },
  );
  const d = c.distributed;
  // MinAtar observations are 0/1 per cell and channel; anything else is uint8 (0..255).
  const maxObsValue = c.env.id.startsWith('minatar/') ? 1 : 255;
  const limits = { maxAbsReward: d.maxAbsReward, maxAbsLogit: d.maxAbsLogit, maxAbsActivation: d.maxAbsActivation, maxObsValue };
  const intake = new UploadIntake(
    dims,
    registry,
    assembler,
    metrics,
    (actor, reason, message) => {
      opts.sink.event({ event: 'upload_rejected', actor, reason });
      opts.sink.log(`rejected an upload from actor ${actor}: ${message}`);
    },
    limits,
  );
  const streamsAt = (y: number): number => {
    let n = 0;
    for (const a of registry.all()) if (a.ctx && a.splitPoint === y) n++;
    return n;
  };
  const room = (): Promise<void> | undefined => hooks.room();
  const runner = createPolicyRunner(model, c.inference, { threads: c.inferenceThreads, log: (m) => opts.sink.log(m) });
  const sink: StepSink = {
    catchUp: (a, req) => intake.catchUp(a, req),
    request: (a, req) => intake.request(a, req),
    served: (a, req, res, version) => void intake.served(a, req.stepId, res.actions, res.logits, version),
  };
  const inference = new InferenceHandler(model, sink, metrics, new Rng(c.seed * 31 + 7), { ...c.distributed, streamsAt, room }, runner, codecs);
  const planner = opts.planner(model, edgeFlops, codecs);
  // y = 0 sends the observation and y = K nothing: no codec there; a codec the planner names (DEFP's
  // (y, codec), splitCodecs) is used as is, otherwise the first the learner holds at y.
  const codecAt = (y: number, planned: string | undefined): string =>
    y === 0 || y >= model.K ? '' : planned !== undefined ? (planned === 'f32' ? '' : planned) : (codecs.idsAt(y)[0] ?? '');
  const membership = new Membership(c.env.id, model, registry, planner, assembler, metrics, opts.sink, codecAt);
  return { metrics, registry, model, trainStep, planner, edgeFlops, assembler, intake, inference, membership, codecs };
}

/**
 * trainThread: 'worker' moves updates (and the codecs that train with the model) into a worker
 * thread (the main thread's TrainStep is then disposed); 'auto' does so unless the backend is a GPU's.
 */
async function trainerFor(c: LearnerOptions['config'], model: PolicyModel, local: TrainStep, codecs: SplitCodecs, log: (m: string) => void): Promise<Trainer> {
  const backend = workerBackend();
  const why = typeof backend !== 'string' ? backend.why : undefined;
  if (c.trainThread === 'main' || (c.trainThread === 'auto' && why)) {
    if (c.trainThread === 'auto') log(`training on the main thread: ${why}`);
    return local;
  }
  if (why) throw new Error(`trainThread 'worker': ${why}; use trainThread 'main' or 'auto'`);
  local.dispose(); // its codec trainers' optimizers; the codecs themselves stay (SplitCodecs holds them)
  const entries = codecs.all().map((e) => ({ y: e.y, codec: e.codec }));
  const worker = await WorkerTrainStep.start(model, local.hp, c.seed, 1, { entries, training: codecTrainingOptions(c) });
  log(
    `training in a worker thread (trainThread ${c.trainThread}; backend ${backend as string}${entries.length ? `; with ${entries.length} feature codec(s)` : ''})`,
  );
  return worker;
}

/** First quantiser ranges, before any training batch: 64 observations of a random-policy episode. */
function calibrateCodecs(codecs: SplitCodecs, env: ReturnType<typeof makeEnv>, seed: number): void {
  const rng = new Rng(seed * 17 + 3);
  const frames: Uint8Array[] = [env.reset(seed)];
  while (frames.length < 64) {
    const r = env.step(Math.floor(rng.random() * env.numActions));
    frames.push(r.terminated || r.truncated ? env.reset() : Uint8Array.from(r.observation));
  }
  const data = new Uint8Array(frames.length * frames[0].length);
  frames.forEach((f, i) => data.set(f, i * f.length));
  const obs = tf.tensor(Float32Array.from(data), [frames.length, ...env.observationShape], 'float32');
  codecs.observe(obs);
  obs.dispose();
}
