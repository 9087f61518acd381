/**
 * Dynamic batching of inference requests from many actors.
 *
 * Requests carry a number of env-steps (the actor's numEnvs) and a split point. Each split point
 * has its own FIFO queue, since only requests cut at the same layer can share a tail forward pass.
 * A queue releases a batch when it holds at least maxBatch env-steps ("full"), when every stream
 * that can send at that split point has a request waiting ("complete": waiting longer could only add
 * latency, since each stream has one request in flight), or when its oldest request has waited
 * maxWaitMs ("timeout"). A batch is the longest FIFO prefix whose env-steps fit
 * in maxBatch; requests are never split, so one request larger than maxBatch goes out alone.
 *
 * BatchQueue is the pure logic (time is passed in); DynamicBatcher is the thin async shell that
 * arms a timer for the next deadline and runs batches through a user function.
 */

export interface BatcherOptions {
  /** Max env-steps per batch (sum of numEnvs over its requests). */
  maxBatch: number;
  /** Max time the oldest request of a group may wait before its batch is released. */
  maxWaitMs: number;
  /**
   * Streams that can send requests at a split point (the learner's connected actors there). When
   * given, a group holding a request from as many streams is released at once.
   */
  streamsAt?: (splitPoint: number) => number;
}

export interface Batch<T> {
  splitPoint: number;
  items: T[];
  /** numEnvs of each item, same order. */
  sizes: number[];
  envSteps: number;
  reason: 'full' | 'complete' | 'timeout' | 'flush';
  /** Enqueue time of the oldest item. */
  oldestAt: number;
}

interface Pending<T> {
  item: T;
  numEnvs: number;
  enqueuedAt: number;
}

export function checkBatcherOptions(o: BatcherOptions): void {
  if (!Number.isInteger(o.maxBatch) || o.maxBatch < 1) {
    throw new RangeError(`maxBatch must be an integer >= 1 (env-steps per batch), got ${String(o.maxBatch)}`);
  }
  if (!Number.isFinite(o.maxWaitMs) || o.maxWaitMs < 0) {
    throw new RangeError(`maxWaitMs must be a finite number >= 0 (milliseconds), got ${String(o.maxWaitMs)}`);
  }
}

/** Pure batching state machine: no timers, every call gets the current time. */
export class BatchQueue<T> {
  private readonly groups = new Map<number, { queue: Pending<T>[]; envSteps: number }>();

  constructor(readonly options: BatcherOptions) {
    checkBatcherOptions(options);
  }

  /** Enqueue a request; returns the batches that became full because of it. */
  push(splitPoint: number, numEnvs: number, item: T, now: number): Batch<T>[] {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`numEnvs must be an integer >= 1, got ${String(numEnvs)}`);
    if (!Number.isInteger(splitPoint) || splitPoint < 0) throw new RangeError(`splitPoint must be an integer >= 0, got ${String(splitPoint)}`);
    let g = this.groups.get(splitPoint);
    if (!g) {
      g = { queue: [], envSteps: 0 };
      this.groups.set(splitPoint, g);
    }
    g.queue.push({ item, numEnvs, enqueuedAt: now });
    g.envSteps += numEnvs;
    const out: Batch<T>[] = [];
    while (g.envSteps >= this.options.maxBatch) out.push(this.take(splitPoint, 'full'));
    const c = this.complete(splitPoint);
    if (c) out.push(c);
    return out;
  }

  /** The group's batch if every stream that can send at `splitPoint` has a request in it. */
  complete(splitPoint: number): Batch<T> | undefined {
    const g = this.groups.get(splitPoint);
    const streams = this.options.streamsAt?.(splitPoint);
    if (!g || streams === undefined || streams < 1 || g.queue.length < streams) return undefined;
    return this.take(splitPoint, 'complete');
  }

  /** Re-checks every group after the set of streams changed (an actor left or moved). */
  recheck(): Batch<T>[] {
    const out: Batch<T>[] = [];
    for (const sp of [...this.groups.keys()]) {
      const c = this.complete(sp);
      if (c) out.push(c);
    }
    return out;
  }

  /** Batches whose oldest request has waited at least maxWaitMs at time `now`, oldest first. */
  due(now: number): Batch<T>[] {
    const out: Batch<T>[] = [];
    for (;;) {
      let best: number | undefined;
      let bestAt = Infinity;
      for (const [sp, g] of this.groups) {
        const head = g.queue[0];
        if (head && now - head.enqueuedAt >= this.options.maxWaitMs && head.enqueuedAt < bestAt) {
          best = sp;
          bestAt = head.enqueuedAt;
        }
      }
      if (best === undefined) return out;
      out.push(this.take(best, 'timeout'));
    }
  }

  /** Time at which the next timeout release is due, or undefined if nothing is queued. */
  nextDeadline(): number | undefined {
    let t: number | undefined;
    for (const g of this.groups.values()) {
      const head = g.queue[0];
      if (head) t = Math.min(t ?? Infinity, head.enqueuedAt + this.options.maxWaitMs);
    }
    return t;
  }

  /** Release everything queued (e.g. on shutdown). */
  flush(): Batch<T>[] {
    const out: Batch<T>[] = [];
    for (const [sp, g] of this.groups) while (g.queue.length > 0) out.push(this.take(sp, 'flush'));
    return out;
  }

  get pendingEnvSteps(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.envSteps;
    return n;
  }

  get pendingRequests(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.queue.length;
    return n;
  }

  private take(splitPoint: number, reason: Batch<T>['reason']): Batch<T> {
    const g = this.groups.get(splitPoint)!;
    let count = 0;
    let envSteps = 0;
    while (count < g.queue.length && (count === 0 || envSteps + g.queue[count].numEnvs <= this.options.maxBatch)) {
      envSteps += g.queue[count].numEnvs;
      count++;
    }
    const taken = g.queue.splice(0, count);
    g.envSteps -= envSteps;
    if (g.queue.length === 0) this.groups.delete(splitPoint);
    return {
      splitPoint,
      items: taken.map((p) => p.item),
      sizes: taken.map((p) => p.numEnvs),
      envSteps,
      reason,
      oldestAt: taken[0].enqueuedAt,
    };
  }
}

