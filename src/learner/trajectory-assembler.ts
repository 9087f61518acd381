/**
 * Joins what the learner knows about each environment step into unrolls of T steps and T+1
 * observations, whatever path each piece took: actions and behaviour logits from the learner's own
 * inference (or from an IMPALA actor's upload), rewards and done flags from the actor's next request,
 * raw observations from the request itself (split point 0) or from the actor's asynchronous upload
 * (split point > 0). Step s of an env belongs to unroll floor(s / T); observation (k+1)·T closes
 * unroll k and opens unroll k+1. So every served step lands in exactly one unroll, however the split
 * point changes between steps.
 */
import { ProtocolError } from '../transport/index.js';

export interface Unroll {
  readonly actorId: number;
  readonly env: number;
  /** Index k: the unroll covers steps k·T .. k·T+T−1. */
  readonly index: number;
  /** [(T+1)·S] observations x_{kT} .. x_{kT+T}. */
  readonly obs: Uint8Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly dones: Uint8Array;
  /** [T·A] behaviour logits. */
  readonly logits: Float32Array;
  /** Oldest parameter version that produced any of the T actions (for policy lag). */
  readonly minVersion: number;
}

export interface AssemblerDims {
  readonly unrollLength: number;
  readonly numActions: number;
  readonly obsSize: number;
}

/** Bounds on what one actor can make the assembler hold. */
export interface AssemblerLimits {
  /** Unfinished unrolls per env; one more drops the oldest (its served steps reported through onDrop). */
  readonly maxPendingPerEnv: number;
  /** A piece may open an unroll at most this many unrolls beyond the actor's newest one. */
  readonly maxUnrollsAhead: number;
}

export const DEFAULT_ASSEMBLER_LIMITS: AssemblerLimits = { maxPendingPerEnv: 16, maxUnrollsAhead: 64 };

/** Largest step id accepted (the wire carries u32; unroll indices stay exact integers far below this). */
export const MAX_STEP_ID = 0x7fffffff;

/** What became of one piece of a step. */
export type PieceResult = 'ok' | 'duplicate' | 'stale';

/** Per (actor, env): which unrolls are open, which are closed (emitted or dropped) and how far it has got. */
interface Track {
  readonly open: Set<number>;
  /** Emitted unrolls at or above `floor`. */
  readonly done: Set<number>;
  /** Every unroll below this is closed: a piece for one is stale (a replay, or after a drop). */
  floor: number;
  /** Step of the newest outcome (episode returns count each step once). */
  lastOutcomeStep: number;
}

class Pending {
  readonly obs: Uint8Array;
  readonly obsHave: Uint8Array;
  readonly actions: Int32Array;
  readonly logits: Float32Array;
  readonly rewards: Float32Array;
  readonly dones: Uint8Array;
  readonly served: Uint8Array;
  readonly outcome: Uint8Array;
  missing: number;
  minVersion = Infinity;

  constructor(d: AssemblerDims) {
    const T = d.unrollLength;
    this.obs = new Uint8Array((T + 1) * d.obsSize);
    this.obsHave = new Uint8Array(T + 1);
    this.actions = new Int32Array(T);
    this.logits = new Float32Array(T * d.numActions);
    this.rewards = new Float32Array(T);
    this.dones = new Uint8Array(T);
    this.served = new Uint8Array(T);
    this.outcome = new Uint8Array(T);
    // T+1 observations + T served + T outcomes
    this.missing = 3 * T + 1;
  }
}

export interface EpisodeEnd {
  readonly actorId: number;
  readonly env: number;
  readonly ret: number;
  readonly length: number;
}

/** Per-actor bookkeeping of unfinished unrolls and running episode returns. */
export class TrajectoryAssembler {
  private readonly pending = new Map<string, Pending>();
  private readonly returns = new Map<string, { ret: number; len: number }>();
  /** Steps that went into emitted unrolls. */
  stepsAssembled = 0;
  /** Pieces that arrived twice (duplicates are ignored, and counted). */
  duplicates = 0;
  /** Pieces for unrolls already closed (emitted or dropped): ignored, and counted. */
  stale = 0;
  private readonly tracks = new Map<string, Track>();
  /** Newest unroll index any piece of an actor opened. */
  private readonly newest = new Map<number, number>();
  private readonly progressWaiters = new Map<number, (() => void)[]>();

  constructor(
    readonly dims: AssemblerDims,
    private readonly emit: (u: Unroll) => void,
    private readonly onEpisode: (e: EpisodeEnd) => void = () => {},
    private readonly limits: AssemblerLimits = DEFAULT_ASSEMBLER_LIMITS,
    /** Served steps of an unfinished unroll dropped to stay within maxPendingPerEnv. */
    private readonly onDrop: (actorId: number, servedSteps: number) => void = () => {},
  ) {}

