import { join } from 'node:path';
import type { RunConfig } from '../config/schema.js';
import { JsonlLog, Window } from './run-log.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { TrainStats } from '../learner/index.js';
import { TfEventsWriter } from '../metrics/tfevents.js';

export interface EpisodePoint {
  readonly frames: number;
  readonly ret: number;
  readonly length: number;
}

/**
 * Everything a run writes about its progress, shared by every mode: episodes.jsonl (one line per
 * finished episode), train.jsonl (periodic learner statistics), and the in-memory history that the
 * summary and the learning curve are drawn from; and the same scalars as TensorBoard event files in tb/.
 */
export class RunRecorder {
  readonly episodesLog: JsonlLog;
  readonly trainLog: JsonlLog;
  readonly recent: Window;
  /** TensorBoard scalars (tb/events.out.tfevents.*), step = frames; others (per-actor bytes) may add theirs. */
  readonly tb: TfEventsWriter;
  readonly episodes: EpisodePoint[] = [];
  frames = 0;
  updates = 0;
  lastStats: TrainStats | null = null;
  private readonly startedAt = performance.now();
  /** Wall seconds carried over from before a resume. */
  private priorSeconds = 0;
  private lastLogAt = 0;
  private framesAtLastLog = 0;
  private lastLogTime = performance.now();

  constructor(
    readonly runDir: string,
    readonly config: RunConfig,
  ) {
    this.episodesLog = new JsonlLog(runDir, 'episodes.jsonl');
    this.trainLog = new JsonlLog(runDir, 'train.jsonl');
    this.recent = new Window(config.run.returnWindow);
    this.tb = new TfEventsWriter(join(runDir, 'tb'), (m) => console.error(m));
  }

  /**
   * Continues the record of a checkpointed run as one run: the episodes up to the checkpoint come
   * back from episodes.jsonl (so curves, counts and the summary span the whole run), and records of
   * work lost after the checkpoint (a crash or kill since) are removed from both logs.
   */
  restore(state: { frames: number; updates: number; episodes: number; wallSeconds: number; recentReturns: readonly number[] }): void {
    this.frames = state.frames;
    this.updates = state.updates;
    this.priorSeconds = state.wallSeconds;
    for (const r of state.recentReturns) this.recent.push(r);
    this.framesAtLastLog = state.frames;
    let n = 0;
    const kept = this.episodesLog.retain((r) => typeof r.frames === 'number' && r.frames <= state.frames && n++ < state.episodes);
    for (const r of kept) this.episodes.push({ frames: r.frames as number, ret: Number(r.return ?? r.ret), length: Number(r.length) });
    this.trainLog.retain((r) => typeof r.frames !== 'number' || r.frames <= state.frames);
  }

  get wallSeconds(): number {
    return this.priorSeconds + (performance.now() - this.startedAt) / 1000;
  }

  episode(ret: number, length: number, extra: Record<string, unknown> = {}): void {
    this.recent.push(ret);
    const point = { frames: this.frames, ret, length };
    this.episodes.push(point);
    this.episodesLog.write({ ...point, return: ret, ...extra });
    this.tb.scalars(this.frames, { 'episode/return': ret, 'episode/length': length });
  }

  /** Closes the logs' files (a later write opens them again). */
  close(): void {
    this.episodesLog.close();
    this.trainLog.close();
    this.tb.close();
  }

  /** Records an update; writes a train.jsonl line at most every run.logEverySeconds. Returns fps since the last line. */
  update(stats: TrainStats, extra: Record<string, unknown> = {}): number | null {
    this.updates++;
    this.frames = stats.frames;
    this.lastStats = stats;
    const now = performance.now();
    if ((now - this.lastLogTime) / 1000 < this.config.run.logEverySeconds && this.lastLogAt !== 0) return null;
    const fps = ((this.frames - this.framesAtLastLog) * 1000) / Math.max(1, now - this.lastLogTime);
    this.trainLog.write({
      ...stats,
      updates: this.updates,
      wallSeconds: this.wallSeconds,
      framesPerSecond: fps,
      meanReturn: this.recent.mean(),
      episodes: this.episodes.length,
      ...extra,
    });
    this.tb.scalars(this.frames, tbScalars(stats, fps, this.recent.mean(), extra));
    this.lastLogAt = now;
    this.lastLogTime = now;
    this.framesAtLastLog = this.frames;
    return fps;
  }

  writeSummary(fields: Record<string, unknown>): Record<string, unknown> {
    const wall = this.wallSeconds;
    const summary = {
      env: this.config.env.id,
      mode: this.config.mode,
      seed: this.config.seed,
      frames: this.frames,
      updates: this.updates,
      wallSeconds: wall,
      framesPerSecond: this.frames / Math.max(wall, 1e-9),
      episodes: this.episodes.length,
      finalMeanReturn: this.recent.mean(),
      finalReturnWindow: this.recent.count,
      ...fields,
    };
    writeFileAtomic(join(this.runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  }
}

/** The train.jsonl line's numbers under TensorBoard tags. */
function tbScalars(s: TrainStats, fps: number, meanReturn: number, extra: Record<string, unknown>): Record<string, number | undefined> {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return {
    'return/mean': meanReturn,
    'loss/total': s.loss,
    'loss/pg': s.pgLoss,
    'loss/baseline': s.baselineLoss,
    'loss/entropy': s.entropyLoss,
    'policy/entropy': s.entropy,
    'policy/lag': num(extra.policyLag),
    'train/lr': s.lr,
    'train/grad_norm': s.gradNorm,
    'throughput/frames_per_second': fps,
    'learner/inference_busy': num(extra.inferenceBusy),
    'learner/training_busy': num(extra.trainingBusy),
  };
}