/** Timer functions, injectable so tests can drive time by hand. */
export interface TimerApi {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: TimerApi = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface DynamicBatcherOptions<Req, Res> extends BatcherOptions {
  /** Runs one batch (all requests share `splitPoint`); must return one result per request, in order. */
  run: (batch: Batch<Req>) => Promise<Res[]>;
  timers?: TimerApi;
}

interface Waiter<Req, Res> {
  req: Req;
  resolve: (r: Res) => void;
  reject: (e: unknown) => void;
}

/** Async shell over BatchQueue: `submit` resolves with this request's share of its batch result. */
export class DynamicBatcher<Req, Res> {
  private readonly queue: BatchQueue<Waiter<Req, Res>>;
  private readonly timers: TimerApi;
  private timer: unknown = undefined;
  private timerAt = Infinity;
  private closed = false;
  readonly stats = { batches: 0, envSteps: 0, full: 0, complete: 0, timeout: 0, flush: 0 };

  constructor(private readonly options: DynamicBatcherOptions<Req, Res>) {
    this.queue = new BatchQueue(options);
    this.timers = options.timers ?? systemTimers;
  }

  submit(splitPoint: number, numEnvs: number, req: Req): Promise<Res> {
    if (this.closed) return Promise.reject(new Error('DynamicBatcher is closed'));
    return new Promise<Res>((resolve, reject) => {
      const ready = this.queue.push(splitPoint, numEnvs, { req, resolve, reject }, this.timers.now());
      for (const b of ready) this.dispatch(b);
      this.arm();
    });
  }

  /** Run everything still queued, then refuse new requests. */
  close(): void {
    this.closed = true;
    this.disarm();
    for (const b of this.queue.flush()) this.dispatch(b);
  }

  get pendingEnvSteps(): number {
    return this.queue.pendingEnvSteps;
  }

  /** Call when streams come or go: a group may now hold a request from every remaining stream. */
  recheck(): void {
    for (const b of this.queue.recheck()) this.dispatch(b);
    this.arm();
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    for (const b of this.queue.due(this.timers.now())) this.dispatch(b);
    this.arm();
  }

  private arm(): void {
    const at = this.queue.nextDeadline();
    if (at === undefined) {
      this.disarm();
      return;
    }
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.disarm();
    this.timerAt = at;
    this.timer = this.timers.setTimeout(() => this.onTimer(), Math.max(0, at - this.timers.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private dispatch(b: Batch<Waiter<Req, Res>>): void {
    this.stats.batches++;
    this.stats.envSteps += b.envSteps;
    this.stats[b.reason]++;
    const waiters = b.items;
    const batch: Batch<Req> = { ...b, items: waiters.map((w) => w.req) };
    let p: Promise<Res[]>;
    try {
      p = this.options.run(batch);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (results) => {
        if (!Array.isArray(results) || results.length !== waiters.length) {
          const err = new Error(`batch runner returned ${Array.isArray(results) ? results.length : typeof results} results for ${waiters.length} requests`);
          for (const w of waiters) w.reject(err);
          return;
        }
        waiters.forEach((w, i) => w.resolve(results[i]));
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
  }
}
