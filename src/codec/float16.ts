/**
 * IEEE 754 half precision (binary16) for features: the plain 2× codec. Node 20 has no Float16Array, so
 * the conversion is done on bits, with round-to-nearest-even, overflow to ±Infinity, subnormals kept.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One float32 to its binary16 bits. */
export function toHalf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    mant |= 0x800000; // implicit bit
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m; // may carry into the exponent field: still correct
  }
  let m = mant >> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** binary16 bits to a number. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Features to little-endian binary16 bytes (2 per value). */
export function encodeFloat16(x: Float32Array): Uint8Array {
  const out = new Uint8Array(2 * x.length);
  for (let i = 0; i < x.length; i++) {
    const h = toHalf(x[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >> 8;
  }
  return out;
}

export function decodeFloat16(bytes: Uint8Array, n: number, out = new Float32Array(n)): Float32Array {
  if (bytes.length !== 2 * n) throw new RangeError(`float16 buffer has ${bytes.length} bytes; ${n} values need ${2 * n}`);
  for (let i = 0; i < n; i++) out[i] = fromHalf(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  return out;
}
