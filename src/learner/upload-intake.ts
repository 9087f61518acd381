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

export class UploadIntake {
  /** Rejected uploads by ProtocolError code. */
  readonly rejected: Record<string, number> = {};

  constructor(
    private readonly dims: IntakeDims,
    private readonly registry: ActorRegistry,
    private readonly assembler: TrajectoryAssembler,
    private readonly metrics: LearnerMetrics,
    private readonly onReject: (actor: string, reason: string, message: string) => void,
  ) {}

  /** Observations (y = 0) and the previous step's outcomes that travel with an inference request. */
  request(a: ActorState, req: StepRequest): void {
    const S = this.dims.obsSize;
    if (req.splitPoint === 0) {
      const obs = req.payload as Uint8Array;
      for (let e = 0; e < req.numEnvs; e++) this.assembler.observation(a.index, e, req.stepId, obs.subarray(e * S, (e + 1) * S));
    }
    if (req.stepId > 0) {
      for (let e = 0; e < req.numEnvs; e++) this.assembler.outcome(a.index, e, req.stepId - 1, req.rewards[e], req.dones[e] === 1);
    }
  }

  /** A completed ZeroMQ upload. */
  upload(u: CompletedUpload): void {
    const a = this.registry.get(u.actorId);
    if (!a) {
      this.count('UNKNOWN_ACTOR');
      return;
    }
    const registration = Number(u.meta?.registration ?? a.registrations);
    if (registration !== a.registrations) return; // from before the actor reconnected: its unrolls were dropped
    try {
      const block = decodeStepBlock(u.data, { numEnvs: a.numEnvs, obsSize: this.dims.obsSize, numActions: this.dims.numActions });
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
            this.assembler.served(a.index, e, s.step, l.actions[e], l.logits.subarray(e * A, (e + 1) * A), l.version);
          }
          a.stepsLocal += a.numEnvs;
        }
      }
    } catch (e) {
      const code = e instanceof ProtocolError ? e.code : 'UNKNOWN';
      this.count(code);
      this.onReject(a.id, code, (e as Error).message);
    }
  }

  private count(code: string): void {
    this.rejected[code] = (this.rejected[code] ?? 0) + 1;
    this.metrics.rejected.inc({ reason: `upload_${code}` });
  }
}
