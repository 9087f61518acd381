/**
 * The inference role: validates a step request against the actor's registration and split point,
 * hands its data to a StepSink, queues it in the dynamic batcher (one queue per split point), and
 * answers with actions from one batched tail pass per batch (on the PolicyRunner: onnxruntime-node or
 * tfjs). On the learner the sink is the upload intake (the assembler); on an inference server
 * (`coknight serve`) it forwards each served step to the learner — the same code serves both.
 */
import type { LearnerMetrics } from '../metrics/learner-metrics.js';
import type { PolicyModel, PolicyRunner } from '../model/index.js';
import { type Batch, DynamicBatcher, ProtocolError, type StepRequest, type StepResult } from '../transport/index.js';
import type { Rng } from '../util/rng.js';
import type { ActorState } from './actor-registry.js';
import type { SplitCodecs } from './split-codecs.js';

/** Where a served step's data goes: before batching (observations, outcomes), and once its actions are known. */
export interface StepSink {
  /** Waits, where the sink can, until a request that is ahead of the actor's other data may be taken. */
  catchUp?(a: ActorState, req: StepRequest): Promise<void>;
  /** Validates and takes the request's data; throws ProtocolError to refuse the step. */
  request(a: ActorState, req: StepRequest): void;
  /** The actions and behaviour logits the step was served, and the parameter version behind them. */
  served(a: ActorState, req: StepRequest, res: StepResult, behaviourVersion: number): void;
}

type Pending = { req: StepRequest; actor: ActorState };
/** A batch answers each request on its own: a request whose rows came out non-finite gets its error, the rest their results. */
type Outcome = StepResult | ProtocolError;

export interface InferenceHandlerOptions {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  /** Connected actors at a split point: a batch goes as soon as each has a request waiting. */
  readonly streamsAt?: (splitPoint: number) => number;
  /** Resolves when the learner has room for more data (backpressure; immediate when it has). */
  readonly room?: () => Promise<void> | undefined;
}

export class InferenceHandler {
  /** Milliseconds spent running batches. */
  busyMs = 0;
  private readonly batcher: DynamicBatcher<Pending, Outcome>;

  constructor(
    private readonly model: PolicyModel,
    private readonly sink: StepSink,
    private readonly metrics: LearnerMetrics,
    private readonly rng: Rng,
    private readonly opts: InferenceHandlerOptions,
    private readonly runner: PolicyRunner,
    private readonly codecs?: SplitCodecs,
  ) {
    this.batcher = new DynamicBatcher<Pending, Outcome>({
      maxBatch: opts.maxBatch,
      maxWaitMs: opts.maxWaitMs,
      streamsAt: opts.streamsAt,
      run: (b) => this.runBatch(b),
    });
  }

  async step(a: ActorState, coded: StepRequest): Promise<StepResult> {
    const K = this.model.K;
    // A coded feature is decoded first: from here on it is the float32 activation it stands for.
    let req = coded;
    if (coded.dtype === 'coded') {
      if (!this.codecs) throw new ProtocolError('UNKNOWN_CODEC', `StepRequest.codec "${coded.codec?.id}": this learner holds no codecs`);
      try {
        req = this.codecs.decode(coded);
      } catch (e) {
        if (e instanceof ProtocolError) this.metrics.rejected.inc({ reason: `codec_${e.code}` });
        if (e instanceof ProtocolError && e.code === 'UNKNOWN_CODEC') a.unknownCodecSteps++;
        throw e;
      }
      const t = (a.codecTraffic[coded.codec!.id] ??= { steps: 0, bytes: 0 });
      t.steps++;
      t.bytes += coded.payload.byteLength;
    }
    if (req.splitPoint >= K) {
      throw new ProtocolError('BAD_FIELD', `StepRequest.splitPoint ${req.splitPoint}: an actor at split point K=${K} computes locally and uploads unrolls`);
    }
    const wait = this.opts.room?.();
    if (wait) await wait;
    if (this.sink.catchUp) await this.sink.catchUp(a, req);
    this.sink.request(a, req);
    const res = await this.batcher.submit(req.splitPoint, req.numEnvs, { req, actor: a });
    if (res instanceof ProtocolError) throw res;
    // The behaviour policy is as old as the oldest parameters that produced the action: the actor's
    // head layers (y > 0) or the learner's own network (y = 0).
    const version = this.model.version;
    const behaviourVersion = req.splitPoint === 0 ? version : Math.min(version, req.headVersion);
    this.sink.served(a, req, res, behaviourVersion);
    this.metrics.inferenceRequests.inc();
    this.metrics.inferenceEnvSteps.inc(req.numEnvs);
    // Moved (split point or codec) since it sent this: say where to, with the codec there.
    const sentCodec = coded.codec?.id ?? '';
    if (a.splitPoint === req.splitPoint && a.codec === sentCodec) return res;
    return { ...res, newSplitPoint: a.splitPoint, ...(a.codec ? { newCodec: a.codec } : {}) };
  }

  /** Actors came, went or moved: a queued batch may now hold a request from every one left. */
  recheck(): void {
    this.batcher.recheck();
  }

  close(): void {
    this.batcher.close();
  }

  /** What runs the tails, for the log. */
  get runnerDetail(): string {
    return this.runner.detail;
  }

  dispose(): void {
    this.runner.dispose();
  }

  /** One inference batch: all requests share a split point y; run layers y+1..K and sample. */
  private async runBatch(b: Batch<Pending>): Promise<Outcome[]> {
    const t0 = performance.now();
    const y = b.splitPoint;
    const n = b.envSteps;
    const first = b.items[0].req;
    const input =
      first.dtype === 'uint8' ? new Uint8Array(n * (first.payload.length / first.numEnvs)) : new Float32Array(n * (first.payload.length / first.numEnvs));
    let o = 0;
    for (const { req } of b.items) {
      input.set(req.payload, o);
      o += req.payload.length;
    }
    const out = await this.runner.act(input, n, { splitPoint: y, rng: this.rng });
    const A = this.model.numActions;
    const results: Outcome[] = [];
    let row = 0;
    for (const { req } of b.items) {
      const m = req.numEnvs;
      if (!allFinite(out.logits, row * A, (row + m) * A) || !allFinite(out.values, row, row + m)) {
        // Rows are independent: only the request whose input blew up is refused.
        results.push(
          new ProtocolError('NON_FINITE', `StepRequest ${req.stepId}: the learner's tail layers produce non-finite outputs for this input at split point ${y}`),
        );
        row += m;
        continue;
      }
      results.push({
        numEnvs: m,
        numActions: A,
        actions: out.actions.slice(row, row + m),
        logits: out.logits.slice(row * A, (row + m) * A),
        values: out.values.slice(row, row + m),
      });
      row += m;
    }
    this.metrics.batchSize.observe(n);
    this.busyMs += performance.now() - t0;
    return results;
  }
}

function allFinite(a: ArrayLike<number>, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
