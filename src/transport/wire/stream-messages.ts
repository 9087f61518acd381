/**
 * The inference stream's messages (gRPC, wire format in messages.ts): for each, its rules, encoder
 * and decoder side by side. Encoders run the same checks as decoders, so a sender cannot produce
 * what a receiver rejects.
 */
import { checkFinite, checkShape, checkUint, fail, product, type Reader, Writer, writeShape } from './bytes.js';
import {
  DTYPE_BYTES,
  DTYPE_IDS,
  type Dtype,
  HEADER_BYTES,
  type Hello,
  LIMITS,
  MessageType,
  NO_SPLIT,
  type RegisterReply,
  type SplitPointChange,
  type StepReply,
  type StepRequest,
} from './messages.js';

/** A codec id on the wire: '' (none) or letters and digits (src/codec/spec.ts), at most 32 bytes. */
function checkCodecId(field: string, id: string | undefined): void {
  if (id === undefined) return;
  if (id === '' || id.length > 32 || !/^[a-z0-9]+$/.test(id))
    fail('BAD_FIELD', `${field} "${id}" is not a codec id (letters and digits, e.g. ae4q4; omit it for float32)`);
}

// ---------------------------------------------------------------- Hello

export function encodeHello(m: Hello, version: number): Buffer {
  if (m.actorId.length === 0) fail('BAD_FIELD', 'Hello.actorId must be a non-empty string');
  checkUint('Hello.numEnvs', m.numEnvs, LIMITS.maxNumEnvs, 1);
  checkUint('Hello.numActions', m.numActions, LIMITS.maxNumActions, 1);
  checkUint('Hello.splitPoint', m.splitPoint, LIMITS.maxSplitPoint);
  const w = new Writer(64);
  w.str('Hello.actorId', m.actorId);
  w.str('Hello.token', m.token);
  w.u32(m.numEnvs);
  w.u32(m.numActions);
  w.u16(m.splitPoint);
  writeShape(w, 'Hello.obsShape', m.obsShape);
  w.json('Hello.profile', m.profile);
  return w.finish(MessageType.Hello, version);
}

export function decodeHello(r: Reader, version: number): Hello {
  const actorId = r.str('actorId');
  if (actorId.length === 0) fail('BAD_FIELD', 'Hello.actorId must be a non-empty string');
  const token = r.str('token');
  const numEnvs = r.u32('numEnvs');
  checkUint('Hello.numEnvs', numEnvs, LIMITS.maxNumEnvs, 1);
  const numActions = r.u32('numActions');
  checkUint('Hello.numActions', numActions, LIMITS.maxNumActions, 1);
  const splitPoint = r.u16('splitPoint');
  checkUint('Hello.splitPoint', splitPoint, LIMITS.maxSplitPoint);
  const obsShape = r.shape('obsShape');
  const profile = r.json('profile');
  r.end();
  const m: Hello = { type: 'Hello', protocolVersion: version, actorId, token, numEnvs, obsShape, numActions, splitPoint };
  if (profile !== undefined) m.profile = profile;
  return m;
}

// ---------------------------------------------------------------- RegisterReply

export function encodeRegisterReply(m: RegisterReply, version: number): Buffer {
  checkUint('RegisterReply.splitPoint', m.splitPoint, LIMITS.maxSplitPoint);
  checkUint('RegisterReply.numLayers', m.numLayers, LIMITS.maxSplitPoint);
  checkUint('RegisterReply.paramVersion', m.paramVersion, 0xffffffff);
  checkCodecId('RegisterReply.codec', m.codec);
  const w = new Writer(64);
  w.u8(m.accepted ? 1 : 0);
  w.str('RegisterReply.reason', m.reason);
  w.u16(m.splitPoint);
  w.u16(m.numLayers);
  w.u32(m.paramVersion);
  w.str('RegisterReply.paramsAddress', m.paramsAddress);
  w.str('RegisterReply.uploadAddress', m.uploadAddress);
  w.json('RegisterReply.learnerConfig', m.learnerConfig);
  w.str('RegisterReply.codec', m.codec ?? '');
  return w.finish(MessageType.RegisterReply, version);
}

