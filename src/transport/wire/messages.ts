/**
 * Coknight wire format: every message is one Buffer with a fixed 12-byte header followed by a body.
 *
 *   offset 0  u32  magic 0x434B4E54 ("CKNT")
 *   offset 4  u16  protocol version (PROTOCOL_VERSION)
 *   offset 6  u8   message type (MessageType)
 *   offset 7  u8   reserved, must be 0
 *   offset 8  u32  body length in bytes (must equal buffer length - 12)
 *
 * All integers and floats are little-endian. Float arrays start at a 4-byte aligned offset inside
 * the message, so decoding returns zero-copy typed-array views whenever the Buffer itself sits on a
 * 4-byte boundary (it is copied otherwise). Decoders validate everything and throw ProtocolError,
 * whose `code` says which kind of fault it is and whose message names the field.
 * Strings are u16 length + UTF-8. Optional JSON blobs (profile, learner config, upload meta) are
 * u32 length + UTF-8 JSON; length 0 means absent.
 *
 * This file holds the message types and limits; `bytes.ts` the reader/writer, `codec.ts` each
 * message's check, encoder and decoder side by side.
 */

/**
 * 2: RegisterReply, SplitPointChange and StepReply name the codec of the split they assign (a codec
 * per actor). 3: parameters travel as one conflated message per subscriber (params.ts: a head's
 * layers and codec state together), not one message per layer. A peer speaking another version is
 * refused at its first message (VERSION_MISMATCH).
 */
export const PROTOCOL_VERSION = 3;
export const MAGIC = 0x434b4e54;
export const HEADER_BYTES = 12;

export const MessageType = {
  Hello: 1,
  RegisterReply: 2,
  StepRequest: 3,
  StepReply: 4,
  SplitPointChange: 5,
  ParamUpdate: 6,
  UploadChunk: 7,
  ServerHello: 8,
  ServedStep: 9,
  ServerControl: 10,
  ServerChange: 11,
} as const;
export type MessageTypeName = keyof typeof MessageType;
export type MessageTypeId = (typeof MessageType)[MessageTypeName];

/** Limits that keep a corrupted length field from allocating gigabytes. */
export const LIMITS = {
  maxNumEnvs: 65_536,
  maxRank: 8,
  maxDim: 1 << 20,
  maxNumActions: 65_536,
  maxSplitPoint: 1024,
  maxStringBytes: 1024,
  maxJsonBytes: 1 << 20,
  maxLayers: 4096,
} as const;

/** Sentinel for "no split-point change" in StepReply. */
export const NO_SPLIT = 0xffff;

export type ProtocolErrorCode =
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'VERSION_MISMATCH'
  | 'UNKNOWN_TYPE'
  | 'WRONG_TYPE'
  | 'BAD_LENGTH'
  | 'BAD_FIELD'
  | 'BAD_DTYPE'
  | 'BAD_SHAPE'
  | 'NON_FINITE'
  | 'UNKNOWN_ACTOR'
  | 'UNAUTHENTICATED'
  | 'BAD_SEQUENCE'
  /** An upload on another actor's socket (uploads are bound to the sender's registration). */
  | 'WRONG_ACTOR'
  /** Beyond a per-actor memory budget (partial uploads, pending unrolls). */
  | 'OVER_BUDGET'
  /** An actor id that already has a live stream (a second Hello would take over its slot). */
  | 'ALREADY_REGISTERED'
  /** A coded step whose codec (or codec version) the learner does not hold at that split point. */
  | 'UNKNOWN_CODEC';

/** A malformed or unacceptable message; `code` classifies it, the message names the field and the fix. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** 'coded': a split feature compressed by a codec (src/codec), carried as opaque bytes + `StepRequest.codec`. */
export type Dtype = 'uint8' | 'float32' | 'coded';
export const DTYPE_IDS: Record<Dtype, number> = { uint8: 0, float32: 1, coded: 2 };
export const DTYPE_BYTES: Record<Dtype, number> = { uint8: 1, float32: 4, coded: 1 };

/** Bytes per element of a dtype. */
export function dtypeBytes(dtype: Dtype): number {
  return DTYPE_BYTES[dtype];
}

export interface Hello {
  type: 'Hello';
  protocolVersion: number;
  actorId: string;
  token: string;
  numEnvs: number;
  obsShape: readonly number[];
  numActions: number;
  splitPoint: number;
  /** Free-form device profile (e.g. measured per-layer times) used by the partition planner. */
  profile?: Record<string, unknown>;
}

export interface RegisterReply {
  type: 'RegisterReply';
  /**
   * Reserved: always true. The learner refuses a registration by ending the stream with a gRPC
   * status that names the fault, so a RegisterReply is only ever sent to an accepted actor; the
   * byte stays so that the wire format is unchanged.
   */
  accepted: boolean;
  /** Reserved: always empty (see `accepted`). */
  reason: string;
  /** Split point the learner assigns to this actor. */
  splitPoint: number;
  /** Number of layers K of the model. */
  numLayers: number;
  /** Current parameter version the actor should hold. */
  paramVersion: number;
  /** ZeroMQ endpoints for parameter updates and uploads ('' if unused). */
  paramsAddress: string;
  uploadAddress: string;
  /** Any further learner settings (batching, unroll length, ...). */
  learnerConfig?: Record<string, unknown>;
  /** Codec the actor encodes its split feature with (absent: float32, or nothing to encode at y = 0 / K). */
  codec?: string;
}

