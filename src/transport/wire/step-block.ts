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
 * u16 encoding (0: the steps follow as they are; 1: they follow deflate-compressed, raw deflate), then
 * per step: u8 flags (1 = observations, 2 = local), 3 bytes pad, u32 version,
 * [obs numEnvs·obsSize], pad to 4, [if local: i32 actions numEnvs, f32 logits numEnvs·A,
 * f32 prevRewards numEnvs, u8 prevDones numEnvs, pad to 4].
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { align4, fail, Reader, Writer } from './bytes.js';

/**
 * How a block's steps travel. Observations dominate an upload (28 KB per 84×84×4 frame) and compress
 * well (stacked frames repeat, backgrounds are flat): deflate at level 1 costs well under a
 * millisecond per block and is what `coknight actor` sends unless told otherwise.
 */
export const STEP_BLOCK_ENCODINGS = ['none', 'deflate'] as const;
export type StepBlockEncoding = (typeof STEP_BLOCK_ENCODINGS)[number];
const ENCODING_IDS: Record<StepBlockEncoding, number> = { none: 0, deflate: 1 };
/** The most an inflated block may hold, whatever its header claims (a deflate bomb stops here). */
export const MAX_INFLATED_BLOCK_BYTES = 64 * 1024 * 1024;

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

type BlockSizes = { readonly numEnvs: number; readonly obsSize: number; readonly numActions: number };

/** Encoded size of one step: its flags and version, then the observations and the local data it carries. */
function stepBytes(e: BlockSizes, obs: boolean, local: boolean): number {
  return 8 + (obs ? align4(e.numEnvs * e.obsSize) : 0) + (local ? 4 * e.numEnvs + 4 * e.numEnvs * e.numActions + 4 * e.numEnvs + align4(e.numEnvs) : 0);
}

/** Encoded size of a block, exactly (the uploader budgets memory with it). */
export function stepBlockBytes(b: StepBlock): number {
  return b.steps.reduce((n, s) => n + stepBytes(b, Boolean(s.obs), Boolean(s.local)), HEAD);
}

/** Encodes a block; with 'deflate' the steps are compressed unless that would not make them smaller. */
export function encodeStepBlock(b: StepBlock, encoding: StepBlockEncoding = 'none'): Buffer {
  if (b.steps.length === 0) fail('BAD_FIELD', 'step block: steps is empty');
  const w = new Writer(stepBlockBytes(b), 0);
  w.u32(b.steps[0].step);
  w.u16(b.steps.length);
  w.u16(b.numEnvs);
  w.u32(b.obsSize);
  w.u16(b.numActions);
  w.u16(ENCODING_IDS.none);
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
  const raw = w.body();
  if (encoding === 'none') return raw;
  const packed = deflateRawSync(raw.subarray(HEAD), { level: 1 });
  if (packed.length >= raw.length - HEAD) return raw;
  const out = Buffer.allocUnsafe(HEAD + packed.length);
  raw.copy(out, 0, 0, HEAD);
  out.writeUInt16LE(ENCODING_IDS.deflate, 14);
  packed.copy(out, HEAD);
  return out;
}

/** The largest body a block of `count` steps with these sizes can have (every step with obs and local data). */
function maxBodyBytes(count: number, e: BlockSizes): number {
  return Math.min(MAX_INFLATED_BLOCK_BYTES, count * stepBytes(e, true, true));
}

/** The block with its steps inflated (a raw block as it is); a corrupt or oversized stream is BAD_LENGTH. */
function inflated(data: Uint8Array, expect: BlockSizes): Uint8Array {
  if (data.byteLength < HEAD) return data; // the reader reports the short header
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const encoding = view.getUint16(14, true);
  if (encoding === ENCODING_IDS.none) return data;
  if (encoding !== ENCODING_IDS.deflate) fail('BAD_FIELD', `step block: unknown encoding ${encoding} (0 = none, 1 = deflate)`);
  const limit = maxBodyBytes(view.getUint16(4, true), expect);
  let body: Buffer;
  try {
    body = inflateRawSync(data.subarray(HEAD), { maxOutputLength: Math.max(1, limit) });
  } catch (e) {
    fail('BAD_LENGTH', `step block: the deflate stream is corrupt or inflates beyond the ${limit} bytes its header allows (${(e as Error).message})`);
  }
  const out = new Uint8Array(HEAD + body.length);
  out.set(data.subarray(0, HEAD));
  out.set(body, HEAD);
  return out;
}

/** Decodes and validates a block (copying: the upload buffer is not kept); `expect` pins the sizes the learner knows for this actor. */
export function decodeStepBlock(wire: Uint8Array, expect: { numEnvs: number; obsSize: number; numActions: number }): StepBlock {
  const data = inflated(wire, expect);
  const r = new Reader(Buffer.from(data.buffer, data.byteOffset, data.byteLength), 'StepBlock', 0);
  const first = r.u32('firstStep');
  const count = r.u16('count');
  const numEnvs = r.u16('numEnvs');
  const obsSize = r.u32('obsSize');
  const numActions = r.u16('numActions');
  r.u16('encoding');
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