  /** Whether `step` lies more than maxUnrollsAhead unrolls beyond the actor's newest (checkStep would refuse it). */
  tooFarAhead(actorId: number, step: number): boolean {
    return Math.floor(step / this.dims.unrollLength) > (this.newest.get(actorId) ?? -1) + this.limits.maxUnrollsAhead;
  }

  /** Resolves the next time any piece opens a newer unroll of this actor (or it is forgotten). */
  progressed(actorId: number): Promise<void> {
    return new Promise((resolve) => {
      let list = this.progressWaiters.get(actorId);
      if (!list) this.progressWaiters.set(actorId, (list = []));
      list.push(resolve);
    });
  }

  private wakeProgress(actorId: number): void {
    const list = this.progressWaiters.get(actorId);
    if (!list) return;
    this.progressWaiters.delete(actorId);
    for (const w of list) w();
  }

  /**
   * Throws ProtocolError BAD_SEQUENCE unless `step` is a step id this actor
   * may send now: 0..MAX_STEP_ID and at most maxUnrollsAhead unrolls beyond its newest.
   */
  checkStep(actorId: number, step: number): void {
    if (!Number.isInteger(step) || step < 0 || step > MAX_STEP_ID) throw new ProtocolError('BAD_SEQUENCE', `step id ${step} is outside 0..${MAX_STEP_ID}`);
    const k = Math.floor(step / this.dims.unrollLength);
    const newest = this.newest.get(actorId) ?? -1;
    if (k > newest + this.limits.maxUnrollsAhead) {
      throw new ProtocolError(
        'BAD_SEQUENCE',
        `step id ${step} (unroll ${k}) is more than ${this.limits.maxUnrollsAhead} unrolls beyond this actor's newest (unroll ${newest})`,
      );
    }
  }

  private track(actorId: number, env: number): Track {
    const key = `${actorId}:${env}`;
    let t = this.tracks.get(key);
    if (!t) {
      t = { open: new Set(), done: new Set(), floor: 0, lastOutcomeStep: -1 };
      this.tracks.set(key, t);
    }
    return t;
  }

  /** The open unroll k of an env, opened if need be; null when k is closed (stale piece). */
  private get(actorId: number, env: number, k: number): Pending | null {
    const key = `${actorId}:${env}:${k}`;
    let p = this.pending.get(key);
    if (p) return p;
    const t = this.track(actorId, env);
    if (k < t.floor || t.done.has(k)) return null;
    this.checkStep(actorId, k * this.dims.unrollLength);
    if (t.open.size >= this.limits.maxPendingPerEnv) {
      const oldest = Math.min(...t.open);
      if (k < oldest) return null; // older than everything held: it would be the one dropped
      this.dropPending(actorId, env, oldest, t);
    }
    p = new Pending(this.dims);
    this.pending.set(key, p);
    t.open.add(k);
    if (k > (this.newest.get(actorId) ?? -1)) {
      this.newest.set(actorId, k);
      this.wakeProgress(actorId);
    }
    return p;
  }

  private dropPending(actorId: number, env: number, k: number, t: Track): void {
    const key = `${actorId}:${env}:${k}`;
    const p = this.pending.get(key);
    if (!p) return;
    let served = 0;
    for (const s of p.served) served += s;
    this.pending.delete(key);
    t.open.delete(k);
    this.close(t, k);
    this.onDrop(actorId, served);
  }

  /** Marks unroll k closed and moves the floor past every closed unroll. */
  private close(t: Track, k: number): void {
    t.done.add(k);
    while (t.done.has(t.floor)) t.done.delete(t.floor++);
    // An unroll never seen leaves a hole under the floor; far enough behind, it is closed too.
    const keep = 2 * (this.limits.maxUnrollsAhead + this.limits.maxPendingPerEnv);
    if (t.done.size > keep) {
      const lowestOpen = t.open.size ? Math.min(...t.open) : Infinity;
      t.floor = Math.min(lowestOpen, Math.max(...t.done) - keep / 2);
      for (const d of t.done) if (d < t.floor) t.done.delete(d);
      while (t.done.has(t.floor)) t.done.delete(t.floor++);
    }
  }

  private check(actorId: number, env: number, k: number, p: Pending): void {
    if (p.missing > 0) return;
    this.pending.delete(`${actorId}:${env}:${k}`);
    const t = this.track(actorId, env);
    t.open.delete(k);
    this.close(t, k);
    this.stepsAssembled += this.dims.unrollLength;
    this.emit({
      actorId,
      env,
      index: k,
      obs: p.obs,
      actions: p.actions,
      rewards: p.rewards,
      dones: p.dones,
      logits: p.logits,
      minVersion: p.minVersion,
    });
  }

