/**
 * The messages between a learner and its inference servers (the Serve stream) and the one that moves
 * an actor between servers (ServerChange, on the actor's own stream): for each, its rules, encoder and
 * decoder side by side. Encoders run the decoders' checks, so a sender cannot produce what a receiver
 * rejects. ServedStep layout (after the 12-byte header), float arrays 4-aligned:
 *
 *   str actorId · u32 registration · u32 stepId · u16 splitPoint · u16 reserved(0)
 *   u32 behaviourVersion · u32 numEnvs · u32 numActions · u32 obsBytes · pad4
 *   f32 rewards[n] · i32 actions[n] · f32 logits[n·A] · u8 dones[n] · u8 obs[obsBytes]
 */
import { checkFinite, checkUint, fail, type Reader, Writer } from './bytes.js';
import {
  LIMITS,
  MessageType,
  SERVER_CONTROL_OPS,
  type ServedStep,
  type ServerChange,
  type ServerControl,
  type ServerControlOp,
  type ServerHello,
} from './messages.js';

// ---------------------------------------------------------------- ServerHello

function checkServerHello(m: Omit<ServerHello, 'type' | 'protocolVersion'>): void {
  if (m.serverId.length === 0) fail('BAD_FIELD', 'ServerHello.serverId must be a non-empty string');
  if (!/^[^:\s]+:\d+$/.test(m.address) && !/^\[[^\]]+\]:\d+$/.test(m.address)) {
    fail('BAD_FIELD', `ServerHello.address "${m.address}" must be host:port, the address actors reach this server at`);
  }
}

export function encodeServerHello(m: ServerHello, version: number): Buffer {
  checkServerHello(m);
  const w = new Writer(64);
  w.str('ServerHello.serverId', m.serverId);
  w.str('ServerHello.token', m.token);
  w.str('ServerHello.address', m.address);
  return w.finish(MessageType.ServerHello, version);
}

export function decodeServerHello(r: Reader, version: number): ServerHello {
  const serverId = r.str('serverId');
  const token = r.str('token');
  const address = r.str('address');
  r.end();
  const m: ServerHello = { type: 'ServerHello', protocolVersion: version, serverId, token, address };
  checkServerHello(m);
  return m;
}

// ---------------------------------------------------------------- ServedStep

export function checkServedStep(m: Omit<ServedStep, 'type'>): void {
  if (m.actorId.length === 0) fail('BAD_FIELD', 'ServedStep.actorId must be a non-empty string');
  checkUint('ServedStep.registration', m.registration, 0xffffffff, 1);
  checkUint('ServedStep.stepId', m.stepId, 0xffffffff);
  checkUint('ServedStep.splitPoint', m.splitPoint, LIMITS.maxSplitPoint);
  checkUint('ServedStep.behaviourVersion', m.behaviourVersion, 0xffffffff);
  checkUint('ServedStep.numEnvs', m.numEnvs, LIMITS.maxNumEnvs, 1);
  checkUint('ServedStep.numActions', m.numActions, LIMITS.maxNumActions, 1);
  const n = m.numEnvs;
  if (m.splitPoint === 0) {
    if (m.obs.length === 0 || m.obs.length % n !== 0) {
      fail('BAD_LENGTH', `ServedStep.obs has ${m.obs.length} bytes: at split point 0 it carries numEnvs ${n} observations of equal size`);
    }
  } else if (m.obs.length !== 0) {
    fail('BAD_LENGTH', `ServedStep.obs has ${m.obs.length} bytes at split point ${m.splitPoint}: above 0 the observations come by the actor's upload`);
  }
  if (m.rewards.length !== n) fail('BAD_LENGTH', `ServedStep.rewards has ${m.rewards.length} values, numEnvs is ${n}`);
  if (m.dones.length !== n) fail('BAD_LENGTH', `ServedStep.dones has ${m.dones.length} values, numEnvs is ${n}`);
  if (m.actions.length !== n) fail('BAD_LENGTH', `ServedStep.actions has ${m.actions.length} values, numEnvs is ${n}`);
  if (m.logits.length !== n * m.numActions) {
    fail('BAD_LENGTH', `ServedStep.logits has ${m.logits.length} values; numEnvs ${n} × numActions ${m.numActions} needs ${n * m.numActions}`);
  }
  checkFinite('ServedStep.rewards', m.rewards);
  checkFinite('ServedStep.logits', m.logits);
  for (let i = 0; i < n; i++) {
    if (m.dones[i] > 1) fail('BAD_FIELD', `ServedStep.dones[${i}] is ${m.dones[i]}; must be 0 or 1`);
    if (!(m.actions[i] >= 0 && m.actions[i] < m.numActions)) fail('BAD_FIELD', `ServedStep.actions[${i}] is ${m.actions[i]}; must be in [0, ${m.numActions})`);
  }
}

