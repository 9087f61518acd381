import { describe, expect, it } from 'vitest';
import { Rng } from '../src/util/rng.js';
import {
  blobAsFloat32,
  decode,
  decodeAs,
  encode,
  encodeStepRequest,
  HEADER_BYTES,
  MAGIC,
  type Message,
  PROTOCOL_VERSION,
  ProtocolError,
  ScratchBuffers,
  type StepReply,
  type StepRequest,
  stepRequestBytes,
} from '../src/transport/wire/index.js';

function obsRequest(numEnvs = 2, shape = [3, 4]): StepRequest {
  const n = numEnvs * shape.reduce((a, b) => a * b, 1);
  return {
    type: 'StepRequest',
    stepId: 7,
    splitPoint: 0,
    headVersion: 3,
    dtype: 'uint8',
    shape,
    numEnvs,
    payload: Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255),
    rewards: Float32Array.from({ length: numEnvs }, (_, i) => i - 0.5),
    dones: Uint8Array.from({ length: numEnvs }, (_, i) => i % 2),
  };
}

function actRequest(numEnvs = 3, shape = [5]): StepRequest {
  const n = numEnvs * shape.reduce((a, b) => a * b, 1);
  return {
    ...obsRequest(numEnvs, shape),
    splitPoint: 2,
    dtype: 'float32',
    payload: Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
  };
}

function reply(): StepReply {
  return {
    type: 'StepReply',
    stepId: 9,
    numEnvs: 2,
    numActions: 3,
    actions: Int32Array.from([2, 0]),
    logits: Float32Array.from([0.1, -0.2, 0.3, 1, 2, 3]),
    values: Float32Array.from([0.5, -1.5]),
    newSplitPoint: 1,
  };
}

const samples: Message[] = [
  {
    type: 'Hello',
    protocolVersion: PROTOCOL_VERSION,
    actorId: 'edge-1',
    token: 's3cret',
    numEnvs: 16,
    obsShape: [10, 10, 4],
    numActions: 6,
    splitPoint: 0,
    profile: { layerMs: [1.5, 2.5] },
  },
  {
    type: 'RegisterReply',
    accepted: true,
    reason: '',
    splitPoint: 2,
    numLayers: 5,
    paramVersion: 41,
    paramsAddress: 'tcp://127.0.0.1:5555',
    uploadAddress: 'tcp://127.0.0.1:5556',
    learnerConfig: { maxBatch: 64 },
  },
  obsRequest(),
  actRequest(),
  reply(),
  { type: 'SplitPointChange', splitPoint: 3, fromStepId: 100, reason: 'bandwidth dropped' },
  {
    type: 'ParamUpdate',
    version: 12,
    layers: [
      { index: 1, data: Uint8Array.from([1, 2, 3]) },
      { index: 2, data: new Uint8Array(8).fill(9) },
    ],
  },
  {
    type: 'UploadChunk',
    actorId: 'a',
    uploadId: 4,
    chunkIndex: 1,
    chunkCount: 3,
    totalBytes: 10,
    offset: 4,
    data: Uint8Array.from([5, 6, 7, 8]),
    meta: { shape: [2, 5] },
  },
];

function plain(m: Message): unknown {
  return JSON.parse(JSON.stringify(m, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)));
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return 'NO_ERROR';
}

