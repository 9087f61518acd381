/**
 * Uploads over ZeroMQ: actor PUSH → learner PULL, one UploadChunk per message. A blob of T bytes in
 * C chunks is cut into chunks of s = ceil(T / C) bytes (the last one shorter), so the puller can
 * check every chunk's offset (index × s) and length exactly before reassembling. Bytes are counted
 * in a LinkStats ('upload') and paced by the actor's uplink Pacer.
 */
import * as zmq from 'zeromq';
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
}

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
    const socket = new zmq.Push({ linger: 1000 });
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
}

export interface UploadPullerStats {
  chunks: number;
  uploads: number;
  bytes: number;
  /** Rejected chunks by ProtocolError code. */
  rejected: Record<string, number>;
  /** Partial uploads dropped after incompleteTimeoutMs. */
  expired: number;
}

interface PartialUpload {
  data: Uint8Array;
  chunkCount: number;
  size: number;
  got: Uint8Array;
  gotCount: number;
  meta?: Record<string, unknown>;
  touchedAt: number;
}

export class UploadPuller {
  readonly counters: UploadPullerStats = { chunks: 0, uploads: 0, bytes: 0, rejected: {}, expired: 0 };
  private readonly partials = new Map<string, PartialUpload>();
  private readonly perActor = new Map<string, LinkStats>();
  private readonly known: Set<string> | undefined;
  private readonly maxBytes: number;
  private readonly expireMs: number;
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
    this.loop = this.receiveLoop();
  }

  static async bind(opts: UploadPullerOptions): Promise<UploadPuller> {
    const socket = new zmq.Pull({ linger: 0 });
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

  /** Handle one raw message (the receive loop's body; public so it can be driven without sockets). */
  accept(msg: Buffer, now: number = performance.now()): void {
    this.counters.chunks++;
    this.expire(now);
    try {
      const c = decodeAs(msg, 'UploadChunk', this.opts.protocolVersion ?? PROTOCOL_VERSION);
      if (this.known && !this.known.has(c.actorId)) {
        throw new ProtocolError('UNKNOWN_ACTOR', `UploadChunk.actorId "${c.actorId}" is not one of this learner's actors`);
      }
      this.statsFor(c.actorId).received('upload', msg.length);
      if (c.totalBytes > this.maxBytes) {
        throw new ProtocolError('BAD_LENGTH', `UploadChunk.totalBytes ${c.totalBytes} exceeds the ${this.maxBytes}-byte upload limit`);
      }
      const key = `${c.actorId}\u0000${c.uploadId}`;
      let p = this.partials.get(key);
      if (!p) {
        const count = c.chunkCount;
        const size = Math.ceil(c.totalBytes / count);
        // chunkLayout never yields empty chunks, so T bytes in `count` chunks must need all of them.
        if (c.totalBytes > 0 ? Math.ceil(c.totalBytes / size) !== count : count !== 1) {
          throw new ProtocolError('BAD_FIELD', `UploadChunk.chunkCount ${count} cannot cut ${c.totalBytes} bytes into equal chunks`);
        }
        p = { data: new Uint8Array(c.totalBytes), chunkCount: count, size, got: new Uint8Array(count), gotCount: 0, touchedAt: now };
        this.partials.set(key, p);
      }
      if (c.chunkCount !== p.chunkCount || c.totalBytes !== p.data.length) {
        throw new ProtocolError(
          'BAD_FIELD',
          `UploadChunk ${c.chunkIndex} of upload ${c.uploadId} says ${c.chunkCount} chunks / ${c.totalBytes} bytes, earlier chunks said ${p.chunkCount} / ${p.data.length}`,
        );
      }
      const offset = c.chunkIndex * p.size;
      const length = Math.min(p.size, p.data.length - offset);
      if (c.offset !== offset || c.data.length !== length) {
        throw new ProtocolError(
          'BAD_LENGTH',
          `UploadChunk ${c.chunkIndex}: expected offset ${offset} and ${length} bytes, got offset ${c.offset} and ${c.data.length} bytes`,
        );
      }
      if (p.got[c.chunkIndex]) throw new ProtocolError('BAD_SEQUENCE', `UploadChunk ${c.chunkIndex} of upload ${c.uploadId} arrived twice`);
      p.data.set(c.data, offset);
      p.got[c.chunkIndex] = 1;
      p.gotCount++;
      p.touchedAt = now;
      if (c.meta !== undefined) p.meta = c.meta;
      this.counters.bytes += c.data.length;
      if (p.gotCount === p.chunkCount) {
        this.partials.delete(key);
        this.counters.uploads++;
        const done: CompletedUpload = { actorId: c.actorId, uploadId: c.uploadId, data: p.data, ...(p.meta ? { meta: p.meta } : {}) };
        this.deliver(done);
      }
    } catch (e) {
      countInto(this.counters.rejected, e instanceof ProtocolError ? e.code : 'UNKNOWN');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.socket.close();
    await this.loop;
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
        this.partials.delete(key);
        this.counters.expired++;
      }
    }
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
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
