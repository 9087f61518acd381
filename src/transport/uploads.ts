/**
 * Uploads over ZeroMQ: actor PUSH → learner PULL, one UploadChunk per message. A blob of T bytes in
 * C chunks is cut into chunks of s = ceil(T / C) bytes (the last one shorter), so the puller can
 * check every chunk's offset (index × s) and length exactly before reassembling. Bytes are counted
 * in a LinkStats ('upload') and paced by the actor's uplink Pacer.
 */
import * as zmq from 'zeromq';
import { type CurveClientKeys, curveClientOptions, curveServerOptions } from './curve.js';
import { type Pacer, LinkStats } from './pacer.js';
import { countInto, SendQueue } from './send-queue.js';
import { decodeAs, encode, PROTOCOL_VERSION, ProtocolError } from './wire/index.js';

export interface UploadPusherOptions {
  /** Puller endpoint to connect to. */
  address: string;
  actorId: string;
  /** Max bytes of payload per chunk (default 256 KiB). */
  chunkBytes?: number;
  stats?: LinkStats;
  pacer?: Pacer;
  /** CURVE keys from the learner's registration (the puller then only admits this keypair). */
  curve?: CurveClientKeys;
}

/** Largest ZeroMQ message an upload puller accepts by default: a 256 KiB chunk plus its header and meta. */
export const DEFAULT_UPLOAD_MESSAGE_BYTES = 2 * 1024 * 1024;

/** Split T bytes into chunks: count = ceil(T / maxChunk) (at least 1), size = ceil(T / count). */
export function chunkLayout(totalBytes: number, maxChunkBytes: number): { count: number; size: number } {
  if (!Number.isInteger(maxChunkBytes) || maxChunkBytes < 1) throw new RangeError(`chunkBytes must be an integer >= 1, got ${maxChunkBytes}`);
  const count = Math.max(1, Math.ceil(totalBytes / maxChunkBytes));
  return { count, size: Math.ceil(totalBytes / count) };
}

export class UploadPusher {
  readonly stats: LinkStats;
  private nextUploadId = 0;
  private readonly queue = new SendQueue();
  private readonly chunkBytes: number;

  private constructor(
    private readonly socket: zmq.Push,
    private readonly opts: UploadPusherOptions,
  ) {
    this.stats = opts.stats ?? new LinkStats();
    this.chunkBytes = opts.chunkBytes ?? 256 * 1024;
    chunkLayout(0, this.chunkBytes);
  }

  static connect(opts: UploadPusherOptions): UploadPusher {
    if (opts.actorId.length === 0) throw new RangeError('UploadPusher.actorId must be a non-empty string');
    const socket = new zmq.Push({ linger: 1000, maxMessageSize: 1024, sendHighWaterMark: 16, ...(opts.curve ? curveClientOptions(opts.curve) : {}) });
    socket.connect(opts.address);
    return new UploadPusher(socket, opts);
  }

  /** Send one blob in chunks; resolves with its uploadId once every chunk is handed to ZeroMQ. */
  upload(data: Uint8Array, meta?: Record<string, unknown>): Promise<number> {
    const uploadId = this.nextUploadId++;
    const { count, size } = chunkLayout(data.length, this.chunkBytes);
    return this.queue.run(async () => {
      for (let i = 0; i < count; i++) {
        const offset = i * size;
        const chunk = data.subarray(offset, Math.min(data.length, offset + size));
        const msg = encode({
          type: 'UploadChunk',
          actorId: this.opts.actorId,
          uploadId,
          chunkIndex: i,
          chunkCount: count,
          totalBytes: data.length,
          offset,
          data: chunk,
          ...(i === 0 && meta !== undefined ? { meta } : {}),
        });
        await this.opts.pacer?.acquire(msg.length);
        await this.socket.send(msg);
        this.stats.sent('upload', msg.length);
      }
      return uploadId;
    });
  }

  close(): void {
    this.socket.close();
  }
}

