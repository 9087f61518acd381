import type { RunConfig } from '../config/schema.js';
import { VectorEnv } from '../env/index.js';
import { type TrainBatch, TrainStep } from '../learner/index.js';
import { learnerHyperFromConfig, modelSpecFor, trainingEnvOptions } from '../learner/setup.js';
import { readFloats } from '../backend/read-floats.js';
import { EMPTY_RANGE, type FeatureCodec, updateRange } from '../codec/index.js';
import { loadCodecState, saveCodecState } from '../learner/codec-checkpoint.js';
import { codecTrainerFor } from '../learner/codec-training.js';
import { configuredCodecs, SplitCodecs } from '../learner/split-codecs.js';
import { act, createModel, createPolicyRunner, headActivations, type PolicyModel, type PolicyRunner } from '../model/index.js';
import { Rng } from '../util/rng.js';
import { type Checkpoint, codecStateOf } from './checkpoint.js';
import { RunHarness, type TrainingState } from './harness.js';
import type { RunRecorder } from './recorder.js';

/**
 * `--mode local`: B environments and the learner in one process. Each update the current network
 * acts in all B envs for T steps (batched inference), the B unrolls of T+1 observations form one
 * time-major batch, and the learner trains on it with V-trace. The behaviour policy is the network
 * that trained on the previous batch, so the data is on-policy and V-trace's ρ stay at 1.
 */
export class LocalTrainer {
  private readonly rng: Rng;
  private readonly batch: TrainBatch & { obs: Uint8Array };

  private constructor(
    readonly config: RunConfig,
    readonly recorder: RunRecorder,
    readonly model: PolicyModel,
    readonly env: VectorEnv,
    private readonly trainStep: TrainStep,
    /** Acts on the network the train step updates (onnxruntime-node re-reads the weights after each update). */
    readonly runner: PolicyRunner,
    /** distributed.codec in local mode: acting and training go through it at its split point (on tfjs). */
    private readonly codec?: { codec: FeatureCodec; y: number },
  ) {
    const numEnvs = config.hyper.batchSize;
    this.rng = new Rng(config.seed * 7919 + 17);
    const T = config.hyper.unrollLength;
    const S = env.obsSize;
    const A = env.numActions;
    this.batch = {
      obs: new Uint8Array((T + 1) * numEnvs * S),
      actions: new Int32Array(T * numEnvs),
      rewards: new Float32Array(T * numEnvs),
      dones: new Uint8Array(T * numEnvs),
      behaviourLogits: new Float32Array(T * numEnvs * A),
    };
  }

  /** A trainer at the start of the run, or where `resumed` left off. */
  static async create(config: RunConfig, recorder: RunRecorder, resumed?: Checkpoint, log?: (msg: string) => void): Promise<LocalTrainer> {
    const env = new VectorEnv(config.env.id, config.hyper.batchSize, { ...trainingEnvOptions(config), seed: config.seed * 1000 });
    const shape = env.observationShape as [number, number, number];
    const model = createModel(modelSpecFor(config, shape), { inputShape: shape, numActions: env.numActions, seed: config.seed });
    const trainStep = await TrainStep.create(model, learnerHyperFromConfig(config));
    if (resumed) {
      model.setLayerWeights(resumed.weights);
      await trainStep.setOptimizerState(resumed.optimizer);
      trainStep.frames = resumed.meta.frames;
    }
    const runner = createPolicyRunner(model, config.inference, { threads: config.inferenceThreads, log });
    const codec = localCodec(config, model);
    if (codec) trainStep.attachCodec(codecTrainerFor(config, model, codec.codec, codec.y));
    const saved = resumed && codecStateOf(resumed);
    if (codec && saved) await loadCodecState(trainStep.codecTrainer!, saved, 'resumed checkpoint');
    const t = new LocalTrainer(config, recorder, model, env, trainStep, runner, codec);
    // A resumed run starts fresh episodes from a seed that depends on how far it got.
    t.batch.obs.set(env.reset(config.seed * 1000 + recorder.updates), 0);
    if (codec && !saved) {
      const B = env.numEnvs;
      const first = t.batch.obs.subarray(0, B * env.obsSize);
      codec.codec.range = updateRange(
        EMPTY_RANGE,
        readFloats(() => codec.codec.encodeTensor(model.head(model.activationTensor(first, B, 0), codec.y))),
      );
    }
    return t;
  }