export function decodeRegisterReply(r: Reader): RegisterReply {
  const acceptedByte = r.u8('accepted');
  if (acceptedByte > 1) fail('BAD_FIELD', `RegisterReply.accepted must be 0 or 1, got ${acceptedByte}`);
  const reason = r.str('reason');
  const splitPoint = r.u16('splitPoint');
  checkUint('RegisterReply.splitPoint', splitPoint, LIMITS.maxSplitPoint);
  const numLayers = r.u16('numLayers');
  checkUint('RegisterReply.numLayers', numLayers, LIMITS.maxSplitPoint);
  const paramVersion = r.u32('paramVersion');
  const paramsAddress = r.str('paramsAddress');
  const uploadAddress = r.str('uploadAddress');
  const learnerConfig = r.json('learnerConfig');
  const codec = r.str('codec');
  r.end();
  if (codec !== '') checkCodecId('RegisterReply.codec', codec);
  const m: RegisterReply = {
    type: 'RegisterReply',
    accepted: acceptedByte === 1,
    reason,
    splitPoint,
    numLayers,
    paramVersion,
    paramsAddress,
    uploadAddress,
  };
  if (learnerConfig !== undefined) m.learnerConfig = learnerConfig;
  if (codec !== '') m.codec = codec;
  return m;
}

// ---------------------------------------------------------------- StepRequest

/** Shape/dtype/size rules of a StepRequest; shared by encoder and decoder. */
export function checkStepRequest(m: Omit<StepRequest, 'type'>): void {
  checkUint('StepRequest.stepId', m.stepId, 0xffffffff);
  checkUint('StepRequest.splitPoint', m.splitPoint, LIMITS.maxSplitPoint);
  checkUint('StepRequest.headVersion', m.headVersion, 0xffffffff);
  checkUint('StepRequest.numEnvs', m.numEnvs, LIMITS.maxNumEnvs, 1);
  checkShape('StepRequest.shape', m.shape);
  if (m.dtype !== 'uint8' && m.dtype !== 'float32' && m.dtype !== 'coded') {
    fail('BAD_DTYPE', `StepRequest.dtype must be 'uint8', 'float32' or 'coded', got ${String(m.dtype)}`);
  }
  if (m.dtype === 'coded') {
    checkCoded(m);
    return;
  }
  if (m.codec !== undefined) fail('BAD_FIELD', `StepRequest.codec is set but dtype is ${m.dtype}: only 'coded' payloads carry a codec`);
  // Split point 0 ships raw observations (uint8); any other split point ships activations (float32).
  if ((m.splitPoint === 0) !== (m.dtype === 'uint8')) {
    fail(
      'BAD_DTYPE',
      `StepRequest.dtype ${m.dtype} does not match splitPoint ${m.splitPoint}: use uint8 observations at split point 0 and float32 activations above it`,
    );
  }
  const expected = m.numEnvs * product(m.shape);
  if (m.payload.length !== expected) {
    fail(
      'BAD_LENGTH',
      `StepRequest.payload has ${m.payload.length} ${m.dtype} elements; numEnvs ${m.numEnvs} × shape [${m.shape.join(', ')}] needs ${expected}`,
    );
  }
  if (m.rewards.length !== m.numEnvs) fail('BAD_LENGTH', `StepRequest.rewards has ${m.rewards.length} values, numEnvs is ${m.numEnvs}`);
  if (m.dones.length !== m.numEnvs) fail('BAD_LENGTH', `StepRequest.dones has ${m.dones.length} values, numEnvs is ${m.numEnvs}`);
  checkFinite('StepRequest.rewards', m.rewards);
  for (let i = 0; i < m.dones.length; i++) {
    if (m.dones[i] > 1) fail('BAD_FIELD', `StepRequest.dones[${i}] is ${m.dones[i]}; must be 0 or 1`);
  }
  if (m.dtype === 'float32') checkFinite('StepRequest.payload', m.payload as Float32Array);
}

