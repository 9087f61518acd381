import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { decodeLayerWeights } from '../model/weights-codec.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { redactConfig } from './run-dir.js';

/**
 * Checkpoint file: "CKPT" magic, u32 format version, u32 header length, (format 2) the SHA-256 of
 * everything after it, a JSON header (run metadata, and the byte ranges of every blob), then the
 * blobs (model weights as the model's own per-layer codec, optimizer slots as float32). Written
 * atomically with mode 0600, so a crash mid-write leaves the previous one (and a stale temp file,
 * removed by the next write or load). On load the checksum, the header (zod) and every tensor
 * (shape, length, finiteness) are verified; a checkpoint is never written from non-finite values.
 * The run token is never part of it.
 */
const MAGIC = 0x434b5054; // 'CKPT'
export const CHECKPOINT_FORMAT = 2;
export const CHECKPOINT_FILE = 'checkpoint.ckpt';
const DIGEST_BYTES = 32;

export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface CheckpointMeta {
  /** The validated run config the checkpoint was written with. */
  readonly config: Record<string, unknown>;
  readonly frames: number;
  readonly updates: number;
  readonly episodes: number;
  readonly wallSeconds: number;
  readonly modelVersion: number;
  readonly recentReturns: readonly number[];
  readonly [key: string]: unknown;
}

export interface Checkpoint {
  readonly meta: CheckpointMeta;
  readonly weights: Uint8Array;
  readonly optimizer: readonly NamedArray[];
}

interface Header {
  meta: CheckpointMeta;
  weights: { offset: number; length: number };
  optimizer: { name: string; shape: number[]; offset: number; length: number }[];
}

const uint = z.number().int().min(0);
const codecMetaSchema = z.strictObject({
  y: z.number().int().min(1),
  codec: z.string().min(1),
  version: uint,
  range: z.strictObject({ min: z.number(), max: z.number(), count: uint }),
  updates: uint,
});
const metaSchema = z.looseObject({
  config: z.record(z.string(), z.unknown()),
  frames: uint,
  updates: uint,
  episodes: uint,
  wallSeconds: z.number().min(0),
  modelVersion: uint,
  recentReturns: z.array(z.number()),
  modelSpec: z.string().optional(),
  inputShape: z.array(uint).optional(),
  numActions: z.number().int().min(1).optional(),
  /** The feature codec trained on the forward path: what must survive exactly (its tensors are `codec/…` blobs). */
  codec: codecMetaSchema.optional(),
  /** The other codecs of distributed.codecs (off the forward path); tensors `codec/<y>/<id>/…`. Absent in older checkpoints. */
  offPathCodecs: z.array(codecMetaSchema).optional(),
});
const blobSchema = z.strictObject({ offset: uint, length: uint });
const headerSchema = z.strictObject({
  meta: metaSchema,
  weights: blobSchema,
  optimizer: z.array(z.strictObject({ name: z.string().min(1), shape: z.array(uint).max(8), offset: uint, length: uint })),
});

/** Thrown instead of writing a checkpoint that holds NaN or ±Inf. */
export class NonFiniteCheckpointError extends Error {
  constructor(what: string) {
    super(`refusing to write a checkpoint: ${what} is not finite (the previous checkpoint is kept)`);
    this.name = 'NonFiniteCheckpointError';
  }
}

function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** Every model tensor and optimizer slot must be finite and as long as its shape says. */
function verifyTensors(ckpt: Checkpoint, source: string, onBad: (what: string) => never): void {
  let weights;
  try {
    weights = decodeLayerWeights(ckpt.weights);
  } catch (e) {
    onBad(`${source}: model weights: ${(e as Error).message}`);
  }
  for (const [i, t] of weights!.tensors.entries()) {
    const at = firstNonFinite(t.data);
    if (at >= 0) onBad(`${source}: model weights tensor ${i} (layer ${t.layer}, shape [${t.shape.join(', ')}]) value ${at} is ${t.data[at]}`);
  }
  for (const t of ckpt.optimizer) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) onBad(`${source}: optimizer slot '${t.name}' has ${t.data.length} values, but its shape [${t.shape.join(', ')}] holds ${size}`);
    const at = firstNonFinite(t.data);
    if (at >= 0) onBad(`${source}: optimizer slot '${t.name}' value ${at} is ${t.data[at]}`);
  }
}