  /** Acts for T steps in every env, filling this.batch. */
  private async collect(): Promise<void> {
    const { unrollLength: T } = this.config.hyper;
    const B = this.env.numEnvs;
    const S = this.env.obsSize;
    const A = this.env.numActions;
    const actions = new Int32Array(B);
    for (let t = 0; t < T; t++) {
      const obsT = this.batch.obs.subarray(t * B * S, (t + 1) * B * S);
      const { logits } = this.codec ? await this.actCoded(obsT, B, actions) : await this.runner.act(obsT, B, { rng: this.rng, out: actions });
      this.batch.behaviourLogits.set(logits, t * B * A);
      const r = this.env.step(actions);
      this.batch.actions.set(actions, t * B);
      this.batch.rewards.set(r.rewards, t * B);
      for (let i = 0; i < B; i++) {
        this.batch.dones[t * B + i] = r.terminated[i] | r.truncated[i];
        if (r.terminated[i] || r.truncated[i]) this.recorder.episode(r.episodeReturns[i], r.episodeLengths[i]);
      }
      this.batch.obs.set(r.observations, (t + 1) * B * S);
    }
  }

  /** The policy an actor at the codec's split is served: head, encode, the wire's bytes, decode, tail. */
  private async actCoded(obs: Uint8Array, B: number, out: Int32Array<ArrayBuffer>) {
    const { codec, y } = this.codec!;
    const decoded = codec.decode(codec.encode(await headActivations(this.model, obs, B, y), B), B);
    return act(this.model, decoded, B, { splitPoint: y, rng: this.rng, out });
  }

  /** Trains until the frame budget is spent or the harness is asked to stop. */
  async run(h: RunHarness): Promise<void> {
    const total = this.config.frames;
    const T = this.config.hyper.unrollLength;
    const B = this.env.numEnvs;
    const S = this.env.obsSize;
    while (this.recorder.frames < total && !h.stopping) {
      await this.collect();
      const stats = await this.trainStep.step(this.batch);
      // The last observation of this unroll is the first of the next.
      this.batch.obs.copyWithin(0, T * B * S, (T + 1) * B * S);
      this.recorder.update(stats);
      h.progress({ frames: this.recorder.frames, extra: `| entropy ${stats.entropy.toFixed(2)}` });
      await h.checkpointIfDue(this.model, () => this.save());
      // Yield to the event loop so signals and timers are served during long runs.
      if (this.recorder.updates % 20 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  async save(): Promise<TrainingState> {
    const trainer = this.trainStep.codecTrainer;
    return {
      weights: await this.model.getLayerWeights(1, this.model.K),
      optimizer: await this.trainStep.getOptimizerState(),
      ...(trainer ? { codec: await saveCodecState(trainer) } : {}),
    };
  }

  dispose(): void {
    this.runner.dispose();
    this.trainStep.dispose();
    this.codec?.codec.dispose();
    this.model.dispose();
  }
}

/** `--mode local`: the whole run in this process. Returns the summary (also written to summary.json). */
export async function runLocal(
  config: RunConfig,
  opts: { resume?: string; log?: (msg: string) => void; stop?: AbortSignal } = {},
): Promise<Record<string, unknown>> {
  const h = await RunHarness.open(config, opts);
  let trainer: LocalTrainer | undefined;
  try {
    trainer = await LocalTrainer.create(config, h.recorder, h.resumed, (m) => h.log(m));
    if (h.resumed) h.log(`resumed from ${opts.resume} at ${h.recorder.frames} frames`);
    h.log(
      `training ${config.env.id} in ${config.mode} mode: ${trainer.model.spec} network (K=${trainer.model.K}), ` +
        `${config.hyper.batchSize} envs × unroll ${config.hyper.unrollLength}, ${config.frames} frames, seed ${config.seed}`,
    );
    await trainer.run(h);
    return await h.finish(`${config.env.id} (${config.mode} mode, seed ${config.seed})`, trainer.model, await trainer.save(), {
      inference: trainer.runner.detail,
    });
  } finally {
    h.close();
    trainer?.dispose();
  }
}

/**
 * The codec local mode trains with: the first of distributed.codecs (the main one) where the learner
 * would hold it (split-codecs.ts); local mode has no actors to use the others.
 */
function localCodec(config: RunConfig, model: PolicyModel): { codec: FeatureCodec; y: number } | undefined {
  const d = config.distributed;
  const ids = configuredCodecs(d);
  if (ids.length === 0) return undefined;
  const held = new SplitCodecs(model, { codecs: ids, allowLossy: d.allowLossyCodecs, seed: config.seed, split: d.codecSplit });
  const main = held.main()!;
  for (const e of held.all()) if (e !== main) e.codec.dispose();
  return main;
}
