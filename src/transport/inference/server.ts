/**
 * Learner side of the inference service (service.ts): a gRPC server whose every actor stream is one
 * StreamSession — token check, Hello → RegisterReply, then StepRequest → StepReply in any order —
 * ending only that stream, with a status naming the fault, when anything is wrong.
 */
import * as grpc from '@grpc/grpc-js';
import { LinkStats } from '../pacer.js';
import { countInto } from '../send-queue.js';
import { listenGuarded } from './listener.js';
import { type ServeHandler, ServeSession } from './serve-session.js';
import {
  decodeAs,
  encode,
  type Hello,
  PROTOCOL_VERSION,
  ProtocolError,
  type RegisterReply,
  type ServerChange,
  type SplitPointChange,
  type StepReply,
  type StepRequest,
} from '../wire/index.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  followStream,
  inferenceService,
  RUN_END_METADATA_KEY,
  statusForProtocolError,
  TOKEN_METADATA_KEY,
  tokenDigest,
  tokenMatches,
} from './service.js';

export interface ActorContext {
  readonly actorId: string;
  readonly hello: Hello;
  readonly peer: string;
  /** Split point the actor must use now; updated by push() of a SplitPointChange. */
  splitPoint: number;
  /** Bytes this actor sent to / received from the learner on the inference channel. */
  readonly stats: LinkStats;
  /** Send a control message to this actor. */
  push(msg: SplitPointChange | ServerChange): void;
}

export type RegisterResult = Omit<RegisterReply, 'type' | 'accepted' | 'reason'>;
export type StepResult = Omit<StepReply, 'type' | 'stepId'>;

export interface InferenceHandler {
  /** What this learner trains, for actors that ask before choosing their env (the Contract call). */
  contract?(): RegisterResult;
  /** Decide an actor's registration; throw ProtocolError (e.g. UNKNOWN_ACTOR) to refuse it. */
  register(hello: Hello, ctx: ActorContext): RegisterResult | Promise<RegisterResult>;
  /** Answer one validated step request (typically via a DynamicBatcher). */
  step(req: StepRequest, ctx: ActorContext): Promise<StepResult>;
  /** Called once when an actor's stream ends, whatever the reason. */
  disconnect?(ctx: ActorContext, status: grpc.status, details: string): void;
}

export interface ServerTls {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface InferenceServerOptions {
  /** host:port; port 0 picks a free port (see InferenceServer.port). */
  address: string;
  /** Shared secret every actor must present in metadata and Hello. */
  token: string;
  handler: InferenceHandler;
  /** Inference servers forwarding served steps (the Serve stream); refused when absent. */
  serve?: ServeHandler;
  tls?: ServerTls;
  /** If given, only these actor ids may register. */
  knownActors?: Iterable<string>;
  /** Expected per-env activation shape at split point y > 0 (undefined: not checked). */
  activationShape?: (splitPoint: number, hello: Hello) => readonly number[] | undefined;
  maxMessageBytes?: number;
  /** Version this server speaks; only tests change it. */
  protocolVersion?: number;
  /** TCP connections held at once (default 1024); more are dropped on accept and counted (CONNECTION_LIMIT). */
  maxConnections?: number;
  /** A connection with no open stream (including one that never completes the HTTP/2 handshake) is closed after this long (default 30 s). */
  connectionIdleMs?: number;
}

export interface ServerStats {
  streamsOpened: number;
  streamsActive: number;
  requests: number;
  replies: number;
  /** Rejected streams by gRPC status name (e.g. INVALID_ARGUMENT). */
  rejectedByStatus: Record<string, number>;
  /** Rejected messages by ProtocolError code (e.g. NON_FINITE). */
  rejectedByCode: Record<string, number>;
  handlerErrors: number;
  bytesReceived: number;
  bytesSent: number;
  /** TCP connections open now. */
  connections: number;
}

export interface InferenceServer {
  readonly port: number;
  readonly address: string;
  readonly stats: ServerStats;
  /** Contexts of the actors currently registered. */
  actors(): ActorContext[];
  /** Tells every actor the run is over (status OK with a run-end trailer), then stops listening. */
  endRun(reason: string, graceMs?: number): Promise<void>;
  /** Stop at once, cancelling live streams. */
  close(): Promise<void>;
}

/** Settings every session of one server shares. */
interface SessionEnv {
  readonly opts: InferenceServerOptions;
  readonly version: number;
  readonly expectedToken: Buffer;
  readonly known: Set<string> | undefined;
  readonly stats: ServerStats;
  readonly live: Map<string, ActorContext>;
  readonly sessions: Set<{ endRun(reason: string): void }>;
  /** A call on this peer's connection presented the right token (its connection is kept past the auth deadline). */
  readonly authenticated: (peer: string) => void;
}

/** One actor's stream, from the token check to its end; faults end this stream only. */
class StreamSession {
  private ctx: ActorContext | undefined;
  private ended = false;
  private registering = false;
  private readonly inFlight = new Set<number>();
  private lastStepId = -1;

