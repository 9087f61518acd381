/**
 * Learner side of the Serve stream (service.ts): one bidirectional gRPC stream per inference server.
 * Token in metadata, ServerHello → RegisterReply, then ServedStep and ServerControl('release') from the
 * server, ServerControl('assign' | 'unassign' | 'ack') from the learner. Messages from a server are
 * handled strictly in arrival order (one chain), and each ServedStep is acknowledged only once the
 * handler has taken it: a learner whose queue is full holds its acks back, and the server, out of
 * credit, stops serving — the same backpressure as for an actor stepping on the learner itself.
 */
import * as grpc from '@grpc/grpc-js';
import { countInto } from '../send-queue.js';
import { decode, decodeAs, encode, ProtocolError, type RegisterReply, type ServedStep, type ServerControl, type ServerHello } from '../wire/index.js';
import { followStream, RUN_END_METADATA_KEY, statusForProtocolError, TOKEN_METADATA_KEY, tokenMatches } from './service.js';

/** What the learner sees of one connected inference server. */
export interface ServerLink {
  readonly hello: ServerHello;
  readonly peer: string;
  /** Send a control message ('assign', 'unassign') to this server. */
  send(msg: ServerControl): void;
}

export interface ServeHandler {
  /** Admit a server; throw ProtocolError to refuse it. */
  register(
    hello: ServerHello,
    link: ServerLink,
  ): Omit<RegisterReply, 'type' | 'accepted' | 'reason'> | Promise<Omit<RegisterReply, 'type' | 'accepted' | 'reason'>>;
  /** Take one forwarded step; a returned promise holds this server's later messages (and its ack) back. */
  served(step: ServedStep, link: ServerLink): void | Promise<void>;
  /** A 'release' from the server. */
  release(msg: ServerControl, link: ServerLink): void;
  /** Called once when the server's stream ends, whatever the reason. */
  disconnect(link: ServerLink, status: grpc.status, details: string): void;
}

/** What the sessions of one gRPC server share (server.ts fills it). */
export interface ServeEnv {
  readonly version: number;
  readonly expectedToken: Buffer;
  readonly handler: ServeHandler | undefined;
  readonly stats: { rejectedByStatus: Record<string, number>; rejectedByCode: Record<string, number>; bytesReceived: number; bytesSent: number };
  readonly sessions: Set<{ endRun(reason: string): void }>;
  readonly authenticated: (peer: string) => void;
}

export class ServeSession {
  private link: ServerLink | undefined;
  private ended = false;
  private chain: Promise<void> = Promise.resolve();
  private toAck = 0;
  private ackScheduled = false;
  private helloSeen = false;

  constructor(
    private readonly call: grpc.ServerDuplexStream<Buffer, Buffer>,
    private readonly env: ServeEnv,
  ) {
    env.sessions.add(this);
    const presented = call.metadata.get(TOKEN_METADATA_KEY)[0];
    if (!env.handler) {
      this.reject(grpc.status.UNIMPLEMENTED, 'this learner takes no inference servers');
      return;
    }
    if (typeof presented !== 'string' || !tokenMatches(env.expectedToken, presented)) {
      this.reject(
        grpc.status.UNAUTHENTICATED,
        `missing or bad ${TOKEN_METADATA_KEY} metadata: inference servers present the learner's shared token`,
        'UNAUTHENTICATED',
      );
      return;
    }
    env.authenticated(call.getPeer());
    followStream(
      call,
      'server',
      (buf) => this.onData(buf),
      (code, details) => this.finish(code, details),
    );
  }

  /** Ends the stream with status OK and a run-end trailer: the server exits. */
  endRun(reason: string): void {
    if (this.ended) return;
    this.finish(grpc.status.OK, `learner ended the run (${reason})`);
    const md = new grpc.Metadata();
    md.set(RUN_END_METADATA_KEY, reason);
    this.call.end(md);
  }

  private finish(code: grpc.status, details: string): void {
    if (this.ended) return;
    this.ended = true;
    this.env.sessions.delete(this);
    if (this.link) this.env.handler?.disconnect(this.link, code, details);
  }

  private reject(code: grpc.status, details: string, protocolCode?: string): void {
    if (this.ended) return;
    countInto(this.env.stats.rejectedByStatus, grpc.status[code] ?? String(code));
    if (protocolCode) countInto(this.env.stats.rejectedByCode, protocolCode);
    this.finish(code, details);
    this.call.emit('error', { code, details });
  }

  private fault(err: unknown): void {
    if (err instanceof ProtocolError) this.reject(statusForProtocolError(err.code), err.message, err.code);
    else this.reject(grpc.status.INTERNAL, `learner failed to handle a served step: ${err instanceof Error ? err.message : String(err)}`);
  }

  private send(buf: Buffer): void {
    if (this.ended) return;
    this.env.stats.bytesSent += buf.length;
    this.call.write(buf);
  }

  private onData(buf: Buffer): void {
    if (this.ended) return;
    this.env.stats.bytesReceived += buf.length;
    try {
      if (!this.link) {
        if (this.helloSeen) throw new ProtocolError('BAD_SEQUENCE', 'a message arrived before RegisterReply: wait for the reply to ServerHello');
        this.helloSeen = true;
        const hello = decodeAs(buf, 'ServerHello', this.env.version);
        this.onHello(hello).catch((e: unknown) => this.fault(e));
        return;
      }
      const msg = decode(buf, this.env.version);
      const link = this.link;
      const h = this.env.handler!;
      if (msg.type === 'ServedStep') {
        this.chain = this.chain.then(async () => {
          if (this.ended) return;
          await h.served(msg, link);
          this.ack();
        });
      } else if (msg.type === 'ServerControl' && msg.op === 'release') {
        this.chain = this.chain.then(() => {
          if (!this.ended) h.release(msg, link);
        });
      } else {
        throw new ProtocolError(
          'WRONG_TYPE',
          `expected ServedStep or ServerControl('release') from an inference server, got ${msg.type}${msg.type === 'ServerControl' ? ` ('${msg.op}')` : ''}`,
        );
      }
      this.chain = this.chain.catch((e: unknown) => this.fault(e));
    } catch (e) {
      this.fault(e);
    }
  }

  /** Acks go out in one message per turn of the event loop, however many steps it took. */
  private ack(): void {
    this.toAck++;
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      const n = this.toAck;
      this.toAck = 0;
      if (n > 0) this.send(encode({ type: 'ServerControl', op: 'ack', actorId: '', value: n }, this.env.version));
    });
  }

  private async onHello(hello: ServerHello): Promise<void> {
    if (!tokenMatches(this.env.expectedToken, hello.token)) throw new ProtocolError('UNAUTHENTICATED', 'ServerHello.token does not match the learner token');
    const version = this.env.version;
    const link: ServerLink = {
      hello,
      peer: this.call.getPeer(),
      send: (msg) => this.send(encode(msg, version)),
    };
    const res = await this.env.handler!.register(hello, link);
    if (this.ended) return;
    this.link = link;
    this.send(encode({ ...res, type: 'RegisterReply', accepted: true, reason: '' }, version));
  }
}