/** What a coded StepRequest says about its payload: which codec made it, and Eq. 2's scale/offset. */
export interface CodedMeta {
  /** Codec id (src/codec/spec.ts), e.g. 'ae4q4'. */
  id: string;
  /** Parameter version of the codec state (encoder weights, quantiser range) that coded it. */
  version: number;
  /** Dequantisation x' = code·scale + offset (1 and 0 for unquantised codecs); float32 on the wire. */
  scale: number;
  offset: number;
}

export interface StepRequest {
  type: 'StepRequest';
  stepId: number;
  splitPoint: number;
  /** Version of the head parameters (layers 1..y) that produced the payload. */
  headVersion: number;
  dtype: Dtype;
  /** Shape of one environment's payload (observation or activation). */
  shape: readonly number[];
  numEnvs: number;
  /**
   * numEnvs × prod(shape) elements: Uint8Array for 'uint8', Float32Array for 'float32'; for 'coded'
   * the codec's bytes for all numEnvs features (their length is the codec's to check).
   */
  payload: Uint8Array | Float32Array;
  rewards: Float32Array;
  dones: Uint8Array;
  /** Present exactly when dtype is 'coded'. */
  codec?: CodedMeta;
}

export interface StepReply {
  type: 'StepReply';
  stepId: number;
  numEnvs: number;
  numActions: number;
  actions: Int32Array;
  /** Behaviour logits, row-major [numEnvs, numActions]. */
  logits: Float32Array;
  values: Float32Array;
  /** Set when the learner moves this actor to another split point (or codec) from the next step on. */
  newSplitPoint?: number;
  /** With newSplitPoint: the codec there (absent: float32). */
  newCodec?: string;
}

export interface SplitPointChange {
  type: 'SplitPointChange';
  splitPoint: number;
  /**
   * Reserved: always 0, meaning "from the actor's next step" (an actor may switch between any two
   * steps, so no step id is needed); kept so the wire format is unchanged.
   */
  fromStepId: number;
  /** Human-readable cause, for the actor's log. */
  reason: string;
  /** Codec at the new split point (absent: float32). */
  codec?: string;
}

export interface LayerBlob {
  /** Index of the layer (1-based, matching split points: layer y is the y-th layer). */
  index: number;
  data: Uint8Array;
}

export interface ParamUpdate {
  type: 'ParamUpdate';
  version: number;
  layers: LayerBlob[];
}

export interface UploadChunk {
  type: 'UploadChunk';
  actorId: string;
  uploadId: number;
  chunkIndex: number;
  chunkCount: number;
  totalBytes: number;
  /** Byte offset of this chunk in the whole upload. */
  offset: number;
  data: Uint8Array;
  /** Upload metadata (shape, step range...), sent with chunk 0 only. */
  meta?: Record<string, unknown>;
}

/**
 * An inference server (`coknight serve`) opens the learner's Serve stream with this, in place of an
 * actor's Hello; the learner answers with a RegisterReply (its contract and parameter endpoint).
 */
export interface ServerHello {
  type: 'ServerHello';
  protocolVersion: number;
  serverId: string;
  token: string;
  /** host:port where actors reach this server's inference stream. */
  address: string;
}

/**
 * One step an inference server served, forwarded to the learner on the Serve stream: exactly what the
 * learner's assembler would have taken from the step had the learner served it itself — observations
 * (split point 0 only; above it they come by the actor's own upload), the outcome of the previous step,
 * and the actions and behaviour logits with the parameter version that produced them.
 */
export interface ServedStep {
  type: 'ServedStep';
  actorId: string;
  /** The actor's registration count on the learner (from the assignment): older ones are stale. */
  registration: number;
  stepId: number;
  splitPoint: number;
  /** Oldest parameter version behind the actions (the server's tail, and the actor's head at y > 0). */
  behaviourVersion: number;
  numEnvs: number;
  numActions: number;
  /** numEnvs raw observations at split point 0; empty above it. */
  obs: Uint8Array;
  /** Outcome of step stepId − 1 (as in StepRequest). */
  rewards: Float32Array;
  dones: Uint8Array;
  actions: Int32Array;
  /** Row-major [numEnvs, numActions]. */
  logits: Float32Array;
}

/**
 * Control on the Serve stream. Learner → server: 'assign' (serve this actor; value = its registration),
 * 'unassign' (stop admitting it), 'ack' (value = ServedSteps taken since the last ack: credit for more).
 * Server → learner: 'release' (the actor's stream here ended and every step it was served is forwarded
 * before this message; value = how many ServedSteps of it this server forwarded).
 */
export type ServerControlOp = 'assign' | 'unassign' | 'ack' | 'release';
export const SERVER_CONTROL_OPS: readonly ServerControlOp[] = ['assign', 'unassign', 'ack', 'release'];

export interface ServerControl {
  type: 'ServerControl';
  op: ServerControlOp;
  /** Empty for 'ack'. */
  actorId: string;
  value: number;
}

/**
 * Learner → actor on its own stream: take inference steps to the server at `address` from the next step
 * on ('' = back to the learner). The actor finishes the step in flight first.
 */
export interface ServerChange {
  type: 'ServerChange';
  address: string;
  reason: string;
}

export type Message =
  Hello | RegisterReply | StepRequest | StepReply | SplitPointChange | ParamUpdate | UploadChunk | ServerHello | ServedStep | ServerControl | ServerChange;
