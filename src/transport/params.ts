/**
 * Parameters over ZeroMQ: learner PUB → actor SUB, newest only. Each subscriber takes exactly one
 * topic, and one message on it carries everything that subscriber holds: an actor at split point y
 * takes headTopic(y, codec) (layers 1..y and its codec's state), an inference server ALL_PARAMS_TOPIC
 * (all K layers and every codec's state). Both ends conflate (ZMQ_CONFLATE): a link slower than the
 * learner publishes keeps only the newest message queued for that subscriber, so what it receives is
 * at most a message or two old and the learner's memory does not grow with its backlog (with a queue
 * per subscriber, a 2 MB/s actor fell further behind at every update and never caught up). Conflation
 * keeps single-frame messages only: a message is the topic's bytes followed by a ParamUpdate. Topics
 * end in a character no other topic has in that place, so ZeroMQ's prefix filter is an exact match.
 * Bytes are counted in a LinkStats ('params') and paced by the actor's downlink Pacer.
 */
import * as zmq from 'zeromq';
import { type CurveClientKeys, curveClientOptions, curveServerOptions } from './curve.js';
import { type Pacer, LinkStats } from './pacer.js';
import { countInto, SendQueue } from './send-queue.js';
import { decodeAs, encode, type LayerBlob, type ParamUpdate, ProtocolError } from './wire/index.js';

/**
 * Topic of the head an actor at split point y holds: layers 1..y and, with feature codec `codec`, that
 * codec's state: "head/<y>/<codec>/", "head/<y>/-/" without one ('-' is no codec id, so the float32
 * head's topic is not a prefix of a coded one's).
 */
export function headTopic(y: number, codec = ''): string {
  if (!Number.isInteger(y) || y < 1) throw new RangeError(`headTopic needs an integer split point >= 1, got ${y}`);
  if (codec !== '' && !/^[a-z0-9]+$/.test(codec)) throw new RangeError(`headTopic needs a codec id (letters and digits) or '', got "${codec}"`);
  return `head/${y}/${codec || '-'}/`;
}

/** Topic of all K layers and every codec's state (inference servers, which serve every tail). */
export const ALL_PARAMS_TOPIC = 'all/';

/** Index of the blob holding codec states in a parameter message (layers are numbered from 1). */
export const CODEC_STATES_BLOB = 0;

/** Key of codec `id` at split point y among a parameter message's codec states (and an actor's codecs). */
export const codecKey = (y: number, id: string): string => `${y}/${id}`;

/** The blob of codec states: one JSON object keyed by codecKey(y, id). */
export function codecStatesBlob(states: ReadonlyMap<string, unknown>): LayerBlob {
  return { index: CODEC_STATES_BLOB, data: new TextEncoder().encode(JSON.stringify(Object.fromEntries(states))) };
}

/** The codec states a parameter message carries (empty without that blob); throws on a blob that is not a JSON object. */
export function readCodecStates(u: ParamUpdate): Map<string, unknown> {
  const b = u.layers.find((l) => l.index === CODEC_STATES_BLOB);
  if (!b) return new Map();
  const o: unknown = JSON.parse(new TextDecoder().decode(b.data));
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('the codec states blob of a parameter message is not a JSON object');
  return new Map(Object.entries(o));
}