/** A coded step: split point > 0, a codec id and version, finite float32 scale/offset, bytes. */
function checkCoded(m: Omit<StepRequest, 'type'>): void {
  if (m.splitPoint === 0) fail('BAD_DTYPE', 'StepRequest.dtype coded needs splitPoint > 0: observations at split point 0 travel as uint8');
  const c = m.codec;
  if (!c) fail('BAD_FIELD', "StepRequest.codec is missing: a 'coded' payload must say which codec made it");
  if (c.id.length === 0) fail('BAD_FIELD', 'StepRequest.codec.id must be a non-empty codec id');
  checkUint('StepRequest.codec.version', c.version, 0xffffffff);
  checkFinite('StepRequest.codec.scale/offset', Float32Array.of(c.scale, c.offset));
  if (!(m.payload instanceof Uint8Array) || m.payload instanceof Float32Array) fail('BAD_DTYPE', 'StepRequest.payload of a coded step must be bytes');
  if (m.rewards.length !== m.numEnvs) fail('BAD_LENGTH', `StepRequest.rewards has ${m.rewards.length} values, numEnvs is ${m.numEnvs}`);
  if (m.dones.length !== m.numEnvs) fail('BAD_LENGTH', `StepRequest.dones has ${m.dones.length} values, numEnvs is ${m.numEnvs}`);
  checkFinite('StepRequest.rewards', m.rewards);
  for (let i = 0; i < m.dones.length; i++) {
    if (m.dones[i] > 1) fail('BAD_FIELD', `StepRequest.dones[${i}] is ${m.dones[i]}; must be 0 or 1`);
  }
}

/** Body bytes before the payload of a coded step: the codec id, version, scale and offset. */
function writeCoded(w: Writer, c: NonNullable<StepRequest['codec']>): void {
  w.str('StepRequest.codec.id', c.id);
  w.u32(c.version);
  w.pad4();
  w.bytes(Float32Array.of(c.scale, c.offset));
}

/** Bytes an encoded StepRequest takes at most, header included (what ScratchBuffers.take needs). */
export function stepRequestBytes(m: Pick<StepRequest, 'shape' | 'payload' | 'numEnvs'>): number {
  return HEADER_BYTES + 64 + m.shape.length * 4 + m.payload.byteLength + m.numEnvs * 5;
}

/** `into`: a buffer to write the message in when it is large enough (the result is then a view of it). */
export function encodeStepRequest(m: Omit<StepRequest, 'type'>, version: number, into?: Buffer): Buffer {
  const payloadIsF32 = m.payload instanceof Float32Array;
  if (payloadIsF32 !== (m.dtype === 'float32')) {
    fail('BAD_DTYPE', `StepRequest.payload is a ${m.payload.constructor.name} but dtype is ${m.dtype}`);
  }
  checkStepRequest(m);
  if (m.dtype === 'coded') {
    const w = new Writer(64 + m.shape.length * 4 + m.payload.byteLength + m.numEnvs * 5, HEADER_BYTES, into);
    w.u32(m.stepId);
    w.u16(m.splitPoint);
    w.u8(DTYPE_IDS.coded);
    w.u8(0);
    w.u32(m.headVersion);
    w.u32(m.numEnvs);
    writeShape(w, 'StepRequest.shape', m.shape);
    writeCoded(w, m.codec!);
    w.bytes(m.rewards);
    w.bytes(m.dones);
    w.bytes(m.payload);
    return w.finish(MessageType.StepRequest, version);
  }
  const w = new Writer(32 + m.shape.length * 4 + m.payload.byteLength + m.numEnvs * 5, HEADER_BYTES, into);
  w.u32(m.stepId);
  w.u16(m.splitPoint);
  w.u8(DTYPE_IDS[m.dtype]);
  w.u8(0);
  w.u32(m.headVersion);
  w.u32(m.numEnvs);
  writeShape(w, 'StepRequest.shape', m.shape);
  w.pad4();
  w.bytes(m.rewards);
  w.bytes(m.payload);
  w.bytes(m.dones);
  return w.finish(MessageType.StepRequest, version);
}

