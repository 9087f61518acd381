/**
 * The learner ↔ inference-server messages (server-messages.ts): round trips, byte sizes against the
 * layout in the file header computed by hand, and every malformed field rejected with a ProtocolError
 * whose code and message name it.
 */
import { describe, expect, it } from 'vitest';
import { decode, encode, HEADER_BYTES, PROTOCOL_VERSION, ProtocolError, type ServedStep } from '../src/transport/wire/index.js';

function served(over: Partial<ServedStep> = {}): ServedStep {
  return {
    type: 'ServedStep',
    actorId: 'a0',
    registration: 2,
    stepId: 41,
    splitPoint: 0,
    behaviourVersion: 9,
    numEnvs: 2,
    numActions: 3,
    obs: Uint8Array.from([0, 1, 1, 0, 1, 0, 0, 1]),
    rewards: Float32Array.of(1, -0.5),
    dones: Uint8Array.of(0, 1),
    actions: Int32Array.of(2, 0),
    logits: Float32Array.of(0.1, -0.2, 0.3, 1, 2, 3),
    ...over,
  };
}

function fault(f: () => unknown): ProtocolError {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('expected a ProtocolError');
}

describe('ServedStep', () => {
  it('round-trips, with the size the header layout gives', () => {
    const m = served();
    const buf = encode(m);
    // str "a0" (2+2) · 6 × u32 + 2 × u16 = 28 → 32 bytes, pad4 → 32 (12 + 32 = 44, aligned)
    // rewards 8 · actions 8 · logits 24 · dones 2 · obs 8
    expect(buf.length).toBe(HEADER_BYTES + 32 + 8 + 8 + 24 + 2 + 8);
    const back = decode(buf) as ServedStep;
    expect(back.type).toBe('ServedStep');
    expect([back.actorId, back.registration, back.stepId, back.splitPoint, back.behaviourVersion]).toEqual(['a0', 2, 41, 0, 9]);
    expect([...back.obs]).toEqual([...m.obs]);
    expect([...back.rewards]).toEqual([1, -0.5]);
    expect([...back.dones]).toEqual([0, 1]);
    expect([...back.actions]).toEqual([2, 0]);
    expect([...back.logits].map((x) => Math.round(x * 10) / 10)).toEqual([0.1, -0.2, 0.3, 1, 2, 3]);
  });

  it('above split point 0 carries no observations (they come by upload)', () => {
    const back = decode(encode(served({ splitPoint: 2, obs: new Uint8Array(0) }))) as ServedStep;
    expect(back.obs.length).toBe(0);
    const e = fault(() => encode(served({ splitPoint: 2 })));
    expect(e.code).toBe('BAD_LENGTH');
    expect(e.message).toMatch(/ServedStep\.obs has 8 bytes at split point 2/);
  });

  it('rejects a truncated message naming the field', () => {
    const buf = encode(served());
    // Keep the header consistent with the shorter body, so the reader (not the header check) finds the gap.
    const cut = Buffer.from(buf.subarray(0, HEADER_BYTES + 10));
    cut.writeUInt32LE(10, 8);
    const e = fault(() => decode(cut));
    expect(e.code).toBe('TRUNCATED');
    expect(e.message).toMatch(/^ServedStep\.\w+/);
  });

  it('rejects arrays that do not fit numEnvs and numActions', () => {
    const buf = Buffer.from(encode(served()));
    buf.writeUInt32LE(4, HEADER_BYTES + 24); // numActions (after actorId 4, registration, stepId, split/reserved, version, numEnvs): 3 → 4
    const e = fault(() => decode(buf));
    expect(e.code).toBe('BAD_LENGTH');
    expect(e.message).toMatch(/ServedStep arrays: numEnvs 2, numActions 4, obsBytes 8 need 58 bytes, message has 50/);
  });

  it('rejects wrong fields with their names', () => {
    const cases: [Partial<ServedStep>, string, RegExp][] = [
      [{ actorId: '' }, 'BAD_FIELD', /ServedStep\.actorId must be a non-empty string/],
      [{ registration: 0 }, 'BAD_FIELD', /ServedStep\.registration/],
      [{ actions: Int32Array.of(3, 0) }, 'BAD_FIELD', /ServedStep\.actions\[0\] is 3; must be in \[0, 3\)/],
      [{ dones: Uint8Array.of(0, 2) }, 'BAD_FIELD', /ServedStep\.dones\[1\] is 2/],
      [{ logits: Float32Array.of(0, 0, NaN, 0, 0, 0) }, 'NON_FINITE', /ServedStep\.logits\[2\]/],
      [{ rewards: Float32Array.of(1) }, 'BAD_LENGTH', /ServedStep\.rewards has 1 values, numEnvs is 2/],
      [{ obs: Uint8Array.of(1, 0, 1) }, 'BAD_LENGTH', /ServedStep\.obs has 3 bytes/],
    ];
    for (const [over, code, msg] of cases) {
      const e = fault(() => encode(served(over)));
      expect(e.code, JSON.stringify(Object.keys(over))).toBe(code);
      expect(e.message).toMatch(msg);
    }
    // The decoder runs the same checks: a corrupted action byte on the wire is refused too.
    const buf = Buffer.from(encode(served()));
    buf.writeInt32LE(7, HEADER_BYTES + 32 + 8);
    expect(fault(() => decode(buf)).message).toMatch(/ServedStep\.actions\[0\] is 7/);
  });
});

describe('ServerHello, ServerControl, ServerChange', () => {
  it('round-trip', () => {
    expect(decode(encode({ type: 'ServerHello', protocolVersion: PROTOCOL_VERSION, serverId: 's0', token: 't', address: '127.0.0.1:5000' }))).toEqual({
      type: 'ServerHello',
      protocolVersion: PROTOCOL_VERSION,
      serverId: 's0',
      token: 't',
      address: '127.0.0.1:5000',
    });
    for (const m of [
      { type: 'ServerControl', op: 'assign', actorId: 'a1', value: 3 },
      { type: 'ServerControl', op: 'ack', actorId: '', value: 17 },
      { type: 'ServerControl', op: 'release', actorId: 'a1', value: 0 },
      { type: 'ServerChange', address: '', reason: 'back to the learner' },
      { type: 'ServerChange', address: 'edge-1:7001', reason: 'balance' },
    ] as const)
      expect(decode(encode(m))).toEqual(m);
  });

  it('reject wrong fields with their names', () => {
    expect(fault(() => encode({ type: 'ServerHello', protocolVersion: PROTOCOL_VERSION, serverId: 's0', token: 't', address: 'nohost' })).message).toMatch(
      /ServerHello\.address "nohost" must be host:port/,
    );
    expect(fault(() => encode({ type: 'ServerControl', op: 'ack', actorId: 'a0', value: 1 })).message).toMatch(
      /ServerControl\.actorId must be empty for 'ack'/,
    );
    expect(fault(() => encode({ type: 'ServerControl', op: 'assign', actorId: 'a0', value: 0 })).message).toMatch(/ServerControl\.value/);
    expect(fault(() => encode({ type: 'ServerChange', address: 'x', reason: '' })).message).toMatch(/ServerChange\.address "x" must be host:port/);
    // An op id past the known ones, on the wire.
    const buf = Buffer.from(encode({ type: 'ServerControl', op: 'release', actorId: 'a0', value: 0 }));
    buf.writeUInt8(9, HEADER_BYTES);
    const e = fault(() => decode(buf));
    expect(e.code).toBe('BAD_FIELD');
    expect(e.message).toMatch(/ServerControl\.op id 9 is unknown \(0\.\.3: assign, unassign, ack, release\)/);
  });
});
