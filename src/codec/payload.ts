/**
 * Feature values ↔ the bytes a step message carries, for every codec kind (the encoder/decoder convs,
 * if any, run before/after this on tensors: see autoencoder.ts). Decoding checks everything a
 * corrupted or hostile message could get wrong — length, scale, offset — and throws a CodecError.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { packCodes, unpackCodes } from './bitpack.js';
import { decodeFloat16, encodeFloat16 } from './float16.js';
import { dequantize, quantize, type QuantParams } from './quantize.js';
import { CodecError, type CodecSpec } from './spec.js';

/** What travels: the bytes plus Eq. 2's scale and offset (1 and 0 for unquantised codecs). */
export interface CodedFeature {
  readonly bytes: Uint8Array;
  readonly scale: number;
  readonly offset: number;
}

const DEFLATE_LEVEL = 1; // fastest: actors are weak devices, and level 1 already takes the zero runs

function bytesOf(x: Float32Array): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

/** Encodes n values. `q` (scale/offset from the running range) is required for quantising codecs. */
export function encodeValues(spec: CodecSpec, x: Float32Array, q?: QuantParams): CodedFeature {
  switch (spec.kind) {
    case 'f32':
      return { bytes: bytesOf(x), scale: 1, offset: 0 };
    case 'f32z':
      return { bytes: deflateRawSync(bytesOf(x), { level: DEFLATE_LEVEL }), scale: 1, offset: 0 };
    case 'f16':
      return { bytes: encodeFloat16(x), scale: 1, offset: 0 };
    case 'quant': {
      if (!q) throw new CodecError(`codec "${spec.id}" quantises: it needs the quantiser's scale and offset`);
      const codes = quantize(x, spec.bits!, q);
      const packed = spec.entropy ? deflateRawSync(codes, { level: DEFLATE_LEVEL }) : packCodes(codes, spec.bits!);
      return { bytes: packed, scale: q.scale, offset: q.offset };
    }
  }
}

/** Inflates at most `limit` bytes; a bomb or a short stream is a CodecError, not an allocation. */
function inflateExactly(spec: CodecSpec, bytes: Uint8Array, expected: number): Uint8Array {
  let out: Buffer;
  try {
    out = inflateRawSync(bytes, { maxOutputLength: Math.max(1, expected) });
  } catch (e) {
    throw new CodecError(`codec "${spec.id}": deflate stream is corrupt (${(e as Error).message})`);
  }
  if (out.length !== expected) throw new CodecError(`codec "${spec.id}": deflate stream holds ${out.length} bytes, ${expected} expected`);
  return out;
}

/** Decodes n values; throws a CodecError naming what is wrong for any malformed input. */
export function decodeValues(spec: CodecSpec, c: CodedFeature, n: number): Float32Array {
  const { bytes } = c;
  switch (spec.kind) {
    case 'f32':
    case 'f32z': {
      const raw = spec.kind === 'f32z' ? inflateExactly(spec, bytes, 4 * n) : bytes;
      if (raw.length !== 4 * n) throw new CodecError(`codec "${spec.id}": payload has ${raw.length} bytes, ${n} values need ${4 * n}`);
      const out = new Float32Array(n);
      bytesOf(out).set(raw);
      for (let i = 0; i < n; i++) if (!Number.isFinite(out[i])) throw new CodecError(`codec "${spec.id}": value ${i} is not finite`);
      return out;
    }
    case 'f16': {
      if (bytes.length !== 2 * n) throw new CodecError(`codec "${spec.id}": payload has ${bytes.length} bytes, ${n} values need ${2 * n}`);
      const out = decodeFloat16(bytes, n);
      for (let i = 0; i < n; i++) if (!Number.isFinite(out[i])) throw new CodecError(`codec "${spec.id}": value ${i} is not finite`);
      return out;
    }
    case 'quant': {
      if (!Number.isFinite(c.scale) || !(c.scale > 0)) throw new CodecError(`codec "${spec.id}": scale must be finite and > 0, got ${c.scale}`);
      if (!Number.isFinite(c.offset)) throw new CodecError(`codec "${spec.id}": offset must be finite, got ${c.offset}`);
      let codes: Uint8Array;
      if (spec.entropy) codes = inflateExactly(spec, bytes, n);
      else {
        try {
          codes = unpackCodes(bytes, n, spec.bits!);
        } catch (e) {
          throw new CodecError(`codec "${spec.id}": ${(e as Error).message}`);
        }
      }
      return dequantize(codes, c);
    }
  }
}