export interface CompletedUpload {
  actorId: string;
  uploadId: number;
  data: Uint8Array;
  meta?: Record<string, unknown>;
}

export interface UploadPullerOptions {
  /** Where to bind, e.g. "tcp://127.0.0.1:*". */
  address: string;
  onUpload?: (u: CompletedUpload) => void;
  /** If given, chunks from other actor ids are rejected (UNKNOWN_ACTOR). */
  knownActors?: Iterable<string>;
  /** Largest upload accepted (default 256 MiB). */
  maxUploadBytes?: number;
  /** Partial uploads untouched this long are dropped (default 60 s). */
  incompleteTimeoutMs?: number;
  /** Protocol version to accept; only tests change it. */
  protocolVersion?: number;
  /** Optional cap on the learner's receive side (all actors together). */
  pacer?: Pacer;
  /** CURVE server: only clients whose key the ZAP handler admits on `domain` get through. */
  curve?: { secretKey: string; domain: string };
  /** If given, this socket belongs to one actor: chunks naming any other actor id are rejected (WRONG_ACTOR). */
  actorId?: string;
  /** Largest ZeroMQ message (a bigger one drops the connection before it is buffered); default 2 MiB. */
  maxMessageBytes?: number;
  /** Budget for the bytes held in partial uploads (default 64 MiB); a chunk beyond it drops its upload (OVER_BUDGET). */
  maxPendingBytes?: number;
  /** At most this many partial uploads at once (default 16); more are rejected (OVER_BUDGET). */
  maxPartials?: number;
  /** Called for every rejected chunk (code, message). */
  onReject?: (code: string, message: string) => void;
}

export interface UploadPullerStats {
  chunks: number;
  uploads: number;
  bytes: number;
  /** Rejected chunks by ProtocolError code. */
  rejected: Record<string, number>;
  /** Partial uploads dropped after incompleteTimeoutMs. */
  expired: number;
  /** Bytes held in partial uploads now. */
  pendingBytes: number;
}

/** A partial upload holds only the chunks that arrived (nothing is allocated for the declared total). */
interface PartialUpload {
  totalBytes: number;
  chunkCount: number;
  size: number;
  chunks: Map<number, Uint8Array>;
  held: number;
  meta?: Record<string, unknown>;
  touchedAt: number;
}

/** Bookkeeping charged per held chunk on top of its bytes. */
const CHUNK_OVERHEAD_BYTES = 64;

export class UploadPuller {
  readonly counters: UploadPullerStats = { chunks: 0, uploads: 0, bytes: 0, rejected: {}, expired: 0, pendingBytes: 0 };
  private readonly partials = new Map<string, PartialUpload>();
  private readonly perActor = new Map<string, LinkStats>();
  private readonly known: Set<string> | undefined;
  private readonly maxBytes: number;
  private readonly expireMs: number;
  private readonly maxPendingBytes: number;
  private readonly maxPartials: number;
  private readonly expiryTimer: ReturnType<typeof setInterval>;
  private completed: CompletedUpload[] = [];
  private waiters: ((u: CompletedUpload) => void)[] = [];
  private readonly loop: Promise<void>;
  private closed = false;

  private constructor(
    private readonly socket: zmq.Pull,
    readonly endpoint: string,
    private readonly opts: UploadPullerOptions,
  ) {
    this.known = opts.knownActors ? new Set(opts.knownActors) : undefined;
    this.maxBytes = opts.maxUploadBytes ?? 256 * 1024 * 1024;
    this.expireMs = opts.incompleteTimeoutMs ?? 60_000;
    this.maxPendingBytes = opts.maxPendingBytes ?? 64 * 1024 * 1024;
    this.maxPartials = opts.maxPartials ?? 16;
    // Expiry runs on a timer too, so partials expire even when no other chunk ever arrives.
    this.expiryTimer = setInterval(() => this.expire(performance.now()), Math.max(10, Math.min(1000, this.expireMs / 4)));
    this.expiryTimer.unref();
    this.loop = this.receiveLoop();
  }

