/**
 * Encode and decode any Coknight message: the 12-byte header (messages.ts) and a dispatch to the
 * message's own rules, which sit beside their encoder and decoder in stream-messages.ts (inference
 * stream), server-messages.ts (learner ↔ inference servers) and async-messages.ts (ZeroMQ channels).
 */
import { fail, Reader } from './bytes.js';
import { decodeParamUpdate, decodeUploadChunk, encodeParamUpdate, encodeUploadChunk } from './async-messages.js';
import { HEADER_BYTES, MAGIC, type Message, type MessageTypeName, MessageType, PROTOCOL_VERSION } from './messages.js';
import {
  decodeHello,
  decodeRegisterReply,
  decodeSplitPointChange,
  decodeStepReply,
  decodeStepRequest,
  encodeHello,
  encodeRegisterReply,
  encodeSplitPointChange,
  encodeStepReply,
  encodeStepRequest,
} from './stream-messages.js';
import {
  decodeServedStep,
  decodeServerChange,
  decodeServerControl,
  decodeServerHello,
  encodeServedStep,
  encodeServerChange,
  encodeServerControl,
  encodeServerHello,
} from './server-messages.js';

/** Encode any message. Validates the fields so that a sender cannot produce what a receiver rejects. */
export function encode(msg: Message, version: number = PROTOCOL_VERSION): Buffer {
  switch (msg.type) {
    case 'Hello':
      return encodeHello(msg, version);
    case 'RegisterReply':
      return encodeRegisterReply(msg, version);
    case 'StepRequest':
      return encodeStepRequest(msg, version);
    case 'StepReply':
      return encodeStepReply(msg, version);
    case 'SplitPointChange':
      return encodeSplitPointChange(msg, version);
    case 'ParamUpdate':
      return encodeParamUpdate(msg, version);
    case 'UploadChunk':
      return encodeUploadChunk(msg, version);
    case 'ServerHello':
      return encodeServerHello(msg, version);
    case 'ServedStep':
      return encodeServedStep(msg, version);
    case 'ServerControl':
      return encodeServerControl(msg, version);
    case 'ServerChange':
      return encodeServerChange(msg, version);
    default:
      return fail('UNKNOWN_TYPE', `cannot encode message type ${String((msg as { type: unknown }).type)}`);
  }
}

const TYPE_NAMES = new Map<number, MessageTypeName>((Object.entries(MessageType) as [MessageTypeName, number][]).map(([k, v]) => [v, k]));

export interface Header {
  version: number;
  type: MessageTypeName;
  bodyLength: number;
}

/** Validate the header alone (magic, version, type, lengths). */
export function decodeHeader(buf: Uint8Array, expectedVersion: number = PROTOCOL_VERSION): Header {
  if (buf.length < HEADER_BYTES) fail('TRUNCATED', `message is ${buf.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = b.readUInt32LE(0);
  if (magic !== MAGIC) fail('BAD_MAGIC', `header.magic is 0x${magic.toString(16)}, expected 0x${MAGIC.toString(16)} ("CKNT"): not a Coknight message`);
  const version = b.readUInt16LE(4);
  if (version !== expectedVersion) {
    fail('VERSION_MISMATCH', `header.protocolVersion is ${version}, this side speaks ${expectedVersion}: upgrade the older side`);
  }
  const typeId = b.readUInt8(6);
  const type = TYPE_NAMES.get(typeId);
  if (type === undefined) fail('UNKNOWN_TYPE', `header.type ${typeId} is not a known message type (1..${TYPE_NAMES.size})`);
  if (b.readUInt8(7) !== 0) fail('BAD_FIELD', 'header.reserved must be 0');
  const bodyLength = b.readUInt32LE(8);
  if (bodyLength !== b.length - HEADER_BYTES) {
    fail('BAD_LENGTH', `header.bodyLength is ${bodyLength} but the message carries ${b.length - HEADER_BYTES} body bytes`);
  }
  return { version, type, bodyLength };
}

/** Decode and fully validate one message. Typed arrays in the result may view `buf` (zero-copy). */
export function decode(buf: Uint8Array, expectedVersion: number = PROTOCOL_VERSION): Message {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const h = decodeHeader(b, expectedVersion);
  const r = new Reader(b, h.type);
  switch (h.type) {
    case 'Hello':
      return decodeHello(r, h.version);
    case 'RegisterReply':
      return decodeRegisterReply(r);
    case 'StepRequest':
      return decodeStepRequest(r);
    case 'StepReply':
      return decodeStepReply(r);
    case 'SplitPointChange':
      return decodeSplitPointChange(r);
    case 'ParamUpdate':
      return decodeParamUpdate(r);
    case 'UploadChunk':
      return decodeUploadChunk(r);
    case 'ServerHello':
      return decodeServerHello(r, h.version);
    case 'ServedStep':
      return decodeServedStep(r);
    case 'ServerControl':
      return decodeServerControl(r);
    case 'ServerChange':
      return decodeServerChange(r);
  }
}

/** Decode a message that must be of one type (e.g. the first message of a stream must be Hello). */
export function decodeAs<T extends Message['type']>(buf: Uint8Array, type: T, expectedVersion: number = PROTOCOL_VERSION): Extract<Message, { type: T }> {
  const m = decode(buf, expectedVersion);
  if (m.type !== type) fail('WRONG_TYPE', `expected a ${type} message here, got ${m.type}`);
  return m as Extract<Message, { type: T }>;
}

/** View a float32 layer blob (copies only when the bytes are not 4-aligned). */
export function blobAsFloat32(data: Uint8Array): Float32Array {
  if (data.byteLength % 4 !== 0) fail('BAD_LENGTH', `layer blob is ${data.byteLength} bytes, not a whole number of float32 values`);
  if (data.byteOffset % 4 === 0) return new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
  return new Float32Array(data.slice().buffer);
}