  constructor(
    private readonly call: grpc.ServerDuplexStream<Buffer, Buffer>,
    private readonly env: SessionEnv,
  ) {
    env.stats.streamsOpened++;
    env.stats.streamsActive++;
    env.sessions.add(this);
    const presented = call.metadata.get(TOKEN_METADATA_KEY)[0];
    if (typeof presented !== 'string' || !tokenMatches(env.expectedToken, presented)) {
      this.reject(
        grpc.status.UNAUTHENTICATED,
        presented === undefined
          ? `missing ${TOKEN_METADATA_KEY} metadata: actors must present the learner's shared token`
          : `bad token in ${TOKEN_METADATA_KEY} metadata: actors must present the learner's shared token`,
        'UNAUTHENTICATED',
      );
      return;
    }
    env.authenticated(call.getPeer());
    followStream(
      call,
      'actor',
      (buf) => this.onData(buf),
      (code, details) => this.finish(code, details),
    );
  }

  private finish(code: grpc.status, details: string): void {
    if (this.ended) return;
    this.ended = true;
    this.env.stats.streamsActive--;
    this.env.sessions.delete(this);
    const ctx = this.ctx;
    if (ctx) {
      if (this.env.live.get(ctx.actorId) === ctx) this.env.live.delete(ctx.actorId);
      this.env.opts.handler.disconnect?.(ctx, code, details);
    }
  }

  private reject(code: grpc.status, details: string, protocolCode?: string): void {
    if (this.ended) return;
    countInto(this.env.stats.rejectedByStatus, grpc.status[code] ?? String(code));
    if (protocolCode) countInto(this.env.stats.rejectedByCode, protocolCode);
    this.finish(code, details);
    // grpc-js turns an 'error' event on a server stream into the call's final status.
    this.call.emit('error', { code, details });
  }

