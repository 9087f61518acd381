/**
 * Little-endian Writer/Reader shared by every Coknight byte format (messages, step blocks): bounds
 * checked, every read names its field, float arrays 4-byte aligned relative to the start so that
 * decoding can return zero-copy views. Failures throw ProtocolError naming the field.
 */
import { HEADER_BYTES, LIMITS, MAGIC, type MessageTypeId, ProtocolError, type ProtocolErrorCode } from './messages.js';

export const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}

export function checkUint(field: string, v: number, max: number, min = 0): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    fail('BAD_FIELD', `${field} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
}

export function checkShape(field: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > LIMITS.maxRank) {
    fail('BAD_SHAPE', `${field} must have rank 1..${LIMITS.maxRank}, got ${JSON.stringify(shape)}`);
  }
  shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 1 || d > LIMITS.maxDim) {
      fail('BAD_SHAPE', `${field}[${i}] must be an integer in [1, ${LIMITS.maxDim}], got ${String(d)}`);
    }
  });
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    // x - x is NaN for NaN and ±Infinity, 0 otherwise: one comparison per element.
    if (x - x !== 0) return i;
  }
  return -1;
}

export function checkFinite(field: string, a: Float32Array): void {
  const i = firstNonFinite(a);
  if (i >= 0) fail('NON_FINITE', `${field}[${i}] is ${String(a[i])}; every value must be finite`);
}

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Growable little-endian writer; float arrays are aligned to 4 bytes relative to the message start. */
export class Writer {
  private buf: Buffer;
  private pos: number;

  /**
   * `start` bytes are left for a header that finish() fills (HEADER_BYTES for messages). `into`, when
   * it holds start + sizeHint bytes, is written in place of a fresh buffer (see ScratchBuffers).
   */
  constructor(sizeHint: number, start = HEADER_BYTES, into?: Buffer) {
    this.pos = start;
    this.buf = into && into.length >= start + sizeHint ? into : Buffer.allocUnsafe(Math.max(64, start + sizeHint));
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }
  pad4(): void {
    const n = align4(this.pos) - this.pos;
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }
  bytes(b: Uint8Array | Float32Array | Int32Array): void {
    const view = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    this.ensure(view.length);
    this.buf.set(view, this.pos);
    this.pos += view.length;
  }
  str(field: string, s: string): void {
    const b = textEncoder.encode(s);
    if (b.length > LIMITS.maxStringBytes) fail('BAD_FIELD', `${field} is ${b.length} bytes; at most ${LIMITS.maxStringBytes}`);
    this.u16(b.length);
    this.bytes(b);
  }
  json(field: string, v: Record<string, unknown> | undefined): void {
    if (v === undefined) {
      this.u32(0);
      return;
    }
    const b = textEncoder.encode(JSON.stringify(v));
    if (b.length > LIMITS.maxJsonBytes) fail('BAD_FIELD', `${field} is ${b.length} bytes of JSON; at most ${LIMITS.maxJsonBytes}`);
    this.u32(b.length);
    this.bytes(b);
  }
  /** The bytes written so far, without a message header (for bodies such as step blocks). */
  body(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
  finish(type: MessageTypeId, version: number): Buffer {
    const out = this.buf.subarray(0, this.pos);
    out.writeUInt32LE(MAGIC, 0);
    out.writeUInt16LE(version, 4);
    out.writeUInt8(type, 6);
    out.writeUInt8(0, 7);
    out.writeUInt32LE(this.pos - HEADER_BYTES, 8);
    return out;
  }
}

/** Bounds-checked reader over one message; every read names the field it reads. */
export class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    readonly typeName: string,
    start = HEADER_BYTES,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(field: string, n: number): void {
    if (this.pos + n > this.buf.length) {
      fail('TRUNCATED', `${this.typeName}.${field}: needs ${n} bytes at offset ${this.pos}, message has ${this.buf.length}`);
    }
  }
  u8(field: string): number {
    this.need(field, 1);
    return this.buf.readUInt8(this.pos++);
  }
  u16(field: string): number {
    this.need(field, 2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(field: string): number {
    this.need(field, 4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  pad4(field: string): void {
    const n = align4(this.pos) - this.pos;
    this.need(field, n);
    this.pos += n;
  }
  bytes(field: string, n: number): Uint8Array {
    this.need(field, n);
    const v = new Uint8Array(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return v;
  }
  /** Zero-copy when the absolute offset is 4-aligned, otherwise a copy. */
  f32(field: string, count: number): Float32Array {
    this.need(field, count * 4);
    const abs = this.buf.byteOffset + this.pos;
    let v: Float32Array;
    if (abs % 4 === 0) v = new Float32Array(this.buf.buffer, abs, count);
    else v = new Float32Array(this.buf.buffer.slice(abs, abs + count * 4));
    this.pos += count * 4;
    return v;
  }
  i32(field: string, count: number): Int32Array {
    this.need(field, count * 4);
    const abs = this.buf.byteOffset + this.pos;
    let v: Int32Array;
    if (abs % 4 === 0) v = new Int32Array(this.buf.buffer, abs, count);
    else v = new Int32Array(this.buf.buffer.slice(abs, abs + count * 4));
    this.pos += count * 4;
    return v;
  }
  str(field: string): string {
    const n = this.u16(`${field}.length`);
    if (n > LIMITS.maxStringBytes) fail('BAD_FIELD', `${this.typeName}.${field} is ${n} bytes; at most ${LIMITS.maxStringBytes}`);
    const b = this.bytes(field, n);
    try {
      return textDecoder.decode(b);
    } catch {
      return fail('BAD_FIELD', `${this.typeName}.${field} is not valid UTF-8`);
    }
  }
  json(field: string): Record<string, unknown> | undefined {
    const n = this.u32(`${field}.length`);
    if (n === 0) return undefined;
    if (n > LIMITS.maxJsonBytes) fail('BAD_FIELD', `${this.typeName}.${field} is ${n} bytes; at most ${LIMITS.maxJsonBytes}`);
    const b = this.bytes(field, n);
    let v: unknown;
    try {
      v = JSON.parse(textDecoder.decode(b));
    } catch {
      return fail('BAD_FIELD', `${this.typeName}.${field} is not valid UTF-8 JSON`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      fail('BAD_FIELD', `${this.typeName}.${field} must be a JSON object`);
    }
    return v as Record<string, unknown>;
  }
  shape(field: string): number[] {
    const rank = this.u8(`${field}.rank`);
    if (rank < 1 || rank > LIMITS.maxRank) fail('BAD_SHAPE', `${this.typeName}.${field} rank must be 1..${LIMITS.maxRank}, got ${rank}`);
    const shape: number[] = [];
    for (let i = 0; i < rank; i++) shape.push(this.u32(`${field}[${i}]`));
    checkShape(`${this.typeName}.${field}`, shape);
    return shape;
  }
  end(): void {
    if (this.pos !== this.buf.length) {
      fail('BAD_LENGTH', `${this.typeName}: ${this.buf.length - this.pos} unexpected trailing bytes after the last field`);
    }
  }
}

export function writeShape(w: Writer, field: string, shape: readonly number[]): void {
  checkShape(field, shape);
  w.u8(shape.length);
  for (const d of shape) w.u32(d);
}

/**
 * A few reusable encode buffers. Every fresh large Buffer is off-heap memory that V8 counts toward a
 * full GC: at a few thousand 28 KB requests a second, allocating one per request triggered ~10 major
 * GCs a second and cost more client CPU than the encode itself. A buffer goes back only when its
 * message is known to be off the caller's hands (for a StepRequest: its reply has arrived).
 */
export class ScratchBuffers {
  private readonly free: Buffer[] = [];
  constructor(private readonly keep = 8) {}

  /** A buffer of at least `bytes` (its own memory, never a slice of Node's shared pool). */
  take(bytes: number): Buffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      if (this.free[i]!.length >= bytes) return this.free.splice(i, 1)[0]!;
    }
    return Buffer.allocUnsafeSlow(Math.max(256, bytes + (bytes >> 3)));
  }

  give(b: Buffer): void {
    if (this.free.length < this.keep) this.free.push(b);
  }
}