export function decodeStepRequest(r: Reader): StepRequest {
  const stepId = r.u32('stepId');
  const splitPoint = r.u16('splitPoint');
  const dtypeId = r.u8('dtype');
  const dtype: Dtype | undefined = dtypeId === 0 ? 'uint8' : dtypeId === 1 ? 'float32' : dtypeId === 2 ? 'coded' : undefined;
  if (dtype === undefined) fail('BAD_DTYPE', `StepRequest.dtype id ${dtypeId} is unknown (0 = uint8, 1 = float32, 2 = coded)`);
  if (r.u8('reserved') !== 0) fail('BAD_FIELD', 'StepRequest.reserved must be 0');
  const headVersion = r.u32('headVersion');
  const numEnvs = r.u32('numEnvs');
  checkUint('StepRequest.numEnvs', numEnvs, LIMITS.maxNumEnvs, 1);
  const shape = r.shape('shape');
  if (dtype === 'coded') {
    const id = r.str('codec.id');
    const codecVersion = r.u32('codec.version');
    r.pad4('padding');
    const so = r.f32('codec.scale/offset', 2);
    const rewards = r.f32('rewards', numEnvs);
    const dones = r.bytes('dones', numEnvs);
    // The rest is the codec's payload; the learner's codec checks its length.
    const payload = Uint8Array.from(r.bytes('payload', r.buf.length - r.pos));
    r.end();
    const codec = { id, version: codecVersion, scale: so[0], offset: so[1] };
    const m: StepRequest = { type: 'StepRequest', stepId, splitPoint, headVersion, dtype, shape, numEnvs, payload, rewards, dones, codec };
    checkStepRequest(m);
    return m;
  }
  r.pad4('padding');
  const rewards = r.f32('rewards', numEnvs);
  const count = numEnvs * product(shape);
  // Check the size before building views so a corrupted shape cannot ask for a huge array.
  const remaining = r.buf.length - r.pos;
  const needed = count * DTYPE_BYTES[dtype] + numEnvs;
  if (remaining !== needed) {
    fail(
      'BAD_LENGTH',
      `StepRequest.payload: numEnvs ${numEnvs} × shape [${shape.join(', ')}] × ${DTYPE_BYTES[dtype]} bytes (${dtype}) + ${numEnvs} done flags needs ${needed} bytes, message has ${remaining}`,
    );
  }
  const payload = dtype === 'float32' ? r.f32('payload', count) : r.bytes('payload', count);
  const dones = r.bytes('dones', numEnvs);
  r.end();
  const m: StepRequest = { type: 'StepRequest', stepId, splitPoint, headVersion, dtype, shape, numEnvs, payload, rewards, dones };
  checkStepRequest(m);
  return m;
}

// ---------------------------------------------------------------- StepReply

export function checkStepReply(m: Omit<StepReply, 'type'>): void {
  checkUint('StepReply.stepId', m.stepId, 0xffffffff);
  checkUint('StepReply.numEnvs', m.numEnvs, LIMITS.maxNumEnvs, 1);
  checkUint('StepReply.numActions', m.numActions, LIMITS.maxNumActions, 1);
  if (m.newSplitPoint !== undefined) checkUint('StepReply.newSplitPoint', m.newSplitPoint, LIMITS.maxSplitPoint);
  checkCodecId('StepReply.newCodec', m.newCodec);
  if (m.newCodec !== undefined && m.newSplitPoint === undefined)
    fail('BAD_FIELD', 'StepReply.newCodec is set without newSplitPoint: a codec change names its split point');
  if (m.actions.length !== m.numEnvs) fail('BAD_LENGTH', `StepReply.actions has ${m.actions.length} values, numEnvs is ${m.numEnvs}`);
  if (m.logits.length !== m.numEnvs * m.numActions) {
    fail('BAD_LENGTH', `StepReply.logits has ${m.logits.length} values; numEnvs ${m.numEnvs} × numActions ${m.numActions} needs ${m.numEnvs * m.numActions}`);
  }
  if (m.values.length !== m.numEnvs) fail('BAD_LENGTH', `StepReply.values has ${m.values.length} values, numEnvs is ${m.numEnvs}`);
  for (let i = 0; i < m.actions.length; i++) {
    if (m.actions[i] < 0 || m.actions[i] >= m.numActions) {
      fail('BAD_FIELD', `StepReply.actions[${i}] is ${m.actions[i]}; must be in [0, ${m.numActions})`);
    }
  }
  checkFinite('StepReply.logits', m.logits);
  checkFinite('StepReply.values', m.values);
}