export function encodeServedStep(m: ServedStep, version: number): Buffer {
  checkServedStep(m);
  const n = m.numEnvs;
  const w = new Writer(64 + m.actorId.length + n * (9 + 4 * m.numActions) + m.obs.length);
  w.str('ServedStep.actorId', m.actorId);
  w.u32(m.registration);
  w.u32(m.stepId);
  w.u16(m.splitPoint);
  w.u16(0);
  w.u32(m.behaviourVersion);
  w.u32(n);
  w.u32(m.numActions);
  w.u32(m.obs.length);
  w.pad4();
  w.bytes(m.rewards);
  w.bytes(m.actions);
  w.bytes(m.logits);
  w.bytes(m.dones);
  w.bytes(m.obs);
  return w.finish(MessageType.ServedStep, version);
}

export function decodeServedStep(r: Reader): ServedStep {
  const actorId = r.str('actorId');
  const registration = r.u32('registration');
  const stepId = r.u32('stepId');
  const splitPoint = r.u16('splitPoint');
  if (r.u16('reserved') !== 0) fail('BAD_FIELD', 'ServedStep.reserved must be 0');
  const behaviourVersion = r.u32('behaviourVersion');
  const numEnvs = r.u32('numEnvs');
  checkUint('ServedStep.numEnvs', numEnvs, LIMITS.maxNumEnvs, 1);
  const numActions = r.u32('numActions');
  checkUint('ServedStep.numActions', numActions, LIMITS.maxNumActions, 1);
  const obsBytes = r.u32('obsBytes');
  r.pad4('padding');
  // Check the size before building views so a corrupted count cannot ask for a huge array.
  const needed = numEnvs * (9 + 4 * numActions) + obsBytes;
  if (r.remaining !== needed) {
    fail(
      'BAD_LENGTH',
      `ServedStep arrays: numEnvs ${numEnvs}, numActions ${numActions}, obsBytes ${obsBytes} need ${needed} bytes, message has ${r.remaining}`,
    );
  }
  const rewards = r.f32('rewards', numEnvs);
  const actions = r.i32('actions', numEnvs);
  const logits = r.f32('logits', numEnvs * numActions);
  const dones = r.bytes('dones', numEnvs);
  const obs = r.bytes('obs', obsBytes);
  r.end();
  const m: ServedStep = {
    type: 'ServedStep',
    actorId,
    registration,
    stepId,
    splitPoint,
    behaviourVersion,
    numEnvs,
    numActions,
    obs,
    rewards,
    dones,
    actions,
    logits,
  };
  checkServedStep(m);
  return m;
}

// ---------------------------------------------------------------- ServerControl

function checkServerControl(m: Omit<ServerControl, 'type'>): void {
  if (!SERVER_CONTROL_OPS.includes(m.op)) fail('BAD_FIELD', `ServerControl.op "${String(m.op)}" is not one of ${SERVER_CONTROL_OPS.join(', ')}`);
  if ((m.op === 'ack') !== (m.actorId.length === 0)) {
    fail('BAD_FIELD', `ServerControl.actorId must be ${m.op === 'ack' ? "empty for 'ack'" : `the actor's id for '${m.op}'`}`);
  }
  checkUint('ServerControl.value', m.value, 0xffffffff, m.op === 'assign' || m.op === 'ack' ? 1 : 0);
}

export function encodeServerControl(m: ServerControl, version: number): Buffer {
  checkServerControl(m);
  const w = new Writer(32);
  w.u8(SERVER_CONTROL_OPS.indexOf(m.op));
  w.str('ServerControl.actorId', m.actorId);
  w.u32(m.value);
  return w.finish(MessageType.ServerControl, version);
}

export function decodeServerControl(r: Reader): ServerControl {
  const opId = r.u8('op');
  const op: ServerControlOp | undefined = SERVER_CONTROL_OPS[opId];
  if (op === undefined) fail('BAD_FIELD', `ServerControl.op id ${opId} is unknown (0..${SERVER_CONTROL_OPS.length - 1}: ${SERVER_CONTROL_OPS.join(', ')})`);
  const actorId = r.str('actorId');
  const value = r.u32('value');
  r.end();
  const m: ServerControl = { type: 'ServerControl', op, actorId, value };
  checkServerControl(m);
  return m;
}

// ---------------------------------------------------------------- ServerChange

export function encodeServerChange(m: ServerChange, version: number): Buffer {
  if (m.address !== '' && !/:\d+$/.test(m.address)) fail('BAD_FIELD', `ServerChange.address "${m.address}" must be host:port, or '' for the learner`);
  const w = new Writer(32);
  w.str('ServerChange.address', m.address);
  w.str('ServerChange.reason', m.reason);
  return w.finish(MessageType.ServerChange, version);
}

export function decodeServerChange(r: Reader): ServerChange {
  const address = r.str('address');
  const reason = r.str('reason');
  r.end();
  if (address !== '' && !/:\d+$/.test(address)) fail('BAD_FIELD', `ServerChange.address "${address}" must be host:port, or '' for the learner`);
  return { type: 'ServerChange', address, reason };
}
