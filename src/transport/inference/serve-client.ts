/**
 * Inference-server side of the Serve stream (serve-session.ts): registers with the learner
 * (ServerHello → RegisterReply), forwards served steps in order, and takes the learner's control
 * messages. Credit-based flow control: at most `window` ServedSteps are unacknowledged; `room()`
 * resolves when there is credit again, which is how a busy learner holds a server's actors back.
 * No reconnect: a server whose learner is gone has nothing to do (the caller exits or restarts it).
 */
import * as grpc from '@grpc/grpc-js';
import { decode, decodeAs, encode, PROTOCOL_VERSION, ProtocolError, type RegisterReply, type ServedStep, type ServerControl } from '../wire/index.js';
import { TransportError } from './client.js';
import { type ClientTls, identity, makeChannel, RUN_END_METADATA_KEY, SERVE_METHOD, tokenMetadata } from './service.js';

export interface ServeClientOptions {
  /** Learner address host:port. */
  learner: string;
  token: string;
  serverId: string;
  /** host:port actors reach this server at. */
  address: string;
  tls?: ClientTls;
  /** Unacknowledged ServedSteps at most (default 256). */
  window?: number;
  /** 'assign' and 'unassign' from the learner. */
  onControl: (msg: ServerControl) => void;
  /** The stream ended for good: the learner ended the run (err.runEnded) or the link failed. */
  onEnd: (err: TransportError) => void;
}

export class ServeClient {
  /** ServedSteps sent and acknowledged. */
  sent = 0;
  acked = 0;
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;
  private readonly window: number;
  private waiters: (() => void)[] = [];
  private ended: TransportError | undefined;
  private registered: Promise<RegisterReply>;

  private constructor(private readonly opts: ServeClientOptions) {
    this.window = opts.window ?? 256;
    if (!Number.isInteger(this.window) || this.window < 1) throw new RangeError(`ServeClient window ${this.window}: must be a positive integer`);
    this.client = makeChannel(opts.learner, opts.tls);
    this.call = this.client.makeBidiStreamRequest(SERVE_METHOD, identity, identity, tokenMetadata(opts.token), {});
    let first = true;
    this.registered = new Promise<RegisterReply>((resolve, reject) => {
      this.call.on('data', (buf: Buffer) => {
        try {
          if (first) {
            first = false;
            resolve(decodeAs(buf, 'RegisterReply'));
            return;
          }
          const msg = decode(buf);
          if (msg.type !== 'ServerControl' || msg.op === 'release')
            throw new ProtocolError('WRONG_TYPE', `unexpected ${msg.type} from the learner on the Serve stream`);
          if (msg.op === 'ack') this.onAck(msg.value);
          else opts.onControl(msg);
        } catch (e) {
          this.end(new TransportError(`bad message from the learner: ${(e as Error).message}`, grpc.status.INTERNAL, false));
          this.call.cancel();
        }
      });
      const fail = (err: TransportError): void => {
        reject(err);
        this.end(err);
      };
      this.call.on('error', (e: grpc.ServiceError) => fail(new TransportError(`${grpc.status[e.code] ?? e.code}: ${e.details ?? e.message}`, e.code, false)));
      this.call.on('status', (s: grpc.StatusObject) => {
        if (s.code !== grpc.status.OK) return;
        const end = s.metadata?.get(RUN_END_METADATA_KEY)[0];
        fail(
          new TransportError(
            `learner ended the stream (${typeof end === 'string' ? end : s.details})`,
            s.code,
            false,
            typeof end === 'string' ? end : undefined,
          ),
        );
      });
    });
    this.registered.catch(() => undefined);
    this.call.write(encode({ type: 'ServerHello', protocolVersion: PROTOCOL_VERSION, serverId: opts.serverId, token: opts.token, address: opts.address }));
  }

  /** Opens the stream and waits for the learner's RegisterReply (its contract and parameter endpoint). */
  static async connect(opts: ServeClientOptions): Promise<{ client: ServeClient; reply: RegisterReply }> {
    const client = new ServeClient(opts);
    try {
      return { client, reply: await client.registered };
    } catch (e) {
      client.close();
      throw e;
    }
  }

  /** ServedSteps in flight (sent, not yet acknowledged). */
  get inFlight(): number {
    return this.sent - this.acked;
  }

  /** Resolves when another ServedStep may be sent (immediately while there is credit). */
  room(): Promise<void> | undefined {
    if (this.ended || this.inFlight < this.window) return undefined;
    return new Promise((r) => this.waiters.push(r));
  }

  /** Sends one served step; throws the stream's failure once it ended. */
  forward(step: Omit<ServedStep, 'type'>): void {
    if (this.ended) throw this.ended;
    this.sent++;
    this.call.write(encode({ ...step, type: 'ServedStep' }));
  }

  /** Every step of this actor is forwarded (they were written before this, on the same stream). */
  release(actorId: string, forwarded: number): void {
    if (this.ended) return;
    this.call.write(encode({ type: 'ServerControl', op: 'release', actorId, value: forwarded }));
  }

  close(): void {
    this.end(new TransportError('serve client closed', grpc.status.CANCELLED, false));
    this.call.cancel();
    this.client.close();
  }

  private onAck(n: number): void {
    this.acked = Math.min(this.sent, this.acked + n);
    while (this.inFlight < this.window && this.waiters.length) this.waiters.shift()!();
  }

  private end(err: TransportError): void {
    if (this.ended) return;
    this.ended = err;
    for (const w of this.waiters.splice(0)) w();
    this.opts.onEnd(err);
  }
}
