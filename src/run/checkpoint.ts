import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * Checkpoint file: "CKPT" magic, u32 format version, u32 header length, a JSON header (run metadata,
 * and the byte ranges of every blob), then the blobs (model weights as the model's own per-layer
 * codec, optimizer slots as float32). Written atomically, so a crash mid-write leaves the previous one.
 */
const MAGIC = 0x434b5054; // 'CKPT'
export const CHECKPOINT_FORMAT = 1;
export const CHECKPOINT_FILE = 'checkpoint.ckpt';

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
  const out = Buffer.alloc(12 + headerBytes.length + offset);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(CHECKPOINT_FORMAT, 4);
  out.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(out, 12);
  const base = 12 + headerBytes.length;
  out.set(ckpt.weights, base + weights.offset);
  ckpt.optimizer.forEach((t, i) => out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), base + optimizer[i].offset));
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.readUInt32LE(0) !== MAGIC) {
    throw new Error(`${source} is not a Coknight checkpoint (bad magic); point --checkpoint at a run directory or its ${CHECKPOINT_FILE}`);
  }
  const format = buf.readUInt32LE(4);
  if (format !== CHECKPOINT_FORMAT) {
    throw new Error(`${source} has checkpoint format ${format}; this build reads format ${CHECKPOINT_FORMAT}`);
  }
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw new Error(`${source} is truncated (header runs past the end of the file)`);
  const header = JSON.parse(buf.subarray(12, 12 + hlen).toString('utf8')) as Header;
  const base = 12 + hlen;
  const slice = (o: number, l: number): Uint8Array => {
    if (base + o + l > buf.length) throw new Error(`${source} is truncated (a blob runs past the end of the file)`);
    return new Uint8Array(buf.subarray(base + o, base + o + l));
  };
  const weights = slice(header.weights.offset, header.weights.length);
  const optimizer = header.optimizer.map((t) => {
    const raw = slice(t.offset, t.length);
    return { name: t.name, shape: t.shape, data: new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4) };
  });
  return { meta: header.meta, weights, optimizer };
}

export function saveCheckpoint(runDir: string, ckpt: Checkpoint): string {
  const path = join(runDir, CHECKPOINT_FILE);
  writeFileAtomic(path, encodeCheckpoint(ckpt));
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
  return decodeCheckpoint(readFileSync(path), path);
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
  state: { weights: Uint8Array; optimizer: readonly NamedArray[] },
): string {
  return saveCheckpoint(runDir, {
    meta: {
      config: config as Record<string, unknown>,
      frames: rec.frames,
      updates: rec.updates,
      episodes: rec.episodes.length,
      wallSeconds: rec.wallSeconds,
      modelVersion: model.version,
      recentReturns: [...rec.recent.values()],
      modelSpec: model.spec,
      inputShape: [...model.inputShape],
      numActions: model.numActions,
    },
    weights: state.weights,
    optimizer: state.optimizer,
  });
}