describe('protocol round trips', () => {
  for (const m of samples) {
    it(`${m.type}${m.type === 'StepRequest' ? ` (${m.dtype})` : ''} decodes to what was encoded`, () => {
      const buf = encode(m);
      expect(buf.readUInt32LE(0)).toBe(MAGIC);
      expect(buf.readUInt16LE(4)).toBe(PROTOCOL_VERSION);
      expect(buf.readUInt32LE(8)).toBe(buf.length - HEADER_BYTES);
      expect(plain(decode(buf))).toEqual(plain(m));
    });
  }

  it('StepRequest layout: 12-byte header + 20 fixed + shape + aligned arrays', () => {
    const m = obsRequest(2, [3, 4]); // 24 payload bytes
    const buf = encode(m);
    // body: stepId 4, split 2, dtype 1, reserved 1, headVersion 4, numEnvs 4, rank 1, dims 8 = 25 → pad to 28
    // from message start: 12 + 25 = 37 → pad to 40; rewards 8, payload 24, dones 2 = 74
    expect(buf.length).toBe(40 + 8 + 24 + 2);
  });

  it('float arrays are zero-copy views when the buffer is aligned', () => {
    const buf = encode(actRequest());
    expect(buf.byteOffset % 4).toBe(0);
    const m = decodeAs(buf, 'StepRequest');
    expect(m.payload.buffer).toBe(buf.buffer);
    expect(m.rewards.buffer).toBe(buf.buffer);
  });

  it('a misaligned buffer still decodes (by copying)', () => {
    const src = encode(actRequest());
    const backing = Buffer.alloc(src.length + 1);
    src.copy(backing, 1);
    const m = decodeAs(backing.subarray(1), 'StepRequest');
    expect(Array.from(m.payload)).toEqual(Array.from(actRequest().payload));
  });

  it('a StepRequest encoded into a scratch buffer is the same bytes, written in place', () => {
    const pool = new ScratchBuffers(2);
    for (const m of samples.filter((x): x is StepRequest => x.type === 'StepRequest')) {
      const into = pool.take(stepRequestBytes(m));
      into.fill(0xee); // stale bytes from an earlier message must not leak into this one
      const buf = encodeStepRequest(m, PROTOCOL_VERSION, into);
      expect(buf.buffer).toBe(into.buffer);
      expect(buf.equals(encode(m))).toBe(true);
      pool.give(into);
    }
    // Too small a buffer is left alone: the message gets a fresh one.
    const small = Buffer.alloc(8);
    const m = obsRequest(2, [3, 4]);
    const buf = encodeStepRequest(m, PROTOCOL_VERSION, small);
    expect(buf.buffer).not.toBe(small.buffer);
    expect(buf.equals(encode(m))).toBe(true);
  });

  it('ScratchBuffers hands back a large enough buffer it was given, and keeps at most `keep`', () => {
    const pool = new ScratchBuffers(1);
    const a = pool.take(1000);
    expect(a.length).toBeGreaterThanOrEqual(1000);
    expect(a.byteOffset).toBe(0); // its own memory, not a slice of Node's shared pool
    pool.give(a);
    pool.give(Buffer.allocUnsafeSlow(4000)); // over `keep`: dropped
    expect(pool.take(900)).toBe(a);
    expect(pool.take(900)).not.toBe(a);
  });

  it('blobAsFloat32 reads a float32 layer blob', () => {
    const f = Float32Array.from([1.5, -2, 3]);
    expect(Array.from(blobAsFloat32(new Uint8Array(f.buffer)))).toEqual([1.5, -2, 3]);
    expect(() => blobAsFloat32(new Uint8Array(5))).toThrow(/not a whole number of float32/);
  });
});