function digest(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  let offset = 0;
  const weights = { offset, length: ckpt.weights.byteLength };
  offset += weights.length;
  const optimizer = ckpt.optimizer.map((t) => {
    const entry = { name: t.name, shape: [...t.shape], offset, length: t.data.byteLength };
    offset += entry.length;
    return entry;
  });
  const header: Header = { meta: ckpt.meta, weights, optimizer };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const start = 12 + DIGEST_BYTES;
  const out = Buffer.alloc(start + headerBytes.length + offset);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(CHECKPOINT_FORMAT, 4);
  out.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(out, start);
  const base = start + headerBytes.length;
  out.set(ckpt.weights, base + weights.offset);
  ckpt.optimizer.forEach((t, i) => out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), base + optimizer[i].offset));
  digest(out.subarray(start)).copy(out, 12);
  return out;
}

/** Reads and verifies a checkpoint: checksum, header and meta (zod), every tensor's shape and finiteness. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.readUInt32LE(0) !== MAGIC) {
    throw new Error(`${source} is not a Coknight checkpoint (bad magic); point --checkpoint at a run directory or its ${CHECKPOINT_FILE}`);
  }
  const format = buf.readUInt32LE(4);
  if (format !== CHECKPOINT_FORMAT && format !== 1) {
    throw new Error(`${source} has checkpoint format ${format}; this build reads formats 1 and ${CHECKPOINT_FORMAT}`);
  }
  const hlen = buf.readUInt32LE(8);
  // Format 1 (older builds) has no checksum; everything else is still verified.
  const start = format === 1 ? 12 : 12 + DIGEST_BYTES;
  if (start + hlen > buf.length) throw new Error(`${source} is truncated (header runs past the end of the file)`);
  const checksumOk = (): boolean => format === 1 || digest(buf.subarray(start)).equals(buf.subarray(12, start));
  const corrupt = `${source} is corrupt: its SHA-256 checksum does not match its contents (a damaged file); use an earlier checkpoint`;
  let raw: unknown;
  try {
    raw = JSON.parse(buf.subarray(start, start + hlen).toString('utf8'));
  } catch (e) {
    if (!checksumOk()) throw new Error(corrupt, { cause: e });
    throw new Error(`${source} has an unreadable header: ${(e as Error).message}`, { cause: e });
  }
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) {
    if (!checksumOk()) throw new Error(corrupt);
    const issue = parsed.error.issues[0];
    throw new Error(`${source} has an invalid header: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const end = [parsed.data.weights, ...parsed.data.optimizer].reduce((a, b) => Math.max(a, b.offset + b.length), 0);
  if (start + hlen + end > buf.length) throw new Error(`${source} is truncated (a blob runs past the end of the file)`);
  if (!checksumOk()) throw new Error(corrupt);
  const header = parsed.data as Header;
  const base = start + hlen;
  const slice = (what: string, o: number, l: number): Uint8Array => {
    if (base + o + l > buf.length) throw new Error(`${source} is truncated (${what} runs past the end of the file)`);
    return new Uint8Array(buf.subarray(base + o, base + o + l));
  };
  const weights = slice('the model weights', header.weights.offset, header.weights.length);
  const optimizer = header.optimizer.map((t) => {
    if (t.length % 4 !== 0) throw new Error(`${source}: optimizer slot '${t.name}' is ${t.length} bytes, not a whole number of float32 values`);
    const raw = slice(`optimizer slot '${t.name}'`, t.offset, t.length);
    return { name: t.name, shape: t.shape, data: new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4) };
  });
  const ckpt = { meta: header.meta, weights, optimizer };
  verifyTensors(ckpt, source, (why) => {
    throw new Error(`${why}; this checkpoint cannot be resumed from, use an earlier one`);
  });
  return ckpt;
}

/** Removes temp files a kill during an earlier write left next to `path` (none can be in progress: writes are synchronous). */
export function removeStaleTemps(path: string): number {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let n = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    try {
      unlinkSync(join(dir, name));
      n++;
    } catch {
      /* gone already */
    }
  }
  return n;
}

/** Writes a checkpoint (mode 0600); throws NonFiniteCheckpointError rather than write NaN or ±Inf. */
export function saveCheckpoint(runDir: string, ckpt: Checkpoint): string {
  verifyTensors(ckpt, 'checkpoint', (why) => {
    throw new NonFiniteCheckpointError(why);
  });
  const path = join(runDir, CHECKPOINT_FILE);
  removeStaleTemps(path);
  writeFileAtomic(path, encodeCheckpoint(ckpt), 0o600);
  return path;
}

/** Accepts a run directory or a checkpoint file path. */
export function resolveCheckpointPath(pathOrDir: string): string {
  if (!existsSync(pathOrDir)) throw new Error(`checkpoint path ${pathOrDir} does not exist`);
  if (statSync(pathOrDir).isDirectory()) {
    const p = join(pathOrDir, CHECKPOINT_FILE);
    if (!existsSync(p)) throw new Error(`run directory ${pathOrDir} holds no ${CHECKPOINT_FILE} (has the run written one yet?)`);
    return p;
  }
  return pathOrDir;
}

