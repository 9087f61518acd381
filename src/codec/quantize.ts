/**
 * c_q-bit uniform quantisation of a feature (MAHPPO §2.3). Eq. 1 on the actor:
 *   y_i = round((2^c_q − 1)(x_i − min) / (max − min)),
 * Eq. 2 on the learner:
 *   x'_i = y_i (max − min) / (2^c_q − 1) + min.
 * min/max come from running statistics (see RunningRange), not from the tensor being sent, so a value
 * outside [min, max] is clamped to the nearest code; inside it the error is at most (max − min)/(2(2^c_q − 1)).
 */

export const QUANT_BITS = [1, 2, 4, 8] as const;
export type QuantBits = (typeof QUANT_BITS)[number];

export function isQuantBits(x: number): x is QuantBits {
  return (QUANT_BITS as readonly number[]).includes(x);
}

function checkBits(cq: number): asserts cq is QuantBits {
  if (!isQuantBits(cq)) throw new RangeError(`quantiser bit width c_q must be one of ${QUANT_BITS.join(', ')}, got ${cq}`);
}

/** The affine map of Eqs. 1–2 as (scale, offset): x' = y·scale + offset. */
export interface QuantParams {
  /** (max − min) / (2^c_q − 1); > 0. */
  readonly scale: number;
  /** min. */
  readonly offset: number;
}

/**
 * scale and offset for a range. A degenerate range (max <= min) gets a tiny positive scale so that
 * every value maps to code 0 and back to min, instead of dividing by zero.
 */
export function quantParams(min: number, max: number, cq: number): QuantParams {
  checkBits(cq);
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError(`quantiser range must be finite, got [${min}, ${max}]`);
  const levels = (1 << cq) - 1;
  const span = max - min;
  return { scale: span > 0 ? span / levels : Number.MIN_VALUE, offset: min };
}

/** Eq. 1 with clamping: codes in 0..2^c_q − 1, one per value (unpacked, one byte each). */
export function quantize(x: Float32Array, cq: number, q: QuantParams, out = new Uint8Array(x.length)): Uint8Array {
  checkBits(cq);
  if (out.length !== x.length) throw new RangeError(`quantize: out has ${out.length} slots for ${x.length} values`);
  const levels = (1 << cq) - 1;
  const inv = 1 / q.scale;
  for (let i = 0; i < x.length; i++) {
    const v = Math.round((x[i] - q.offset) * inv);
    out[i] = v <= 0 || Number.isNaN(v) ? 0 : v >= levels ? levels : v;
  }
  return out;
}

/** Eq. 2: codes back to values. */
export function dequantize(codes: Uint8Array, q: QuantParams, out = new Float32Array(codes.length)): Float32Array {
  if (out.length !== codes.length) throw new RangeError(`dequantize: out has ${out.length} slots for ${codes.length} codes`);
  for (let i = 0; i < codes.length; i++) out[i] = codes[i] * q.scale + q.offset;
  return out;
}

/** Largest |x − x'| for x inside [min, max]: half a quantisation step. */
export function quantErrorBound(q: QuantParams): number {
  return q.scale / 2;
}
