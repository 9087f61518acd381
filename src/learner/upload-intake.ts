/**
 * The one place training data enters the learner: observations and outcomes carried by inference
 * requests, and step blocks uploaded over ZeroMQ (observations of y > 0 steps, whole y = K steps).
 * Everything is checked against the sending actor's registration before the assembler sees it; a bad
 * upload is rejected and counted by reason, and never touches other actors' data.
 */
import type { LearnerMetrics } from '../metrics/learner-metrics.js';
import { type CompletedUpload, decodeStepBlock, ProtocolError, type StepRequest } from '../transport/index.js';
import type { ActorRegistry, ActorState } from './actor-registry.js';
import type { TrajectoryAssembler } from './trajectory-assembler.js';

export interface IntakeDims {
  readonly obsSize: number;
  readonly numActions: number;
}

/** Magnitudes beyond which intake rejects data (defence in depth: finite but absurd values poison training). */
export interface IntakeLimits {
  readonly maxAbsReward: number;
  readonly maxAbsLogit: number;
  readonly maxAbsActivation: number;
  /** Largest value an observation byte may hold (MinAtar: 1, Atari: 255). */
  readonly maxObsValue: number;
}

export const DEFAULT_INTAKE_LIMITS: IntakeLimits = { maxAbsReward: 1e6, maxAbsLogit: 1e4, maxAbsActivation: 1e8, maxObsValue: 255 };

function checkRange(what: string, values: ArrayLike<number>, max: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(Math.abs(v) <= max)) throw new ProtocolError('BAD_FIELD', `${what}[${i}] = ${v} is outside ±${max}`);
  }
}

function checkObs(what: string, obs: Uint8Array, max: number): void {
  if (max >= 255) return;
  for (let i = 0; i < obs.length; i++) if (obs[i] > max) throw new ProtocolError('BAD_FIELD', `${what}[${i}] = ${obs[i]} is above ${max}`);
}

/**
 * One log line per actor and reason for the first few rejections, then at most one per interval
 * saying how many were suppressed: a flood of bad uploads cannot flood the log (all are counted).
 */
export class RejectLog {
  private readonly seen = new Map<string, { n: number; suppressed: number; lastAt: number }>();

  constructor(
    private readonly log: (actor: string, reason: string, message: string) => void,
    private readonly burst = 5,
    private readonly intervalMs = 10_000,
    private readonly maxKeys = 1024,
  ) {}

  note(actor: string, reason: string, message: string, now = performance.now()): void {
    const key = `${actor}\u0000${reason}`;
    let e = this.seen.get(key);
    if (!e) {
      if (this.seen.size >= this.maxKeys) this.seen.clear();
      e = { n: 0, suppressed: 0, lastAt: -Infinity };
      this.seen.set(key, e);
    }
    e.n++;
    if (e.n <= this.burst || now - e.lastAt >= this.intervalMs) {
      const more = e.suppressed > 0 ? ` (${e.suppressed} more like it not logged)` : '';
      e.suppressed = 0;
      e.lastAt = now;
      this.log(actor, reason, message + more);
    } else e.suppressed++;
  }
}

/**
 * How long a served step far ahead of the actor's uploads waits for them (catchUp). An actor that ran
 * at y = K while a server started can be hundreds of unrolls ahead, which a loaded learner trains
 * through in tens of seconds (measured: 260 unrolls, > 10 s on a busy 2-core machine).
 */
const CATCH_UP_MS = 30_000;

export class UploadIntake {
  /** Rejected uploads by ProtocolError code. */
  readonly rejected: Record<string, number> = {};

  constructor(
    private readonly dims: IntakeDims,
    private readonly registry: ActorRegistry,
    private readonly assembler: TrajectoryAssembler,
    private readonly metrics: LearnerMetrics,
    onReject: (actor: string, reason: string, message: string) => void,
    private readonly limits: IntakeLimits = DEFAULT_INTAKE_LIMITS,
  ) {
    this.rejectLog = new RejectLog(onReject);
  }

  private readonly rejectLog: RejectLog;

  /** A chunk the actor's upload socket refused (bad chunk, wrong actor id, over budget). */
  rejectedChunk(actorId: string, code: string, message: string): void {
    this.count(`chunk_${code}`);
    this.rejectLog.note(actorId, code, message);
  }

  /** Range checks of a request's data, before any of it reaches the assembler. */
  checkRequest(req: StepRequest): void {
    checkRange('StepRequest.rewards', req.rewards, this.limits.maxAbsReward);
    if (req.splitPoint === 0) checkObs('StepRequest.payload', req.payload as Uint8Array, this.limits.maxObsValue);
    else checkRange('StepRequest.payload', req.payload as Float32Array, this.limits.maxAbsActivation);
  }

