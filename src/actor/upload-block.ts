/**
 * The actor's adder: steps that the learner must get by upload (observations of y > 0 steps, whole
 * y = K steps) collect in a block of consecutive steps, shipped as one ZeroMQ upload. At most a few
 * uploads are in flight, so memory stays flat when the link is slow.
 */
import { type BlockStep, encodeStepBlock, type StepBlockEncoding, type UploadPusher } from '../transport/index.js';

const MAX_IN_FLIGHT = 4;

export class UploadBlock {
  private steps: BlockStep[] = [];
  private readonly inFlight: Promise<number>[] = [];
  private cancelled = false;
  private wake: () => void = () => {};
  private readonly cancelledP = new Promise<void>((r) => (this.wake = r));

  constructor(
    private readonly numEnvs: number,
    private readonly numActions: number,
    private readonly encoding: StepBlockEncoding = 'deflate',
  ) {}

  /** Adds a step; a block holds consecutive steps only, so a gap ships what came before. */
  async record(pusher: UploadPusher, meta: Record<string, unknown>, s: BlockStep): Promise<void> {
    const last = this.steps[this.steps.length - 1];
    if (last && last.step !== s.step - 1) await this.flush(pusher, meta, false);
    this.steps.push(s);
  }

  /** Uploads the steps since the last flush; `final` waits for every upload to be handed to ZeroMQ. */
  async flush(pusher: UploadPusher, meta: Record<string, unknown>, final: boolean): Promise<void> {
    if (this.steps.length > 0) {
      const steps = this.steps;
      this.steps = [];
      const data = encodeStepBlock({ numEnvs: this.numEnvs, obsSize: steps[0].obs!.length / this.numEnvs, numActions: this.numActions, steps }, this.encoding);
      this.inFlight.push(pusher.upload(data, { ...meta, firstStep: steps[0].step }));
    }
    // An upload to a learner that is gone never completes: cancel() ends the wait.
    while (!this.cancelled && this.inFlight.length > (final ? 0 : MAX_IN_FLIGHT)) await Promise.race([this.inFlight.shift(), this.cancelledP]);
  }

  /** The run is over (the learner ended it, or the actor stops): flushes stop waiting for uploads. */
  cancel(): void {
    this.cancelled = true;
    this.wake();
  }

  /** Forgets unsent steps (the learner dropped this actor's unfinished unrolls). */
  clear(): void {
    this.steps = [];
  }

  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight);
  }
}
