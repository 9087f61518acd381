/**
 * A trained feature codec's state for checkpoints: its tensors (encoder/decoder kernels and biases,
 * and its RMSProp's iteration count and slots) as named float32 arrays that ride in the checkpoint's
 * verified blob list under the prefix `codec/`, and what must survive exactly (split point, codec id,
 * codec version, the quantiser's float64 running range, updates seen) as JSON in the checkpoint's
 * meta. Restoring checks every name, shape and value before assigning anything, so a resumed run
 * quantises, encodes and decodes with the very weights and range it saved.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkRange } from '../codec/index.js';
import type { CodecTrainer } from './codec-training.js';
import type { CodecCheckpoint, OptimizerSlot } from './trainer.js';

export type { CodecCheckpoint, CodecCheckpointMeta } from './trainer.js';

export const CODEC_ARRAY_PREFIX = 'codec/';

async function slot(name: string, t: tf.Tensor): Promise<OptimizerSlot> {
  return { name, shape: [...t.shape], data: Float32Array.from(await t.data()) };
}

/**
 * Everything of `trainer`'s codec a resumed run needs. `prefix`: `codec/` for the main codec (the
 * names one-codec builds wrote), `codec/<y>/<id>/` for one off the forward path.
 */
export async function saveCodecState(trainer: CodecTrainer, prefix = CODEC_ARRAY_PREFIX): Promise<CodecCheckpoint> {
  const VAR = (i: number): string => `${prefix}var${i}`;
  const c = trainer.codec;
  const vars = trainer.variables();
  const arrays: OptimizerSlot[] = [];
  for (const [i, v] of vars.entries()) arrays.push(await slot(VAR(i), v));
  const weights = await trainer.optimizer.getWeights();
  arrays.push(await slot(`${prefix}iterations`, weights[0].tensor));
  weights[0].tensor.dispose(); // a fresh scalar
  // tfjs creates the slots on the first update: none before it.
  if (weights.length !== 1 && weights.length !== 1 + 2 * vars.length) {
    throw new Error(`codec optimizer holds ${weights.length - 1} slots, expected 0 or ${2 * vars.length}`);
  }
  for (let i = 1; i < weights.length; i++) {
    const k = (i - 1) % vars.length;
    arrays.push(await slot(`${VAR(k)}/${i <= vars.length ? 'rms' : 'momentum'}`, weights[i].tensor));
  }
  const meta = { y: trainer.y, codec: c.spec.id, version: c.version, range: { ...c.range }, updates: trainer.updates };
  return { meta, arrays };
}

/** Loads a saved state into `trainer` (same codec at the same split); fails naming the field on any mismatch. */
export async function loadCodecState(trainer: CodecTrainer, s: CodecCheckpoint, where = 'checkpoint', prefix = CODEC_ARRAY_PREFIX): Promise<void> {
  const VAR = (i: number): string => `${prefix}var${i}`;
  const c = trainer.codec;
  if (s.meta.codec !== c.spec.id || s.meta.y !== trainer.y) {
    throw new Error(
      `${where} holds codec "${s.meta.codec}" at split point ${s.meta.y}, this run trains "${c.spec.id}" at ${trainer.y}: ` +
        'resume with the same distributed.codecs (first entry) and distributed.codecSplit, or from a checkpoint without a codec',
    );
  }
  const range = checkRange(s.meta.range, `${where}: codec range`);
  if (!Number.isInteger(s.meta.version) || s.meta.version < 0) throw new Error(`${where}: codec version must be an integer >= 0, got ${s.meta.version}`);
  if (!Number.isInteger(s.meta.updates) || s.meta.updates < 0) throw new Error(`${where}: codec updates must be an integer >= 0, got ${s.meta.updates}`);
  const byName = new Map(s.arrays.map((a) => [a.name, a]));
  const take = (name: string, shape: readonly number[]): OptimizerSlot => {
    const a = byName.get(name);
    if (!a) throw new Error(`${where}: codec state has no '${name}'`);
    if (a.shape.join('x') !== shape.join('x')) throw new Error(`${where}: '${name}' has shape [${a.shape.join(', ')}], expected [${shape.join(', ')}]`);
    if (a.data.length !== shape.reduce((x, y) => x * y, 1))
      throw new Error(`${where}: '${name}' holds ${a.data.length} values for shape [${shape.join(', ')}]`);
    for (const v of a.data) if (!Number.isFinite(v)) throw new Error(`${where}: '${name}' holds a non-finite value (${v})`);
    return a;
  };
  const vars = trainer.variables();
  const values = vars.map((v, i) => take(VAR(i), v.shape));
  const iterations = take(`${prefix}iterations`, []).data[0];
  const hasSlots = byName.has(`${VAR(0)}/rms`);
  const rms = hasSlots ? vars.map((v, i) => take(`${VAR(i)}/rms`, v.shape)) : [];
  const momentum = hasSlots ? vars.map((v, i) => take(`${VAR(i)}/momentum`, v.shape)) : [];
  // Everything is checked: assign.
  vars.forEach((v, i) => v.assign(tf.tensor(values[i].data, v.shape)));
  const toNamed = (a: OptimizerSlot, name: string) => ({ name, tensor: tf.tensor(a.data, [...a.shape], 'float32') });
  const weights = [
    { name: 'iter', tensor: tf.scalar(iterations, 'int32') },
    ...rms.map((a, i) => toNamed(a, `${vars[i].name}/rms`)),
    ...momentum.map((a, i) => toNamed(a, `${vars[i].name}/momentum`)),
  ];
  const old = await trainer.optimizer.getWeights();
  await trainer.optimizer.setWeights(weights);
  // setWeights copies each tensor into a new variable and drops the previous ones without disposing them
  tf.dispose([...old.map((w) => w.tensor), ...weights.map((w) => w.tensor)]);
  c.range = range;
  c.version = s.meta.version;
  trainer.updates = s.meta.updates;
}

/** Array-name prefix of an off-path codec's state (as run/checkpoint.ts's offPathCodecPrefix). */
export function offPathPrefix(y: number, codec: string): string {
  return `${CODEC_ARRAY_PREFIX}${y}/${codec}/`;
}

/** The off-path codecs' states, each under its own prefix. */
export async function saveOffPathCodecStates(trainers: readonly CodecTrainer[]): Promise<CodecCheckpoint[]> {
  const out: CodecCheckpoint[] = [];
  for (const t of trainers) out.push(await saveCodecState(t, offPathPrefix(t.y, t.codec.spec.id)));
  return out;
}

/**
 * Restores each off-path codec that `saved` holds (matched by split point and codec id); one not in
 * the checkpoint (an older or one-codec build wrote it) keeps its seeded start, and a saved codec
 * this run does not hold is ignored. Returns the (y, id) restored.
 */
export async function loadOffPathCodecStates(trainers: readonly CodecTrainer[], saved: readonly CodecCheckpoint[], where = 'checkpoint'): Promise<string[]> {
  const done: string[] = [];
  for (const t of trainers) {
    const s = saved.find((c) => c.meta.y === t.y && c.meta.codec === t.codec.spec.id);
    if (!s) continue;
    await loadCodecState(t, s, `${where} (codec "${s.meta.codec}" at split point ${s.meta.y})`, offPathPrefix(t.y, t.codec.spec.id));
    done.push(`${t.y}/${t.codec.spec.id}`);
  }
  return done;
}