  /**
   * A step far ahead of what the learner has of this actor is refused (checkStep), but an actor that
   * ran the whole network (y = K) until the learner moved it has its last steps still on the upload
   * channel (paused while the unroll queue is full), behind its first served request. Such a request
   * waits, up to CATCH_UP_MS, for the uploads to catch up; then request() decides as always. Only
   * this actor's request waits, and it holds nothing meanwhile.
   */
  async catchUp(a: ActorState, req: StepRequest): Promise<void> {
    const deadline = performance.now() + CATCH_UP_MS;
    while (this.assembler.tooFarAhead(a.index, req.stepId) && performance.now() < deadline) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.assembler.progressed(a.index), new Promise((r) => (timer = setTimeout(r, deadline - performance.now())))]);
      clearTimeout(timer);
    }
  }

  /** Observations (y = 0) and the previous step's outcomes that travel with an inference request. */
  request(a: ActorState, req: StepRequest): void {
    const S = this.dims.obsSize;
    this.checkRequest(req);
    this.assembler.checkStep(a.index, req.stepId);
    if (req.splitPoint === 0) {
      const obs = req.payload as Uint8Array;
      for (let e = 0; e < req.numEnvs; e++) this.assembler.observation(a.index, e, req.stepId, obs.subarray(e * S, (e + 1) * S));
    }
    if (req.stepId > 0) {
      for (let e = 0; e < req.numEnvs; e++) this.assembler.outcome(a.index, e, req.stepId - 1, req.rewards[e], req.dones[e] === 1);
    }
  }

  /**
   * The actions a step was served and their behaviour logits (served here, or by an inference server).
   * Only steps that land in an open unroll count as served (a replay or a duplicate does not): returns them.
   */
  served(a: ActorState, stepId: number, actions: Int32Array, logits: Float32Array, version: number): number {
    const A = this.dims.numActions;
    let n = 0;
    for (let e = 0; e < actions.length; e++) {
      if (this.assembler.served(a.index, e, stepId, actions[e], logits.subarray(e * A, (e + 1) * A), version) === 'ok') n++;
    }
    a.stepsServed += n;
    return n;
  }

  /** A step an inference server forwards: its observations' size, and its logits range-checked like uploaded ones. */
  checkServed(req: StepRequest, logits: Float32Array): void {
    const want = req.splitPoint === 0 ? req.numEnvs * this.dims.obsSize : 0;
    if (req.payload.length !== want)
      throw new ProtocolError('BAD_LENGTH', `ServedStep.obs has ${req.payload.length} bytes, expected ${want} at split point ${req.splitPoint}`);
    checkRange('ServedStep.logits', logits, this.limits.maxAbsLogit);
  }

  /** A completed ZeroMQ upload. */
  upload(u: CompletedUpload): void {
    const a = this.registry.get(u.actorId);
    if (!a) {
      this.count('UNKNOWN_ACTOR');
      return;
    }
    try {
      const registration = u.meta?.registration;
      if (typeof registration !== 'number')
        throw new ProtocolError('BAD_FIELD', 'upload meta.registration is missing: every upload names the registration it belongs to');
      if (registration !== a.registrations) {
        this.count('STALE_REGISTRATION'); // from before the actor reconnected: its unrolls were dropped
        return;
      }
      const block = decodeStepBlock(u.data, { numEnvs: a.numEnvs, obsSize: this.dims.obsSize, numActions: this.dims.numActions });
      // Validate the whole block first, so a rejected upload leaves nothing behind.
      this.assembler.checkStep(a.index, block.steps[0].step);
      this.assembler.checkStep(a.index, block.steps[block.steps.length - 1].step);
      for (const s of block.steps) {
        if (s.obs) checkObs(`upload step ${s.step} obs`, s.obs, this.limits.maxObsValue);
        if (s.local) {
          checkRange(`upload step ${s.step} rewards`, s.local.prevRewards, this.limits.maxAbsReward);
          checkRange(`upload step ${s.step} logits`, s.local.logits, this.limits.maxAbsLogit);
        }
      }
      const A = this.dims.numActions;
      const S = this.dims.obsSize;
      for (const s of block.steps) {
        if (s.obs) {
          for (let e = 0; e < a.numEnvs; e++) this.assembler.observation(a.index, e, s.step, s.obs.subarray(e * S, (e + 1) * S));
          a.framesUploaded += a.numEnvs;
        }
        if (s.local) {
          const l = s.local;
          for (let e = 0; e < a.numEnvs; e++) {
            if (s.step > 0) this.assembler.outcome(a.index, e, s.step - 1, l.prevRewards[e], l.prevDones[e] === 1);
            // Only steps that land in an open unroll count as produced (a replay or a duplicate does not).
            if (this.assembler.served(a.index, e, s.step, l.actions[e], l.logits.subarray(e * A, (e + 1) * A), l.version) === 'ok') a.stepsLocal++;
          }
        }
      }
    } catch (e) {
      const code = e instanceof ProtocolError ? e.code : 'UNKNOWN';
      this.count(code);
      this.rejectLog.note(a.id, code, (e as Error).message);
    }
  }

  private count(code: string): void {
    this.rejected[code] = (this.rejected[code] ?? 0) + 1;
    this.metrics.rejected.inc({ reason: `upload_${code}` });
  }
}
