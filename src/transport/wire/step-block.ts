/**
 * The body of an actor's asynchronous upload (ZeroMQ PUSH): a run of consecutive steps of all its
 * envs. Per step it carries what the learner cannot know from the inference stream:
 *  - the raw observations, when the step was sent as a layer-y activation (y > 0): the learner trains
 *    on observations, not on activations;
 *  - for a step the actor computed entirely itself (y = K, IMPALA): the actions, behaviour logits and
 *    parameter version, and the reward/done of the step before (the outcome of step t−1 always travels
 *    with step t's data, by whichever path step t took, so it is counted exactly once).
 *
 * Layout (little-endian): u32 firstStep, u16 count, u16 numEnvs, u32 obsSize, u16 numActions,
 * u16 reserved, then per step: u8 flags (1 = observations, 2 = local), 3 bytes pad, u32 version,
 * [obs numEnvs·obsSize], pad to 4, [if local: i32 actions numEnvs, f32 logits numEnvs·A,
 * f32 prevRewards numEnvs, u8 prevDones numEnvs, pad to 4].
 */
import { align4, fail, Reader, Writer } from './bytes.js';

export interface BlockStep {
  readonly step: number;
  readonly obs?: Uint8Array;
  readonly local?: {
    readonly version: number;
    readonly actions: Int32Array;
    readonly logits: Float32Array;
    readonly prevRewards: Float32Array;
    readonly prevDones: Uint8Array;
  };
}

export interface StepBlock {
  readonly numEnvs: number;
  readonly obsSize: number;
  readonly numActions: number;
  readonly steps: readonly BlockStep[];
}

const HEAD = 16;

/** Encoded size of a block, exactly (the uploader budgets memory with it). */
export function stepBlockBytes(b: StepBlock): number {
  let n = HEAD;
  for (const s of b.steps) {
    n += 8;
    if (s.obs) n += align4(b.numEnvs * b.obsSize);
    if (s.local) n += 4 * b.numEnvs + 4 * b.numEnvs * b.numActions + 4 * b.numEnvs + align4(b.numEnvs);
  }
  return n;
}

export function encodeStepBlock(b: StepBlock): Buffer {
  if (b.steps.length === 0) fail('BAD_FIELD', 'step block: steps is empty');
  const w = new Writer(stepBlockBytes(b), 0);
  w.u32(b.steps[0].step);
  w.u16(b.steps.length);
  w.u16(b.numEnvs);
  w.u32(b.obsSize);
  w.u16(b.numActions);
  w.u16(0);
  b.steps.forEach((s, i) => {
    if (s.step !== b.steps[0].step + i) fail('BAD_SEQUENCE', `step block: steps must be consecutive (index ${i} is step ${s.step})`);
    w.u8((s.obs ? 1 : 0) | (s.local ? 2 : 0));
    w.u8(0);
    w.u16(0);
    w.u32(s.local?.version ?? 0);
    if (s.obs) {
      if (s.obs.length !== b.numEnvs * b.obsSize) {
        fail('BAD_LENGTH', `step block: step ${s.step} obs has ${s.obs.length} bytes, expected ${b.numEnvs * b.obsSize}`);
      }
      w.bytes(s.obs);
      w.pad4();
    }
    if (s.local) {
      const l = s.local;
      const put = (arr: Int32Array | Float32Array | Uint8Array, n: number, name: string): void => {
        if (arr.length !== n) fail('BAD_LENGTH', `step block: step ${s.step} ${name} has ${arr.length} values, expected ${n}`);
        w.bytes(arr);
        w.pad4();
      };
      put(l.actions, b.numEnvs, 'actions');
      put(l.logits, b.numEnvs * b.numActions, 'logits');
      put(l.prevRewards, b.numEnvs, 'prevRewards');
      put(l.prevDones, b.numEnvs, 'prevDones');
    }
  });
  return w.body();
}

/** Decodes and validates a block (copying: the upload buffer is not kept); `expect` pins the sizes the learner knows for this actor. */
export function decodeStepBlock(data: Uint8Array, expect: { numEnvs: number; obsSize: number; numActions: number }): StepBlock {
  const r = new Reader(Buffer.from(data.buffer, data.byteOffset, data.byteLength), 'StepBlock', 0);
  const first = r.u32('firstStep');
  const count = r.u16('count');
  const numEnvs = r.u16('numEnvs');
  const obsSize = r.u32('obsSize');
  const numActions = r.u16('numActions');
  r.u16('reserved');
  if (numEnvs !== expect.numEnvs || obsSize !== expect.obsSize || numActions !== expect.numActions) {
    fail(
      'BAD_SHAPE',
      `step block: sizes numEnvs ${numEnvs}, obsSize ${obsSize}, numActions ${numActions} do not match the actor's registration ` +
        `(${expect.numEnvs}, ${expect.obsSize}, ${expect.numActions})`,
    );
  }
  const take = (bytes: number, what: string): Uint8Array => {
    const copy = Uint8Array.from(r.bytes(what, bytes));
    if (r.remaining > 0) r.pad4(`${what} padding`);
    return copy;
  };
  const steps: BlockStep[] = [];
  for (let i = 0; i < count; i++) {
    const flags = r.u8(`step ${i} flags`);
    if (flags & ~3) fail('BAD_FIELD', `step block: step ${i} has unknown flags ${flags}`);
    r.bytes(`step ${i} padding`, 3);
    const version = r.u32(`step ${i} version`);
    const step: { step: number; obs?: Uint8Array; local?: BlockStep['local'] } = { step: first + i };
    if (flags & 1) step.obs = take(numEnvs * obsSize, `step ${i} observations`);
    if (flags & 2) {
      const actions = new Int32Array(take(4 * numEnvs, `step ${i} actions`).buffer);
      const logits = new Float32Array(take(4 * numEnvs * numActions, `step ${i} logits`).buffer);
      const prevRewards = new Float32Array(take(4 * numEnvs, `step ${i} rewards`).buffer);
      const prevDones = take(numEnvs, `step ${i} dones`);
      for (let e = 0; e < numEnvs; e++) {
        if (actions[e] < 0 || actions[e] >= numActions) {
          fail('BAD_FIELD', `step block: step ${first + i} env ${e} action ${actions[e]} is outside 0..${numActions - 1}`);
        }
        if (!Number.isFinite(prevRewards[e])) fail('NON_FINITE', `step block: step ${first + i} env ${e} reward is not finite`);
      }
      for (const v of logits) if (!Number.isFinite(v)) fail('NON_FINITE', `step block: step ${first + i} logits hold NaN/Inf`);
      step.local = { version, actions, logits, prevRewards, prevDones };
    }
    steps.push(step);
  }
  if (r.remaining > 0) fail('BAD_LENGTH', `step block: ${r.remaining} trailing bytes after ${count} steps`);
  return { numEnvs, obsSize, numActions, steps };
}