  private fault(err: unknown): void {
    if (err instanceof ProtocolError) this.reject(statusForProtocolError(err.code), err.message, err.code);
    else {
      this.env.stats.handlerErrors++;
      this.reject(grpc.status.INTERNAL, `learner failed to handle the request: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private send(buf: Buffer): void {
    if (this.ended) return;
    this.env.stats.bytesSent += buf.length;
    this.ctx?.stats.sent('inference', buf.length);
    this.call.write(buf);
  }

  /** Ends the stream with status OK and a run-end trailer: the actor exits rather than reconnect. */
  endRun(reason: string): void {
    if (this.ended) return;
    this.finish(grpc.status.OK, `learner ended the run (${reason})`);
    const md = new grpc.Metadata();
    md.set(RUN_END_METADATA_KEY, reason);
    this.call.end(md);
  }

  private onData(buf: Buffer): void {
    if (this.ended) return;
    this.env.stats.bytesReceived += buf.length;
    this.ctx?.stats.received('inference', buf.length);
    try {
      if (!this.ctx) {
        if (this.registering) throw new ProtocolError('BAD_SEQUENCE', 'a message arrived before RegisterReply: wait for the reply to Hello');
        this.registering = true;
        const hello = decodeAs(buf, 'Hello', this.env.version);
        this.onHello(hello, buf.length).catch((e: unknown) => this.fault(e));
        return;
      }
      const req = decodeAs(buf, 'StepRequest', this.env.version);
      this.checkAgainstRegistration(req, this.ctx);
      if (this.inFlight.has(req.stepId)) {
        throw new ProtocolError('BAD_SEQUENCE', `StepRequest.stepId ${req.stepId} is already in flight on this stream: step ids must be unique`);
      }
      // Step ids only grow on a stream (a replay would be served twice and counted as new).
      if (req.stepId <= this.lastStepId) {
        throw new ProtocolError(
          'BAD_SEQUENCE',
          `StepRequest.stepId ${req.stepId} is not after the previous one (${this.lastStepId}): step ids must increase on a stream`,
        );
      }
      this.lastStepId = req.stepId;
      this.inFlight.add(req.stepId);
      this.env.stats.requests++;
      const c = this.ctx;
      this.env.opts.handler.step(req, c).then(
        (res) => this.onResult(req, c, res),
        (e: unknown) => {
          this.inFlight.delete(req.stepId);
          this.fault(e);
        },
      );
    } catch (e) {
      this.fault(e);
    }
  }

  private onResult(req: StepRequest, c: ActorContext, res: StepResult): void {
    this.inFlight.delete(req.stepId);
    if (this.ended) return;
    let out: Buffer;
    try {
      out = encode({ ...res, type: 'StepReply', stepId: req.stepId }, this.env.version);
    } catch (e) {
      // A malformed reply is the learner's bug, not the actor's: report it as INTERNAL.
      this.env.stats.handlerErrors++;
      this.reject(grpc.status.INTERNAL, `learner produced an invalid StepReply: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (res.newSplitPoint !== undefined) c.splitPoint = res.newSplitPoint;
    this.env.stats.replies++;
    this.send(out);
  }

  private async onHello(hello: Hello, bytes: number): Promise<void> {
    if (!tokenMatches(this.env.expectedToken, hello.token)) {
      throw new ProtocolError('UNAUTHENTICATED', 'Hello.token does not match the learner token');
    }
    if (this.env.known && !this.env.known.has(hello.actorId)) {
      throw new ProtocolError('UNKNOWN_ACTOR', `Hello.actorId "${hello.actorId}" is not one of this learner's actors`);
    }
    const version = this.env.version;
    const c: ActorContext = {
      actorId: hello.actorId,
      hello,
      peer: this.call.getPeer(),
      splitPoint: hello.splitPoint,
      stats: new LinkStats(),
      push: (msg) => {
        const buf = encode(msg, version);
        if (msg.type === 'SplitPointChange') c.splitPoint = msg.splitPoint;
        this.send(buf);
      },
    };
    c.stats.received('inference', bytes);
    const res = await this.env.opts.handler.register(hello, c);
    if (this.ended) return;
    c.splitPoint = res.splitPoint;
    this.ctx = c;
    this.env.live.set(c.actorId, c);
    this.send(encode({ ...res, type: 'RegisterReply', accepted: true, reason: '' }, version));
  }

  private checkAgainstRegistration(req: StepRequest, c: ActorContext): void {
    if (req.numEnvs !== c.hello.numEnvs) {
      throw new ProtocolError('BAD_SHAPE', `StepRequest.numEnvs is ${req.numEnvs} but actor "${c.actorId}" registered ${c.hello.numEnvs}`);
    }
    const expected = req.splitPoint === 0 ? c.hello.obsShape : this.env.opts.activationShape?.(req.splitPoint, c.hello);
    if (expected && (expected.length !== req.shape.length || expected.some((d, i) => d !== req.shape[i]))) {
      throw new ProtocolError(
        'BAD_SHAPE',
        `StepRequest.shape [${req.shape.join(', ')}] does not match [${expected.join(', ')}] expected at split point ${req.splitPoint} for actor "${c.actorId}"`,
      );
    }
  }
}

/** The unary Contract call: a token in metadata gets the learner's contract as a RegisterReply. */
function serveContract(env: SessionEnv, call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>): void {
  const presented = call.metadata.get(TOKEN_METADATA_KEY)[0];
  if (typeof presented !== 'string' || !tokenMatches(env.expectedToken, presented)) {
    countInto(env.stats.rejectedByStatus, 'UNAUTHENTICATED');
    countInto(env.stats.rejectedByCode, 'UNAUTHENTICATED');
    done({ code: grpc.status.UNAUTHENTICATED, details: `missing or bad ${TOKEN_METADATA_KEY} metadata: present the learner's shared token` });
    return;
  }
  env.authenticated(call.getPeer());
  const contract = env.opts.handler.contract?.();
  if (!contract) {
    done({ code: grpc.status.UNIMPLEMENTED, details: 'this learner does not publish its contract: start the actor with --env' });
    return;
  }
  done(null, encode({ ...contract, type: 'RegisterReply', accepted: true, reason: '' }, env.version));
}

/** Start the learner-side inference server. */
export async function startInferenceServer(opts: InferenceServerOptions): Promise<InferenceServer> {
  if (typeof opts.token !== 'string' || opts.token.length === 0) throw new RangeError('startInferenceServer: token must be a non-empty string');
  const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const env: SessionEnv = {
    opts,
    version: opts.protocolVersion ?? PROTOCOL_VERSION,
    expectedToken: tokenDigest(opts.token),
    known: opts.knownActors ? new Set(opts.knownActors) : undefined,
    stats: {
      streamsOpened: 0,
      streamsActive: 0,
      requests: 0,
      replies: 0,
      rejectedByStatus: {},
      rejectedByCode: {},
      handlerErrors: 0,
      bytesReceived: 0,
      bytesSent: 0,
      connections: 0,
    },
    live: new Map(),
    sessions: new Set(),
    authenticated: (peer) => pendingAuth.get(peer)?.(),
  };
  /** peer (host:port as gRPC names it) → clears that connection's auth deadline. */
  const pendingAuth = new Map<string, () => void>();
  const idleMs = opts.connectionIdleMs ?? 30_000;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
    // Sessions without a stream (idle, or never past the HTTP/2 preface) are closed after idleMs.
    'grpc.max_connection_idle_ms': idleMs,
    // Pings find a dead peer within ~25 s, so its stream ends and a reconnect under the same actor id
    // (refused while the old stream looks live) gets through.
    'grpc.keepalive_time_ms': 20_000,
    'grpc.keepalive_timeout_ms': 5_000,
  });
  server.addService(inferenceService, {
    Step: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => new StreamSession(call, env),
    Contract: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => serveContract(env, call, done),
    Serve: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => new ServeSession(call, { ...env, handler: opts.serve }),
  });
  const creds = opts.tls
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(opts.tls.cert), private_key: Buffer.from(opts.tls.key) }], false)
    : grpc.ServerCredentials.createInsecure();
  const { port, shutdown } = await listenGuarded(server, creds, {
    address: opts.address,
    maxConnections: opts.maxConnections ?? 1024,
    idleMs,
    pendingAuth,
    stats: env.stats,
    onDrop: () => countInto(env.stats.rejectedByStatus, 'CONNECTION_LIMIT'),
  });
  const host = opts.address.slice(0, opts.address.lastIndexOf(':'));
  return {
    port,
    address: `${host}:${port}`,
    stats: env.stats,
    actors: () => [...env.live.values()],
    endRun: async (reason: string, graceMs = 2000) => {
      for (const s of [...env.sessions]) s.endRun(reason);
      // Let the trailers reach the actors (calls end), then stop listening.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
      shutdown();
    },
    close: async () => {
      shutdown();
    },
  };
}
