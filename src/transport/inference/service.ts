/**
 * The inference service over gRPC: one bidirectional stream per actor (Step), plus a unary Contract
 * call that tells an actor what the learner trains before it has chosen an env. Raw Buffer frames in
 * the Coknight wire format with identity (de)serialisers — no protobuf objects on the hot path.
 *
 * Stream life: the actor opens the stream with its token in metadata (x-coknight-token), sends
 * Hello, gets RegisterReply, then sends StepRequests; the learner answers each with a StepReply
 * (possibly out of order: the client matches by stepId) and may push SplitPointChange at any time.
 * A bad message ends that stream with a gRPC status naming the fault; the server keeps serving
 * every other stream. Inference servers open a Serve stream instead (serve-session.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { ProtocolErrorCode } from '../wire/index.js';

export const INFERENCE_METHOD = '/coknight.Inference/Step';
export const CONTRACT_METHOD = '/coknight.Inference/Contract';
/** Inference servers (`coknight serve`) forward the steps they served to the learner on this stream. */
export const SERVE_METHOD = '/coknight.Inference/Serve';
export const TOKEN_METADATA_KEY = 'x-coknight-token';
/**
 * Trailer a learner sets when it ends an actor's stream because its run is over (status OK): the
 * actor then exits instead of reconnecting. Its value says why (e.g. "finished", "stopped").
 */
export const RUN_END_METADATA_KEY = 'x-coknight-run-end';
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export const identity = (b: Buffer): Buffer => b;

export const inferenceService: grpc.ServiceDefinition = {
  Step: {
    path: INFERENCE_METHOD,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'step',
  },
  Serve: {
    path: SERVE_METHOD,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'serve',
  },
  Contract: {
    path: CONTRACT_METHOD,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'contract',
  },
};

/** The gRPC status a protocol fault is reported with. */
export function statusForProtocolError(code: ProtocolErrorCode): grpc.status {
  switch (code) {
    case 'VERSION_MISMATCH':
    case 'BAD_SEQUENCE':
    case 'UNKNOWN_CODEC':
      return grpc.status.FAILED_PRECONDITION;
    case 'UNAUTHENTICATED':
      return grpc.status.UNAUTHENTICATED;
    case 'UNKNOWN_ACTOR':
    case 'WRONG_ACTOR':
      return grpc.status.PERMISSION_DENIED;
    case 'ALREADY_REGISTERED':
      return grpc.status.ALREADY_EXISTS;
    case 'OVER_BUDGET':
      return grpc.status.RESOURCE_EXHAUSTED;
    default:
      return grpc.status.INVALID_ARGUMENT;
  }
}

export function tokenDigest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Hands an authenticated server stream's messages to `onData` and its end to `finish` (once per cause:
 * the peer half-closing, which is answered by ending our side too, a cancel, or a stream error).
 */
export function followStream(
  call: grpc.ServerDuplexStream<Buffer, Buffer>,
  peerName: string,
  onData: (buf: Buffer) => void,
  finish: (code: grpc.status, details: string) => void,
): void {
  call.on('data', onData);
  call.on('end', () => {
    finish(grpc.status.OK, `${peerName} closed the stream`);
    call.end();
  });
  call.on('cancelled', () => finish(grpc.status.CANCELLED, 'stream cancelled'));
  call.on('error', () => finish(grpc.status.UNKNOWN, 'stream error'));
}

/** Constant-time token comparison (hashing first makes the lengths equal). */
export function tokenMatches(expected: Buffer, presented: string): boolean {
  return timingSafeEqual(expected, tokenDigest(presented));
}

export interface ClientTls {
  /** PEM of the CA (or the self-signed server certificate) to trust. */
  ca: string | Buffer;
  /** Name to check the certificate against when it differs from the address host. */
  serverName?: string;
}

/** A gRPC client for the inference service (channel options and credentials in one place). */
export function makeChannel(address: string, tls: ClientTls | undefined, extra: grpc.ChannelOptions = {}): grpc.Client {
  const channelOptions: grpc.ChannelOptions = {
    'grpc.max_receive_message_length': DEFAULT_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': DEFAULT_MAX_MESSAGE_BYTES,
    ...extra,
  };
  if (tls?.serverName) channelOptions['grpc.ssl_target_name_override'] = tls.serverName;
  const creds = tls ? grpc.credentials.createSsl(Buffer.from(tls.ca)) : grpc.credentials.createInsecure();
  return new grpc.Client(address, creds, channelOptions);
}

export function tokenMetadata(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(TOKEN_METADATA_KEY, token);
  return md;
}