  static async bind(opts: UploadPullerOptions): Promise<UploadPuller> {
    const socket = new zmq.Pull({
      linger: 0,
      // A small queue, so that a paused puller holds its senders back within a few messages.
      receiveHighWaterMark: 16,
      maxMessageSize: opts.maxMessageBytes ?? DEFAULT_UPLOAD_MESSAGE_BYTES,
      ...(opts.curve ? curveServerOptions(opts.curve.secretKey, opts.curve.domain) : {}),
    });
    try {
      await socket.bind(opts.address);
    } catch (e) {
      socket.close();
      throw new Error(`cannot bind upload puller to ${opts.address}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return new UploadPuller(socket, socket.lastEndpoint ?? opts.address, opts);
  }

  /** Bytes received from one actor on the upload channel. */
  statsFor(actorId: string): LinkStats {
    let s = this.perActor.get(actorId);
    if (!s) {
      s = new LinkStats();
      this.perActor.set(actorId, s);
    }
    return s;
  }

  /** Next completed upload (queued if none is waiting; without onUpload they accumulate here). */
  next(timeoutMs: number): Promise<CompletedUpload> {
    const u = this.completed.shift();
    if (u) return Promise.resolve(u);
    return new Promise((resolve, reject) => {
      const w = (x: CompletedUpload): void => {
        clearTimeout(t);
        resolve(x);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no completed upload within ${timeoutMs} ms (${this.partials.size} partial)`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Partial uploads held now. */
  get partialCount(): number {
    return this.partials.size;
  }

  /** Handle one raw message (the receive loop's body; public so it can be driven without sockets). */
  accept(msg: Buffer, now: number = performance.now()): void {
    this.counters.chunks++;
    this.expire(now);
    let key: string | undefined;
    try {
      const c = decodeAs(msg, 'UploadChunk', this.opts.protocolVersion ?? PROTOCOL_VERSION);
      if (this.opts.actorId !== undefined && c.actorId !== this.opts.actorId) {
        throw new ProtocolError('WRONG_ACTOR', `UploadChunk.actorId "${c.actorId}" arrived on the upload socket of actor "${this.opts.actorId}"`);
      }
      if (this.known && !this.known.has(c.actorId)) {
        throw new ProtocolError('UNKNOWN_ACTOR', `UploadChunk.actorId "${c.actorId}" is not one of this learner's actors`);
      }
      this.statsFor(c.actorId).received('upload', msg.length);
      if (c.totalBytes > this.maxBytes) {
        throw new ProtocolError('BAD_LENGTH', `UploadChunk.totalBytes ${c.totalBytes} exceeds the ${this.maxBytes}-byte upload limit`);
      }
      key = `${c.actorId}\u0000${c.uploadId}`;
      let p = this.partials.get(key);
      if (!p) {
        const count = c.chunkCount;
        const size = Math.ceil(c.totalBytes / count);
        // chunkLayout never yields empty chunks, so T bytes in `count` chunks must need all of them.
        if (c.totalBytes > 0 ? Math.ceil(c.totalBytes / size) !== count : count !== 1) {
          key = undefined;
          throw new ProtocolError('BAD_FIELD', `UploadChunk.chunkCount ${count} cannot cut ${c.totalBytes} bytes into equal chunks`);
        }
        if (count > 1 && this.partials.size >= this.maxPartials) {
          key = undefined;
          throw new ProtocolError('OVER_BUDGET', `${this.partials.size} partial uploads already held (at most ${this.maxPartials})`);
        }
        p = { totalBytes: c.totalBytes, chunkCount: count, size, chunks: new Map(), held: 0, touchedAt: now };
        this.partials.set(key, p);
      }
      if (c.chunkCount !== p.chunkCount || c.totalBytes !== p.totalBytes) {
        key = undefined; // a bad chunk does not cost the upload its good ones
        throw new ProtocolError(
          'BAD_FIELD',
          `UploadChunk ${c.chunkIndex} of upload ${c.uploadId} says ${c.chunkCount} chunks / ${c.totalBytes} bytes, earlier chunks said ${p.chunkCount} / ${p.totalBytes}`,
        );
      }
      const offset = c.chunkIndex * p.size;
      const length = Math.min(p.size, p.totalBytes - offset);
      if (c.offset !== offset || c.data.length !== length) {
        key = undefined;
        throw new ProtocolError(
          'BAD_LENGTH',
          `UploadChunk ${c.chunkIndex}: expected offset ${offset} and ${length} bytes, got offset ${c.offset} and ${c.data.length} bytes`,
        );
      }
      if (p.chunks.has(c.chunkIndex)) {
        key = undefined;
        throw new ProtocolError('BAD_SEQUENCE', `UploadChunk ${c.chunkIndex} of upload ${c.uploadId} arrived twice`);
      }
      const cost = c.data.length + CHUNK_OVERHEAD_BYTES;
      if (p.chunkCount > 1 && this.counters.pendingBytes + cost > this.maxPendingBytes) {
        throw new ProtocolError(
          'OVER_BUDGET',
          `partial uploads would hold ${this.counters.pendingBytes + cost} bytes (budget ${this.maxPendingBytes}): upload ${c.uploadId} dropped`,
        );
      }
      // Copy: the chunk is a view into ZeroMQ's message buffer.
      p.chunks.set(c.chunkIndex, Uint8Array.from(c.data));
      p.held += cost;
      this.counters.pendingBytes += cost;
      p.touchedAt = now;
      if (c.meta !== undefined) p.meta = c.meta;
      this.counters.bytes += c.data.length;
      if (p.chunks.size === p.chunkCount) {
        this.dropPartial(key);
        key = undefined;
        const data = new Uint8Array(p.totalBytes);
        for (const [i, d] of p.chunks) data.set(d, i * p.size);
        this.counters.uploads++;
        const done: CompletedUpload = { actorId: c.actorId, uploadId: c.uploadId, data, ...(p.meta ? { meta: p.meta } : {}) };
        this.deliver(done);
      }
      key = undefined;
    } catch (e) {
      // An over-budget upload can never complete: free what it holds.
      if (key !== undefined && e instanceof ProtocolError && e.code === 'OVER_BUDGET') this.dropPartial(key);
      countInto(this.counters.rejected, e instanceof ProtocolError ? e.code : 'UNKNOWN');
      this.opts.onReject?.(e instanceof ProtocolError ? e.code : 'UNKNOWN', e instanceof Error ? e.message : String(e));
    }
  }

  private dropPartial(key: string): void {
    const p = this.partials.get(key);
    if (!p) return;
    this.partials.delete(key);
    this.counters.pendingBytes -= p.held;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.expiryTimer);
    this.socket.close();
    await this.loop;
    for (const k of [...this.partials.keys()]) this.dropPartial(k);
  }

  private deliver(u: CompletedUpload): void {
    if (this.opts.onUpload) {
      this.opts.onUpload(u);
      return;
    }
    const w = this.waiters.shift();
    if (w) w(u);
    else this.completed.push(u);
  }

  private expire(now: number): void {
    for (const [key, p] of this.partials) {
      if (now - p.touchedAt > this.expireMs) {
        this.dropPartial(key);
        this.counters.expired++;
      }
    }
  }

  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  /** Stops reading: ZeroMQ's queues fill and the sending actor blocks (backpressure). */
  pause(): void {
    if (this.gate) return;
    this.gate = new Promise((r) => (this.openGate = r));
  }

  resume(): void {
    this.openGate?.();
    this.gate = null;
    this.openGate = null;
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        if (this.gate) await this.gate;
        if (frames.length !== 1) {
          countInto(this.counters.rejected, 'BAD_FRAMES');
          continue;
        }
        await this.opts.pacer?.acquire(frames[0].length);
        this.accept(frames[0]);
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }
}
