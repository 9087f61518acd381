/**
 * Parameters over ZeroMQ: learner PUB → actor SUB. A message is two frames, [topic, ParamUpdate];
 * the topic names a layer range (paramTopic(1, 3) = "params/1-3"; the learner publishes one topic
 * per layer). ZeroMQ filters by prefix, so subscribers also compare the topic exactly. A subscriber
 * keeps only the newest version per topic and counts (and drops) anything not newer than it holds.
 * Bytes are counted in a LinkStats ('params') and paced by the actor's downlink Pacer.
 */
import * as zmq from 'zeromq';
import { type CurveClientKeys, curveClientOptions, curveServerOptions } from './curve.js';
import { type Pacer, LinkStats } from './pacer.js';
import { countInto, SendQueue } from './send-queue.js';
import { decodeAs, encode, type LayerBlob, type ParamUpdate, ProtocolError } from './wire/index.js';

/** Topic for the parameters of layers from..to (1-based, inclusive). */
/**
 * Topic of the state (encoder/decoder weights, quantiser range) of codec `id` at split point y:
 * "codec/<y>/<id>/". The closing slash keeps one codec's subscription from prefix-matching another's
 * (q8 and q8z), so an actor's link carries only the codec it uses.
 */
export function codecTopic(y: number, id: string): string {
  if (!Number.isInteger(y) || y < 1) throw new RangeError(`codecTopic needs an integer split point >= 1, got ${y}`);
  if (!/^[a-z0-9]+$/.test(id)) throw new RangeError(`codecTopic needs a codec id (letters and digits), got "${id}"`);
  return `codec/${y}/${id}/`;
}

export function paramTopic(from: number, to: number): string {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < from) {
    throw new RangeError(`paramTopic needs integers 1 <= from <= to, got from=${from}, to=${to}`);
  }
  return `params/${from}-${to}`;
}

export interface ParamPublisherOptions {
  /** Where to bind, e.g. "tcp://127.0.0.1:*" (a free port; see `endpoint`). */
  address: string;
  stats?: LinkStats;
  pacer?: Pacer;
  /** CURVE server: only subscribers whose key the ZAP handler admits on `domain` receive anything. */
  curve?: { secretKey: string; domain: string };
}

/** Largest parameter message a subscriber accepts by default (a bigger one drops the connection). */
export const DEFAULT_PARAM_MESSAGE_BYTES = 256 * 1024 * 1024;

export class ParamPublisher {
  readonly stats: LinkStats;
  private readonly queue = new SendQueue();

  private constructor(
    private readonly socket: zmq.Publisher,
    readonly endpoint: string,
    stats: LinkStats | undefined,
    private readonly pacer: Pacer | undefined,
  ) {
    this.stats = stats ?? new LinkStats();
  }