export function encodeStepReply(m: StepReply, version: number): Buffer {
  checkStepReply(m);
  const w = new Writer(60 + m.numEnvs * (8 + 4 * m.numActions));
  w.u32(m.stepId);
  w.u32(m.numEnvs);
  w.u32(m.numActions);
  w.u16(m.newSplitPoint ?? NO_SPLIT);
  // The codec id's u16 length sits where version 1 had a reserved 0: without a codec the bytes are the same.
  w.str('StepReply.newCodec', m.newCodec ?? '');
  w.pad4();
  w.bytes(m.actions);
  w.bytes(m.logits);
  w.bytes(m.values);
  return w.finish(MessageType.StepReply, version);
}

export function decodeStepReply(r: Reader): StepReply {
  const stepId = r.u32('stepId');
  const numEnvs = r.u32('numEnvs');
  checkUint('StepReply.numEnvs', numEnvs, LIMITS.maxNumEnvs, 1);
  const numActions = r.u32('numActions');
  checkUint('StepReply.numActions', numActions, LIMITS.maxNumActions, 1);
  const split = r.u16('newSplitPoint');
  const newCodec = r.str('newCodec');
  r.pad4('padding');
  const needed = numEnvs * (8 + 4 * numActions);
  if (r.buf.length - r.pos !== needed) {
    fail('BAD_LENGTH', `StepReply arrays: numEnvs ${numEnvs}, numActions ${numActions} need ${needed} bytes, message has ${r.buf.length - r.pos}`);
  }
  const actions = r.i32('actions', numEnvs);
  const logits = r.f32('logits', numEnvs * numActions);
  const values = r.f32('values', numEnvs);
  r.end();
  const m: StepReply = { type: 'StepReply', stepId, numEnvs, numActions, actions, logits, values };
  if (split !== NO_SPLIT) m.newSplitPoint = split;
  if (newCodec !== '') m.newCodec = newCodec;
  checkStepReply(m);
  return m;
}

// ---------------------------------------------------------------- SplitPointChange

export function encodeSplitPointChange(m: SplitPointChange, version: number): Buffer {
  checkUint('SplitPointChange.splitPoint', m.splitPoint, LIMITS.maxSplitPoint);
  checkUint('SplitPointChange.fromStepId', m.fromStepId, 0xffffffff);
  checkCodecId('SplitPointChange.codec', m.codec);
  const w = new Writer(16);
  w.u16(m.splitPoint);
  w.u32(m.fromStepId);
  w.str('SplitPointChange.reason', m.reason);
  w.str('SplitPointChange.codec', m.codec ?? '');
  return w.finish(MessageType.SplitPointChange, version);
}

export function decodeSplitPointChange(r: Reader): SplitPointChange {
  const splitPoint = r.u16('splitPoint');
  checkUint('SplitPointChange.splitPoint', splitPoint, LIMITS.maxSplitPoint);
  const fromStepId = r.u32('fromStepId');
  const reason = r.str('reason');
  const codec = r.str('codec');
  r.end();
  if (codec === '') return { type: 'SplitPointChange', splitPoint, fromStepId, reason };
  checkCodecId('SplitPointChange.codec', codec);
  return { type: 'SplitPointChange', splitPoint, fromStepId, reason, codec };
}
