/**
 * What every training run on this machine does around its learning, written once for local and
 * distributed runs: the backend, the run directory, the recorder, resume, signals (the first Ctrl-C
 * asks for a clean stop, the second quits), the progress display, periodic checkpoints, and at the
 * end the checkpoint, the learning curve and summary.json.
 */
import { type BackendInfo, initBackend } from '../backend/index.js';
import type { RunConfig } from '../config/schema.js';
import { makeEnv } from '../env/index.js';
import { trainingEnvOptions } from '../learner/index.js';
import { type Checkpoint, type CodecCheckpointState, loadCheckpoint, writeRunCheckpoint, type ModelMeta } from './checkpoint.js';
import { writeLearningCurve } from './learning-curve.js';
import { ProgressDisplay, type ProgressFields } from './progress.js';
import { RunRecorder } from './recorder.js';
import { prepareRunDir } from './run-dir.js';

export interface HarnessOptions {
  /** Run directory whose checkpoint to continue from. */
  readonly resume?: string;
  readonly log?: (msg: string) => void;
  /** Ends the run early (like Ctrl-C: checkpoint, summary) when aborted. */
  readonly stop?: AbortSignal;
}

/** Model weights and optimizer slots, as a learner or trainer saves them. */
export interface TrainingState {
  readonly weights: Uint8Array;
  readonly optimizer: Checkpoint['optimizer'];
  /** A trained feature codec's state (src/learner/codec-checkpoint.ts). */
  readonly codec?: CodecCheckpointState;
  /** The other codecs of distributed.codecs, off the forward path. */
  readonly offPathCodecs?: readonly CodecCheckpointState[];
}

/** Frames/s over a sliding few seconds, for the progress display. */
class RateMeter {
  private t0 = performance.now();
  private f0: number;
  rate = 0;
  constructor(frames: number) {
    this.f0 = frames;
  }
  sample(frames: number): number {
    const now = performance.now();
    if (now - this.t0 >= 2000) {
      this.rate = ((frames - this.f0) * 1000) / (now - this.t0);
      this.t0 = now;
      this.f0 = frames;
    }
    return this.rate;
  }
}

export class RunHarness {
  readonly log: (msg: string) => void;
  private stopRequested = false;
  private lastCheckpointAt = performance.now();
  private progressDisplay: ProgressDisplay | null = null;
  private meter: RateMeter | null = null;
  private readonly onSignal = (): void => {
    if (this.stopRequested) process.exit(130);
    this.stopRequested = true;
    this.log('stopping: writing a checkpoint (Ctrl-C again to quit at once)');
  };

  private readonly say: (msg: string) => void;

  private constructor(
    readonly config: RunConfig,
    readonly backend: BackendInfo,
    readonly runDir: string,
    readonly recorder: RunRecorder,
    /** The checkpoint this run resumes from, if any. */
    readonly resumed: Checkpoint | undefined,
    private readonly opts: HarnessOptions,
  ) {
    this.say = opts.log ?? ((m) => console.error(m));
    // Messages during the run go above the progress bar, not into it.
    this.log = (m) => (this.progressDisplay && !opts.log ? this.progressDisplay.log(m) : this.say(m));
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  static async open(config: RunConfig, opts: HarnessOptions = {}): Promise<RunHarness> {
    const log = opts.log ?? ((m: string) => console.error(m));
    const resumed = opts.resume ? loadCheckpoint(opts.resume) : undefined;
    // A misspelt env id or a missing ROM fails here, before a run directory exists.
    makeEnv(config.env.id, { ...trainingEnvOptions(config), seed: 0 });
    const backend = await initBackend({ prefer: config.backend, log });
    const runDir = prepareRunDir(config);
    log(`run directory: ${runDir}`);
    const recorder = new RunRecorder(runDir, config);
    if (resumed) recorder.restore(resumed.meta);
    return new RunHarness(config, backend, runDir, recorder, resumed, opts);
  }

  /** True once Ctrl-C, SIGTERM or the abort signal asked the run to end. */
  get stopping(): boolean {
    return this.stopRequested || this.opts.stop?.aborted === true;
  }

  /** Shows progress (the display starts on the first call, so set-up messages come first). */
  progress(fields: Omit<ProgressFields, 'fps' | 'meanReturn' | 'episodes'> & { fps?: number }): void {
    const c = this.config;
    this.progressDisplay ??= new ProgressDisplay(c.frames, c.run.progress, c.run.logEverySeconds);
    this.meter ??= new RateMeter(fields.frames);
    this.progressDisplay.update({
      frames: fields.frames,
      fps: fields.fps ?? this.meter.sample(fields.frames),
      meanReturn: this.recorder.recent.mean(),
      episodes: this.recorder.episodes.length,
      extra: fields.extra,
    });
  }

  /** Writes a checkpoint when run.checkpointEverySeconds have passed since the last one. */
  async checkpointIfDue(model: ModelMeta, state: () => Promise<TrainingState>): Promise<void> {
    if ((performance.now() - this.lastCheckpointAt) / 1000 >= this.config.run.checkpointEverySeconds) await this.checkpoint(model, await state());
  }

  async checkpoint(model: ModelMeta, state: TrainingState): Promise<string> {
    this.lastCheckpointAt = performance.now();
    return writeRunCheckpoint(this.runDir, this.config, this.recorder, model, state);
  }

  /** The final checkpoint, learning curve and summary.json; releases the signal handlers. */
  async finish(title: string, model: ModelMeta, state: TrainingState, fields: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.progressDisplay?.stop();
    await this.checkpoint(model, state);
    const curve = await writeLearningCurve(this.runDir, this.recorder, title);
    return this.recorder.writeSummary({
      backend: this.backend.name,
      backendDetail: this.backend.detail,
      model: model.spec,
      runDir: this.runDir,
      curve,
      stoppedEarly: this.stopping,
      ...fields,
    });
  }

  close(): void {
    this.progressDisplay?.stop();
    this.recorder.close();
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
