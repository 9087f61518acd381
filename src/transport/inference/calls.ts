/**
 * One-off calls to the inference service: the unary Contract call (what the learner trains, asked
 * before an actor builds anything) and a bare stream for tests and benchmarks.
 */
import * as grpc from '@grpc/grpc-js';
import { Rng } from '../../util/rng.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../backoff.js';
import { decodeAs, ProtocolError, type RegisterReply } from '../wire/index.js';
import { PERMANENT, TransportError } from './client.js';
import { CONTRACT_METHOD, type ClientTls, identity, INFERENCE_METHOD, makeChannel, tokenMetadata } from './service.js';

/**
 * A bare stream to the inference service, for tests and benchmarks that need to send raw frames
 * (including deliberately corrupted ones).
 */
export function openRawInferenceStream(opts: { address: string; token: string; tls?: ClientTls }): {
  stream: grpc.ClientDuplexStream<Buffer, Buffer>;
  close: () => void;
} {
  const client = makeChannel(opts.address, opts.tls);
  const stream = client.makeBidiStreamRequest(INFERENCE_METHOD, identity, identity, tokenMetadata(opts.token), {});
  stream.on('error', () => undefined); // callers read the status from the 'status' event
  return {
    stream,
    close: () => {
      stream.cancel();
      client.close();
    },
  };
}

/**
 * Asks a learner what it trains (env, network, unroll length) before this actor builds anything:
 * the unary Contract call, authenticated by the token. A learner not up yet is retried with backoff
 * for up to `giveUpAfterMs`; a refusal (bad token) fails at once. Rejects with a TransportError.
 */
export async function fetchLearnerContract(opts: {
  address: string;
  token: string;
  tls?: ClientTls;
  giveUpAfterMs?: number;
  signal?: AbortSignal;
  seed?: number;
}): Promise<RegisterReply> {
  const deadline = Date.now() + (opts.giveUpAfterMs ?? 300_000);
  const rng = new Rng(opts.seed ?? 0);
  for (let attempt = 0; ; attempt++) {
    try {
      return await contractOnce(opts, Math.max(1000, Math.min(10_000, deadline - Date.now())));
    } catch (e) {
      if (opts.signal?.aborted) throw new TransportError('stopped while waiting for the learner', grpc.status.CANCELLED, false);
      if (!(e instanceof TransportError) || !e.retryable || Date.now() >= deadline) {
        if (e instanceof TransportError && e.retryable) {
          throw new TransportError(`no learner at ${opts.address}: ${e.message}; gave up after ${attempt + 1} attempts`, e.code, false);
        }
        throw e;
      }
      const delay = Math.min(backoffDelay(attempt, DEFAULT_BACKOFF, rng), Math.max(0, deadline - Date.now()));
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        opts.signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
    }
  }
}

async function contractOnce(opts: { address: string; token: string; tls?: ClientTls }, timeoutMs: number): Promise<RegisterReply> {
  const client = makeChannel(opts.address, opts.tls);
  try {
    const buf = await new Promise<Buffer>((resolve, reject) => {
      client.makeUnaryRequest(
        CONTRACT_METHOD,
        identity,
        identity,
        Buffer.alloc(0),
        tokenMetadata(opts.token),
        { deadline: Date.now() + timeoutMs },
        (err, value) => (err || !value ? reject(err ?? new Error('empty reply')) : resolve(value)),
      );
    });
    return decodeAs(buf, 'RegisterReply');
  } catch (e) {
    if (e instanceof ProtocolError) throw new TransportError(`bad contract from ${opts.address}: ${e.message}`, grpc.status.INTERNAL, false);
    const se = e as grpc.ServiceError;
    const code = se.code ?? grpc.status.UNKNOWN;
    throw new TransportError(`${grpc.status[code] ?? code}: ${se.details ?? se.message}`, code, !PERMANENT.has(code) && code !== grpc.status.UNIMPLEMENTED);
  } finally {
    client.close();
  }
}