  private putObs(actorId: number, env: number, k: number, slot: number, obs: Uint8Array): void {
    const p = this.get(actorId, env, k);
    if (!p) {
      this.stale++;
      return;
    }
    if (p.obsHave[slot]) {
      this.duplicates++;
      return;
    }
    p.obs.set(obs, slot * this.dims.obsSize);
    p.obsHave[slot] = 1;
    p.missing--;
    this.check(actorId, env, k, p);
  }

  /** Raw observation x_s of one env (uint8, obsSize bytes). */
  observation(actorId: number, env: number, step: number, obs: Uint8Array): void {
    if (obs.length !== this.dims.obsSize) {
      throw new RangeError(`observation of actor ${actorId} env ${env} step ${step}: ${obs.length} bytes, expected ${this.dims.obsSize}`);
    }
    const T = this.dims.unrollLength;
    const k = Math.floor(step / T);
    const j = step % T;
    this.putObs(actorId, env, k, j, obs);
    if (j === 0 && k > 0) this.putObs(actorId, env, k - 1, T, obs);
  }

  /** The action chosen at step s and the behaviour logits it was drawn from. */
  served(actorId: number, env: number, step: number, action: number, logits: Float32Array, version: number): PieceResult {
    const T = this.dims.unrollLength;
    const k = Math.floor(step / T);
    const j = step % T;
    const p = this.get(actorId, env, k);
    if (!p) {
      this.stale++;
      return 'stale';
    }
    if (p.served[j]) {
      this.duplicates++;
      return 'duplicate';
    }
    p.actions[j] = action;
    p.logits.set(logits, j * this.dims.numActions);
    p.served[j] = 1;
    p.minVersion = Math.min(p.minVersion, version);
    p.missing--;
    this.check(actorId, env, k, p);
    return 'ok';
  }

  /** Reward and done flag that followed the action of step s (arrive in step order per env). */
  outcome(actorId: number, env: number, step: number, reward: number, done: boolean): void {
    const T = this.dims.unrollLength;
    const k = Math.floor(step / T);
    const j = step % T;
    const t = this.track(actorId, env);
    const p = this.get(actorId, env, k);
    if (!p) {
      // Its unroll was dropped: the episode return still counts the step, once (a replay adds nothing).
      if (step > t.lastOutcomeStep) this.addReturn(actorId, env, reward, done);
      t.lastOutcomeStep = Math.max(t.lastOutcomeStep, step);
      this.stale++;
      return;
    }
    if (p.outcome[j]) {
      this.duplicates++;
      return;
    }
    t.lastOutcomeStep = Math.max(t.lastOutcomeStep, step);
    this.addReturn(actorId, env, reward, done);
    p.rewards[j] = reward;
    p.dones[j] = done ? 1 : 0;
    p.outcome[j] = 1;
    p.missing--;
    this.check(actorId, env, k, p);
  }

  private addReturn(actorId: number, env: number, reward: number, done: boolean): void {
    const ek = `${actorId}:${env}`;
    const r = this.returns.get(ek) ?? { ret: 0, len: 0 };
    r.ret += reward;
    r.len++;
    if (done) {
      this.onEpisode({ actorId, env, ret: r.ret, length: r.len });
      r.ret = 0;
      r.len = 0;
    }
    this.returns.set(ek, r);
  }

  /** Unfinished unrolls held (of one actor, or all). */
  pendingUnrolls(actorId?: number): number {
    if (actorId === undefined) return this.pending.size;
    let n = 0;
    for (const key of this.pending.keys()) if (key.startsWith(`${actorId}:`)) n++;
    return n;
  }

  /** Steps held in unfinished unrolls of an actor (served, not yet assembled). */
  pendingSteps(actorId?: number): number {
    let n = 0;
    for (const [key, p] of this.pending) {
      if (actorId !== undefined && !key.startsWith(`${actorId}:`)) continue;
      for (const s of p.served) n += s;
    }
    return n;
  }

  /**
   * Forgets an actor that left (its unfinished unrolls can never complete): returns how many served
   * steps were dropped with them, so the accounting stays exact.
   */
  dropActor(actorId: number): number {
    let dropped = 0;
    for (const [key, p] of this.pending) {
      if (!key.startsWith(`${actorId}:`)) continue;
      for (const s of p.served) dropped += s;
      this.pending.delete(key);
    }
    for (const key of this.returns.keys()) if (key.startsWith(`${actorId}:`)) this.returns.delete(key);
    for (const key of this.tracks.keys()) if (key.startsWith(`${actorId}:`)) this.tracks.delete(key);
    this.newest.delete(actorId);
    this.wakeProgress(actorId);
    return dropped;
  }
}
