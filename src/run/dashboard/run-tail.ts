import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ActorView, EpisodeRow, PlanEvent, RunInfo, Status, TrainRow } from './types.js';

/**
 * Follows one JSON-lines file by byte offset: each poll returns the records appended since the last
 * (a torn last line waits for its end); a file that shrank (rewritten on resume) starts over.
 */
export class JsonlTail {
  private offset = 0;
  private rest = '';

  constructor(readonly path: string) {}

  /** New records, and whether the file was rewritten (the caller should start over). */
  poll(): { records: Record<string, unknown>[]; reset: boolean } {
    if (!existsSync(this.path)) return { records: [], reset: false };
    const fd = openSync(this.path, 'r');
    try {
      const size = fstatSync(fd).size;
      let reset = false;
      if (size < this.offset) {
        this.offset = 0;
        this.rest = '';
        reset = true;
      }
      if (size === this.offset) return { records: [], reset };
      const buf = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const text = this.rest + buf.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      const records: Record<string, unknown>[] = [];
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          records.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          /* a damaged line: skip it */
        }
      }
      return { records, reset };
    } finally {
      closeSync(fd);
    }
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Reads a JSON file; undefined if it is missing or half-written. */
export function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * A run directory as the dashboard sees it: episodes, train stats and plan events so far, read
 * incrementally from episodes.jsonl and train.jsonl while the run writes them.
 */
export class RunTail {
  readonly episodes: EpisodeRow[] = [];
  readonly train: TrainRow[] = [];
  readonly events: PlanEvent[] = [];
  private episodesTail: JsonlTail;
  private trainTail: JsonlTail;
  private t0: number | undefined;
  private assignment = new Map<string, number>();

  constructor(readonly dir: string) {
    this.episodesTail = new JsonlTail(join(dir, 'episodes.jsonl'));
    this.trainTail = new JsonlTail(join(dir, 'train.jsonl'));
  }

  /** Reads what was appended; returns the new rows, or `reset` when a log was rewritten (resume). */
  poll(): { episodes: EpisodeRow[]; train: TrainRow[]; events: PlanEvent[]; reset: boolean } {
    const e = this.episodesTail.poll();
    const tr = this.trainTail.poll();
    if (e.reset || tr.reset) {
      this.episodes.length = 0;
      this.train.length = 0;
      this.events.length = 0;
      this.assignment = new Map();
      this.t0 = undefined;
      // Read both files again from the start.
      this.episodesTail = new JsonlTail(this.episodesTail.path);
      this.trainTail = new JsonlTail(this.trainTail.path);
      this.poll();
      return { episodes: [], train: [], events: [], reset: true };
    }
    const firstTime = [e.records[0], tr.records[0]].map((r) => this.time(r)).filter((x): x is number => x !== undefined);
    if (this.t0 === undefined && firstTime.length) this.t0 = Math.min(...firstTime);
    const episodes: EpisodeRow[] = [];
    for (const r of e.records) {
      const frames = num(r.frames);
      const ret = num(r.return ?? r.ret);
      if (frames === undefined || ret === undefined) continue;
      episodes.push([frames, ret, this.rel(r)]);
    }
    const train: TrainRow[] = [];
    const events: PlanEvent[] = [];
    for (const r of tr.records) {
      if (typeof r.event === 'string') events.push(this.planEvent(r));
      else if (num(r.frames) !== undefined) {
        train.push({
          frames: num(r.frames)!,
          t: this.rel(r),
          fps: num(r.framesPerSecond),
          inferenceBusy: num(r.inferenceBusy),
          trainingBusy: num(r.trainingBusy),
          policyLag: num(r.policyLag),
          loss: num(r.loss),
          entropy: num(r.entropy),
          meanReturn: num(r.meanReturn),
        });
      }
    }
    this.episodes.push(...episodes);
    this.train.push(...train);
    this.events.push(...events);
    return { episodes, train, events, reset: false };
  }

  private time(r: Record<string, unknown> | undefined): number | undefined {
    const ms = typeof r?.time === 'string' ? Date.parse(r.time) : NaN;
    return Number.isFinite(ms) ? ms / 1000 : undefined;
  }

  private rel(r: Record<string, unknown>): number {
    const t = this.time(r);
    return t === undefined || this.t0 === undefined ? 0 : Math.max(0, t - this.t0);
  }