  static async bind(opts: ParamPublisherOptions): Promise<ParamPublisher> {
    // Inbound on a PUB socket are only subscriptions (a topic of a few bytes).
    const socket = new zmq.Publisher({ linger: 0, maxMessageSize: 4096, ...(opts.curve ? curveServerOptions(opts.curve.secretKey, opts.curve.domain) : {}) });
    try {
      await socket.bind(opts.address);
    } catch (e) {
      socket.close();
      throw new Error(`cannot bind parameter publisher to ${opts.address}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return new ParamPublisher(socket, socket.lastEndpoint ?? opts.address, opts.stats, opts.pacer);
  }

  /** Publish one version of some layers; resolves with the bytes sent. */
  publish(topic: string, version: number, layers: LayerBlob[]): Promise<number> {
    const body = encode({ type: 'ParamUpdate', version, layers });
    const bytes = body.length + Buffer.byteLength(topic);
    return this.queue.run(async () => {
      await this.pacer?.acquire(bytes);
      await this.socket.send([topic, body]);
      this.stats.sent('params', bytes);
      return bytes;
    });
  }

  close(): void {
    this.socket.close();
  }
}

export interface ParamSubscriberOptions {
  /** Publisher endpoint, e.g. "tcp://127.0.0.1:5555". */
  address: string;
  topics: string[];
  stats?: LinkStats;
  pacer?: Pacer;
  /** Called for each accepted (newer) update. */
  onUpdate?: (topic: string, update: ParamUpdate) => void;
  /** CURVE keys from the learner's registration. */
  curve?: CurveClientKeys;
  /** Largest message accepted (default 256 MiB). */
  maxMessageBytes?: number;
}

export interface ParamSubscriberStats {
  received: number;
  accepted: number;
  /** Updates not newer than the held version, dropped. */
  stale: number;
  /** Malformed messages, by ProtocolError code (or 'WRONG_TOPIC'). */
  rejected: Record<string, number>;
}

export class ParamSubscriber {
  readonly stats: LinkStats;
  readonly counters: ParamSubscriberStats = { received: 0, accepted: 0, stale: 0, rejected: {} };
  private readonly newest = new Map<string, ParamUpdate>();
  private readonly taken = new Map<string, number>();
  private waiters: { topic: string; minVersion: number; resolve: (u: ParamUpdate) => void; reject: (e: Error) => void }[] = [];
  private readonly loop: Promise<void>;
  private closed = false;

  private constructor(
    private readonly socket: zmq.Subscriber,
    private readonly opts: ParamSubscriberOptions,
  ) {
    this.stats = opts.stats ?? new LinkStats();
    this.loop = this.receiveLoop();
  }

  static connect(opts: ParamSubscriberOptions): ParamSubscriber {
    if (opts.topics.length === 0) throw new RangeError('ParamSubscriber needs at least one topic (e.g. paramTopic(1, y) or ALL_PARAMS_TOPIC)');
    const socket = new zmq.Subscriber({
      linger: 0,
      maxMessageSize: opts.maxMessageBytes ?? DEFAULT_PARAM_MESSAGE_BYTES,
      ...(opts.curve ? curveClientOptions(opts.curve) : {}),
    });
    socket.connect(opts.address);
    for (const t of opts.topics) socket.subscribe(t);
    return new ParamSubscriber(socket, opts);
  }

  /** Newest accepted update of a topic. */
  latest(topic: string): ParamUpdate | undefined {
    return this.newest.get(topic);
  }

  /** Version held for a topic, -1 if none yet. */
  version(topic: string): number {
    return this.newest.get(topic)?.version ?? -1;
  }

  /** The newest update not handed out by take() before (for actors applying params between steps). */
  take(topic: string): ParamUpdate | undefined {
    const u = this.newest.get(topic);
    if (!u || (this.taken.get(topic) ?? -1) >= u.version) return undefined;
    this.taken.set(topic, u.version);
    return u;
  }

  /** Resolve with the first held update of `topic` whose version is >= minVersion. */
  waitForVersion(topic: string, minVersion: number, timeoutMs: number): Promise<ParamUpdate> {
    const u = this.newest.get(topic);
    if (u && u.version >= minVersion) return Promise.resolve(u);
    return new Promise((resolve, reject) => {
      const w = {
        topic,
        minVersion,
        resolve: (x: ParamUpdate) => {
          clearTimeout(t);
          resolve(x);
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no parameters for ${topic} at version >= ${minVersion} within ${timeoutMs} ms (holding ${this.version(topic)})`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new Error('parameter subscriber closed'));
    this.socket.close();
    await this.loop;
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const [topicFrame, body] = frames;
        const bytes = frames.reduce((a, f) => a + f.length, 0);
        this.stats.received('params', bytes);
        await this.opts.pacer?.acquire(bytes);
        this.counters.received++;
        this.handle(topicFrame?.toString() ?? '', body, frames.length);
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  private handle(topic: string, body: Buffer | undefined, nFrames: number): void {
    if (nFrames !== 2 || body === undefined || !this.opts.topics.includes(topic)) {
      countInto(this.counters.rejected, 'WRONG_TOPIC');
      return;
    }
    let update: ParamUpdate;
    try {
      update = decodeAs(body, 'ParamUpdate');
    } catch (e) {
      countInto(this.counters.rejected, e instanceof ProtocolError ? e.code : 'UNKNOWN');
      return;
    }
    if (update.version <= this.version(topic)) {
      this.counters.stale++;
      return;
    }
    this.newest.set(topic, update);
    this.counters.accepted++;
    this.opts.onUpdate?.(topic, update);
    const ready = this.waiters.filter((w) => w.topic === topic && update.version >= w.minVersion);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(update);
  }
}