describe('protocol validation', () => {
  it('rejects a stale protocol version with VERSION_MISMATCH', () => {
    const buf = encode(obsRequest(), PROTOCOL_VERSION + 1);
    expect(() => decode(buf)).toThrow(new RegExp(`protocolVersion is ${PROTOCOL_VERSION + 1}, this side speaks ${PROTOCOL_VERSION}`));
    expect(codeOf(() => decode(buf))).toBe('VERSION_MISMATCH');
  });

  it('rejects bad magic, unknown type and wrong body length', () => {
    const good = encode(obsRequest());
    const badMagic = Buffer.from(good);
    badMagic.writeUInt32LE(0xdeadbeef, 0);
    expect(codeOf(() => decode(badMagic))).toBe('BAD_MAGIC');
    const badType = Buffer.from(good);
    badType.writeUInt8(99, 6);
    expect(codeOf(() => decode(badType))).toBe('UNKNOWN_TYPE');
    expect(codeOf(() => decode(Buffer.concat([good, Buffer.alloc(4)])))).toBe('BAD_LENGTH');
    expect(codeOf(() => decode(good.subarray(0, 5)))).toBe('TRUNCATED');
  });

  it('decodeAs insists on the message type', () => {
    expect(() => decodeAs(encode(reply()), 'StepRequest')).toThrow(/expected a StepRequest message here, got StepReply/);
  });

  it('rejects NaN and Inf in activations, naming the element', () => {
    const m = actRequest();
    (m.payload as Float32Array)[4] = NaN;
    expect(() => encode(m)).toThrow(/StepRequest.payload\[4\] is NaN/);
    // Forge the bytes past the encoder to check the decoder too.
    const ok = actRequest();
    const buf = encode(ok);
    const payloadOffset = buf.length - ok.numEnvs - ok.payload.byteLength;
    buf.writeFloatLE(Infinity, payloadOffset + 8);
    expect(() => decode(buf)).toThrow(/StepRequest.payload\[2\] is Infinity/);
    expect(codeOf(() => decode(buf))).toBe('NON_FINITE');
  });

  it('rejects a payload that does not match numEnvs × shape', () => {
    const m = obsRequest(2, [3, 4]);
    m.payload = new Uint8Array(23);
    expect(() => encode(m)).toThrow(/payload has 23 uint8 elements; numEnvs 2 × shape \[3, 4\] needs 24/);
    // Decoder: change a shape dim in the bytes; the sizes no longer add up.
    const buf = encode(obsRequest(2, [3, 4]));
    buf.writeUInt32LE(5, HEADER_BYTES + 17); // shape[0]: 3 → 5
    expect(codeOf(() => decode(buf))).toBe('BAD_LENGTH');
    expect(() => decode(buf)).toThrow(/shape \[5, 4\]/);
  });

  it('ties dtype to split point and rejects unknown dtypes', () => {
    const m = { ...obsRequest(), splitPoint: 1 };
    expect(() => encode(m)).toThrow(/dtype uint8 does not match splitPoint 1/);
    const buf = encode(obsRequest());
    buf.writeUInt8(7, HEADER_BYTES + 6);
    expect(() => decode(buf)).toThrow(/dtype id 7 is unknown/);
  });

  it('rejects bad dones, bad actions and non-finite values in replies', () => {
    const m = obsRequest();
    m.dones[1] = 2;
    expect(() => encode(m)).toThrow(/dones\[1\] is 2/);
    const r = reply();
    r.actions[0] = 3;
    expect(() => encode(r)).toThrow(/actions\[0\] is 3; must be in \[0, 3\)/);
    const r2 = reply();
    r2.values[1] = -Infinity;
    expect(() => encode(r2)).toThrow(/StepReply.values\[1\] is -Infinity/);
  });

  it('rejects upload chunks that run past totalBytes and duplicate layer indices', () => {
    expect(() =>
      encode({ type: 'UploadChunk', actorId: 'a', uploadId: 0, chunkIndex: 0, chunkCount: 1, totalBytes: 3, offset: 0, data: new Uint8Array(4) }),
    ).toThrow(/runs past totalBytes 3/);
    expect(() =>
      encode({
        type: 'ParamUpdate',
        version: 1,
        layers: [
          { index: 1, data: new Uint8Array(1) },
          { index: 1, data: new Uint8Array(1) },
        ],
      }),
    ).toThrow(/index 1 appears twice/);
  });

  it('fuzz: truncated and corrupted buffers throw ProtocolError or decode to valid messages, never crash', () => {
    const rng = new Rng(1234);
    const codes = new Map<string, number>();
    let decoded = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const m = samples[rng.int(samples.length)];
      const good = encode(m);
      let buf: Buffer;
      const mode = rng.int(3);
      if (mode === 0) {
        buf = good.subarray(0, rng.int(good.length)); // truncation
      } else if (mode === 1) {
        buf = Buffer.from(good);
        const flips = 1 + rng.int(4);
        for (let i = 0; i < flips; i++) buf[rng.int(buf.length)] = rng.int(256); // corruption
      } else {
        buf = Buffer.from(good);
        // Corrupt the body but keep a valid header, to exercise field validation.
        for (let i = 0; i < 3; i++) buf[HEADER_BYTES + rng.int(buf.length - HEADER_BYTES)] = rng.int(256);
      }
      try {
        const out = decode(buf);
        decoded++;
        // Whatever decodes must survive a re-encode (i.e. it satisfies every invariant).
        expect(plain(decode(encode(out)))).toEqual(plain(out));
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
        const code = (e as ProtocolError).code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
        expect((e as ProtocolError).message.length).toBeGreaterThan(10);
      }
    }
    // The mix of faults is wide: truncation, magic, lengths and field checks all fire.
    for (const code of ['TRUNCATED', 'BAD_MAGIC', 'BAD_LENGTH', 'BAD_FIELD']) expect(codes.get(code) ?? 0).toBeGreaterThan(0);
    expect(decoded).toBeGreaterThan(0);
  });
});