export function loadCheckpoint(pathOrDir: string): Checkpoint {
  const path = resolveCheckpointPath(pathOrDir);
  removeStaleTemps(path);
  return decodeCheckpoint(readFileSync(path), path);
}

/** A trained codec's state (src/learner/codec-checkpoint.ts): exact meta, and tensors named `codec/…`. */
export interface CodecCheckpointState {
  readonly meta: { y: number; codec: string; version: number; range: { min: number; max: number; count: number }; updates: number };
  readonly arrays: readonly NamedArray[];
}

const CODEC_PREFIX = 'codec/';

/** Array-name prefix of an off-path codec's tensors (the main codec's are `codec/var<i>`, …). */
export function offPathCodecPrefix(y: number, codec: string): string {
  return `${CODEC_PREFIX}${y}/${codec}/`;
}

/** The main codec's state a checkpoint holds (undefined: the run had no codec, or an older build wrote it). */
export function codecStateOf(ckpt: Checkpoint): CodecCheckpointState | undefined {
  const meta = ckpt.meta.codec as CodecCheckpointState['meta'] | undefined;
  if (!meta) return undefined;
  return { meta, arrays: ckpt.optimizer.filter((a) => a.name.startsWith(CODEC_PREFIX) && !/^codec\/\d+\//.test(a.name)) };
}

/** The off-path codecs' states (empty for a checkpoint from a one-codec or older build). */
export function offPathCodecStatesOf(ckpt: Checkpoint): CodecCheckpointState[] {
  const metas = (ckpt.meta.offPathCodecs ?? []) as CodecCheckpointState['meta'][];
  return metas.map((meta) => {
    const prefix = offPathCodecPrefix(meta.y, meta.codec);
    return { meta, arrays: ckpt.optimizer.filter((a) => a.name.startsWith(prefix)) };
  });
}

/** What a checkpoint records about the network, so that eval can rebuild it without the run config. */
export interface ModelMeta {
  readonly version: number;
  readonly spec: string;
  readonly inputShape: readonly number[];
  readonly numActions: number;
}

/** What a training run checkpoints: its config, progress, model weights and optimizer slots. */
export function writeRunCheckpoint(
  runDir: string,
  config: unknown,
  rec: { frames: number; updates: number; episodes: readonly unknown[]; wallSeconds: number; recent: { values(): readonly number[] } },
  model: ModelMeta,
  state: { weights: Uint8Array; optimizer: readonly NamedArray[]; codec?: CodecCheckpointState; offPathCodecs?: readonly CodecCheckpointState[] },
  log: (msg: string) => void = (m) => console.error(m),
): string {
  try {
    return saveCheckpointFor(runDir, config, rec, model, state);
  } catch (e) {
    if (!(e instanceof NonFiniteCheckpointError)) throw e;
    log(e.message);
    return join(runDir, CHECKPOINT_FILE);
  }
}

function saveCheckpointFor(
  runDir: string,
  config: unknown,
  rec: { frames: number; updates: number; episodes: readonly unknown[]; wallSeconds: number; recent: { values(): readonly number[] } },
  model: ModelMeta,
  state: { weights: Uint8Array; optimizer: readonly NamedArray[]; codec?: CodecCheckpointState; offPathCodecs?: readonly CodecCheckpointState[] },
): string {
  const codecArrays = [...(state.codec?.arrays ?? []), ...(state.offPathCodecs ?? []).flatMap((c) => c.arrays)];
  for (const a of codecArrays) {
    if (!a.name.startsWith(CODEC_PREFIX)) throw new Error(`codec checkpoint array '${a.name}' must be named ${CODEC_PREFIX}…`);
  }
  return saveCheckpoint(runDir, {
    meta: {
      config: redactConfig(config),
      frames: rec.frames,
      updates: rec.updates,
      episodes: rec.episodes.length,
      wallSeconds: rec.wallSeconds,
      modelVersion: model.version,
      recentReturns: [...rec.recent.values()],
      modelSpec: model.spec,
      inputShape: [...model.inputShape],
      numActions: model.numActions,
      ...(state.codec ? { codec: state.codec.meta } : {}),
      ...(state.offPathCodecs?.length ? { offPathCodecs: state.offPathCodecs.map((c) => c.meta) } : {}),
    },
    weights: state.weights,
    optimizer: [...state.optimizer, ...codecArrays],
  });
}