  private planEvent(r: Record<string, unknown>): PlanEvent {
    const actor = String(r.actor ?? '');
    const plan = (r.plan ?? {}) as { planner?: string; assignment?: Record<string, number> };
    const moves: PlanEvent['moves'] = [];
    if (plan.assignment) {
      const next = new Map(Object.entries(plan.assignment));
      for (const [id, y] of next) {
        const before = this.assignment.get(id);
        if (id !== actor && before !== y) moves.push({ actor: id, from: before ?? null, to: y });
      }
      this.assignment = next;
    }
    return { t: this.rel(r), event: String(r.event), actor, splitPoint: num(r.splitPoint), moves, planner: plan.planner };
  }

  /** The run's identity from config.json. */
  info(live: boolean, K?: number): RunInfo {
    const c = (readJson(join(this.dir, 'config.json')) ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const summary = readJson(join(this.dir, 'summary.json'));
    return {
      dir: this.dir,
      env: c.env?.id as string | undefined,
      mode: c.mode as string | undefined,
      seed: num(c.seed),
      targetFrames: num(c.frames),
      returnWindow: num(c.run?.returnWindow) ?? 100,
      K: K ?? num(summary?.K),
      live,
    };
  }

  /** A finished (or unattended) run's actors: summary.json's, else what the join/leave events say. */
  actorsFromFiles(): ActorView[] {
    const summary = readJson(join(this.dir, 'summary.json'));
    if (Array.isArray(summary?.actors)) {
      // Over a finished run, the rates are averages over its wall time.
      const wall = Math.max(1e-9, num(summary.wallSeconds) ?? 0);
      return (summary.actors as Record<string, unknown>[]).map((a) => {
        const view = (a.actorView ?? {}) as Record<string, unknown>;
        return {
          id: String(a.id),
          connected: false,
          splitPoint: num(a.splitPoint) ?? 0,
          flops: num(view.flops),
          linkCap: num(view.linkBytesPerSec),
          stepsServed: num(a.stepsServed) ?? 0,
          stepsLocal: num(a.stepsLocal) ?? 0,
          bytesUp: num(a.learnerBytesReceived) ?? 0,
          bytesDown: num(a.learnerBytesSent) ?? 0,
          upPerSec: wall > 1e-9 ? (num(a.learnerBytesReceived) ?? 0) / wall : undefined,
          downPerSec: wall > 1e-9 ? (num(a.learnerBytesSent) ?? 0) / wall : undefined,
          restarts: num(a.restarts) ?? Math.max(0, (num(a.registrations) ?? 1) - 1),
        };
      });
    }
    const byId = new Map<string, ActorView>();
    for (const ev of this.events) {
      if (!ev.actor || (ev.event !== 'join' && ev.event !== 'leave')) continue;
      const a = byId.get(ev.actor) ?? { id: ev.actor, connected: false, splitPoint: 0, stepsServed: 0, stepsLocal: 0, bytesUp: 0, bytesDown: 0, restarts: -1 };
      if (ev.event === 'join') {
        a.restarts++;
        if (ev.splitPoint !== undefined) a.splitPoint = ev.splitPoint;
      }
      a.connected = ev.event === 'join';
      byId.set(ev.actor, a);
      for (const m of ev.moves) {
        const o = byId.get(m.actor);
        if (o) o.splitPoint = m.to;
      }
    }
    return [...byId.values()].map((a) => ({ ...a, connected: false, restarts: Math.max(0, a.restarts) }));
  }

  /** A finished run's status line: summary.json's numbers, else the last train line's. */
  statusFromFiles(): Status {
    const s = readJson(join(this.dir, 'summary.json'));
    const last = this.train.at(-1);
    return {
      frames: num(s?.frames) ?? last?.frames ?? this.episodes.at(-1)?.[0] ?? 0,
      fps: num(s?.framesPerSecond) ?? last?.fps,
      inferenceBusy: num(s?.inferenceBusyFraction) ?? last?.inferenceBusy,
      trainingBusy: num(s?.trainingBusyFraction) ?? last?.trainingBusy,
      policyLag: num(s?.policyLag) ?? last?.policyLag,
      done: s !== undefined,
      planner: this.events.findLast((e) => e.planner)?.planner,
    };
  }
}