/** The layer blobs of a parameter message (without the codec states). */
export function layerBlobs(u: ParamUpdate): LayerBlob[] {
  return u.layers.filter((l) => l.index !== CODEC_STATES_BLOB);
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
    const socket = new zmq.Publisher({
      linger: 0,
      conflate: true,
      maxMessageSize: 4096,
      ...(opts.curve ? curveServerOptions(opts.curve.secretKey, opts.curve.domain) : {}),
    });
    try {
      await socket.bind(opts.address);
    } catch (e) {
      socket.close();
      throw new Error(`cannot bind parameter publisher to ${opts.address}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return new ParamPublisher(socket, socket.lastEndpoint ?? opts.address, opts.stats, opts.pacer);
  }

  /** Publish one version on `topic` (a subscriber's whole message); resolves with the bytes sent. */
  publish(topic: string, version: number, layers: LayerBlob[]): Promise<number> {
    const message = Buffer.concat([Buffer.from(topic), encode({ type: 'ParamUpdate', version, layers })]);
    return this.queue.run(async () => {
      await this.pacer?.acquire(message.length);
      await this.socket.send(message);
      this.stats.sent('params', message.length);
      return message.length;
    });
  }

  close(): void {
    this.socket.close();
  }
}

export interface ParamSubscriberOptions {
  /** Publisher endpoint, e.g. "tcp://127.0.0.1:5555". */
  address: string;
  /** The one topic: headTopic(y, codec) or ALL_PARAMS_TOPIC. */
  topic: string;
  stats?: LinkStats;
  pacer?: Pacer;
  /** Called for each accepted (newer) update. */
  onUpdate?: (update: ParamUpdate) => void;
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
  private newest: ParamUpdate | undefined;
  private taken = -1;
  private waiters: { minVersion: number; resolve: (u: ParamUpdate) => void; reject: (e: Error) => void }[] = [];
  private readonly topicBytes: Buffer;
  private readonly loop: Promise<void>;
  private closed = false;

  private constructor(
    private readonly socket: zmq.Subscriber,
    private readonly opts: ParamSubscriberOptions,
  ) {
    this.stats = opts.stats ?? new LinkStats();
    this.topicBytes = Buffer.from(opts.topic);
    this.loop = this.receiveLoop();
  }

  static connect(opts: ParamSubscriberOptions): ParamSubscriber {
    if (opts.topic === '') throw new RangeError('ParamSubscriber needs a topic (headTopic(y, codec) or ALL_PARAMS_TOPIC)');
    const socket = new zmq.Subscriber({
      linger: 0,
      // Newest only here too: with the application pacer (no tc), messages wait on this side of the link.
      conflate: true,
      maxMessageSize: opts.maxMessageBytes ?? DEFAULT_PARAM_MESSAGE_BYTES,
      ...(opts.curve ? curveClientOptions(opts.curve) : {}),
    });
    socket.connect(opts.address);
    socket.subscribe(opts.topic);
    return new ParamSubscriber(socket, opts);
  }

  get topic(): string {
    return this.opts.topic;
  }

  /** Newest accepted update. */
  latest(): ParamUpdate | undefined {
    return this.newest;
  }

  /** Version held, -1 if none yet. */
  version(): number {
    return this.newest?.version ?? -1;
  }

  /** The newest update not handed out by take() before (for actors applying params between steps). */
  take(): ParamUpdate | undefined {
    const u = this.newest;
    if (!u || this.taken >= u.version) return undefined;
    this.taken = u.version;
    return u;
  }

  /** Resolve with the first held update whose version is >= minVersion. */
  waitForVersion(minVersion: number, timeoutMs: number): Promise<ParamUpdate> {
    const u = this.newest;
    if (u && u.version >= minVersion) return Promise.resolve(u);
    return new Promise((resolve, reject) => {
      const w = {
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
        reject(new Error(`no parameters on ${this.opts.topic} at version >= ${minVersion} within ${timeoutMs} ms (holding ${this.version()})`));
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
        const bytes = frames.reduce((a, f) => a + f.length, 0);
        this.stats.received('params', bytes);
        await this.opts.pacer?.acquire(bytes);
        this.counters.received++;
        this.handle(frames);
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  private handle(frames: Buffer[]): void {
    const t = this.topicBytes;
    const m = frames[0];
    if (frames.length !== 1 || m.length < t.length || !m.subarray(0, t.length).equals(t)) {
      countInto(this.counters.rejected, 'WRONG_TOPIC');
      return;
    }
    let update: ParamUpdate;
    try {
      update = decodeAs(m.subarray(t.length), 'ParamUpdate');
    } catch (e) {
      countInto(this.counters.rejected, e instanceof ProtocolError ? e.code : 'UNKNOWN');
      return;
    }
    if (update.version <= this.version()) {
      this.counters.stale++;
      return;
    }
    this.newest = update;
    this.counters.accepted++;
    this.opts.onUpdate?.(update);
    const ready = this.waiters.filter((w) => update.version >= w.minVersion);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(update);
  }
}
