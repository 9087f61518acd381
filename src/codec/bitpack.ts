/**
 * Exact bit-packing of c_q-bit codes, c_q ∈ {1, 2, 4, 8}: 8/c_q codes per byte, first code in the
 * lowest bits, the last byte zero-padded. n codes take ceil(n·c_q / 8) bytes — the c_q/32 share of
 * float32 in Eq. 3 (R_q = 32/c_q) with no per-value overhead.
 */
import { isQuantBits } from './quantize.js';

function checkBits(cq: number): void {
  if (!isQuantBits(cq)) throw new RangeError(`bit width must be 1, 2, 4 or 8, got ${cq}`);
}

/** Bytes that n c_q-bit codes pack into. */
export function packedBytes(n: number, cq: number): number {
  checkBits(cq);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`code count must be an integer >= 0, got ${n}`);
  return Math.ceil((n * cq) / 8);
}

/** Packs codes (each < 2^c_q; higher bits are an error) into ceil(n·c_q/8) bytes. */
export function packCodes(codes: Uint8Array, cq: number): Uint8Array {
  const out = new Uint8Array(packedBytes(codes.length, cq));
  if (cq === 8) {
    out.set(codes);
    return out;
  }
  const per = 8 / cq;
  const max = (1 << cq) - 1;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c > max) throw new RangeError(`code ${c} at index ${i} does not fit in ${cq} bits`);
    out[(i / per) | 0] |= c << ((i % per) * cq);
  }
  return out;
}

/** Unpacks n codes; the buffer must be exactly packedBytes(n, c_q) long. */
export function unpackCodes(packed: Uint8Array, n: number, cq: number, out = new Uint8Array(n)): Uint8Array {
  const need = packedBytes(n, cq);
  if (packed.length !== need) throw new RangeError(`packed code buffer has ${packed.length} bytes; ${n} codes of ${cq} bits need ${need}`);
  if (out.length !== n) throw new RangeError(`unpackCodes: out has ${out.length} slots for ${n} codes`);
  if (cq === 8) {
    out.set(packed);
    return out;
  }
  const per = 8 / cq;
  const mask = (1 << cq) - 1;
  for (let i = 0; i < n; i++) out[i] = (packed[(i / per) | 0] >> ((i % per) * cq)) & mask;
  return out;
}
