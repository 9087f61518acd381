import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  codecFlops,
  codedBytes,
  CodecError,
  compressionRate,
  decodeValues,
  dequantize,
  encodeValues,
  fakeQuantize,
  FeatureCodec,
  fromHalf,
  packCodes,
  packedBytes,
  parseCodec,
  quantErrorBound,
  quantize,
  quantParams,
  QUANT_BITS,
  toHalf,
  unpackCodes,
  updateRange,
} from '../src/codec/index.js';
import { Rng } from '../src/util/rng.js';
import { ensureGradients } from '../src/backend/gradients.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients();
});

function randomFeature(n: number, seed: number, lo = -1, hi = 3): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.random());
}

describe('quantiser (Eqs. 1–2)', () => {
  // x = [0, 0.25, 0.5, 1, 2] on [min, max] = [0, 2]: Eq. 1 y = round((2^c − 1)·x/2).
  const x = Float32Array.from([0, 0.25, 0.5, 1, 2]);
  const hand: Record<number, number[]> = {
    1: [0, 0, 0, 1, 1], // 1·x/2 = 0, .125, .25, .5, 1: Math.round(0.5) = 1 (halves round up)
    2: [0, 0, 1, 2, 3], // 3·x/2 = 0, .375, .75, 1.5, 3
    4: [0, 2, 4, 8, 15], // 15·x/2 = 0, 1.875, 3.75, 7.5, 15
    8: [0, 32, 64, 128, 255], // 255·x/2 = 0, 31.875, 63.75, 127.5, 255
  };
  for (const cq of QUANT_BITS) {
    it(`c_q = ${cq}: codes and recovered values match hand-computed numbers`, () => {
      const q = quantParams(0, 2, cq);
      expect(q.scale).toBeCloseTo(2 / ((1 << cq) - 1), 12);
      const codes = quantize(x, cq, q);
      expect(Array.from(codes)).toEqual(hand[cq]);
      const back = dequantize(codes, q);
      // Eq. 2: x' = y·2/(2^c − 1)
      hand[cq].forEach((y, i) => expect(back[i]).toBeCloseTo((y * 2) / ((1 << cq) - 1), 6));
      for (let i = 0; i < x.length; i++) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(quantErrorBound(q) + 1e-6);
    });
  }
  it('clamps values outside the running range and rejects bad widths and ranges', () => {
    const q = quantParams(0, 1, 4);
    expect(Array.from(quantize(Float32Array.from([-5, 7, NaN]), 4, q))).toEqual([0, 15, 0]);
    expect(() => quantParams(0, 1, 3)).toThrow(/one of 1, 2, 4, 8/);
    expect(() => quantParams(NaN, 1, 4)).toThrow(/finite/);
    expect(quantize(Float32Array.from([0.5, 0.5]), 8, quantParams(0.5, 0.5, 8))[0]).toBe(0);
  });
  it('running range: first batch sets it, then an EMA of per-batch extremes', () => {
    let r = updateRange({ min: 0, max: 1, count: 0 }, Float32Array.from([1, -2, 4]));
    expect(r).toEqual({ min: -2, max: 4, count: 1 });
    r = updateRange(r, Float32Array.from([0, 2]), 0.5);
    expect(r).toEqual({ min: -1, max: 3, count: 2 });
  });
});

describe('bit-packing', () => {
  for (const cq of QUANT_BITS) {
    it(`c_q = ${cq}: packs exactly into ceil(n·c_q/8) bytes and round-trips every length`, () => {
      const rng = new Rng(cq);
      for (const n of [0, 1, 7, 8, 9, 31, 100, 1001]) {
        const codes = Uint8Array.from({ length: n }, () => Math.floor(rng.random() * (1 << cq)));
        const packed = packCodes(codes, cq);
        expect(packed.length).toBe(Math.ceil((n * cq) / 8));
        expect(packedBytes(n, cq)).toBe(packed.length);
        expect(Array.from(unpackCodes(packed, n, cq))).toEqual(Array.from(codes));
      }
    });
  }
  it('bit layout: first code in the lowest bits', () => {
    expect(Array.from(packCodes(Uint8Array.from([1, 0, 1, 1, 0, 0, 0, 1, 1]), 1))).toEqual([0b10001101, 0b1]);
    expect(Array.from(packCodes(Uint8Array.from([3, 0, 2, 1]), 2))).toEqual([0b01100011]);
    expect(Array.from(packCodes(Uint8Array.from([0xa, 0x5, 0xf]), 4))).toEqual([0x5a, 0x0f]);
  });
  it('rejects codes that do not fit and buffers of the wrong length', () => {
    expect(() => packCodes(Uint8Array.from([4]), 2)).toThrow(/does not fit in 2 bits/);
    expect(() => unpackCodes(new Uint8Array(3), 13, 2)).toThrow(/has 3 bytes; 13 codes of 2 bits need 4/);
    expect(() => unpackCodes(new Uint8Array(2), 9, 2)).toThrow(/need 3/);
  });
});

describe('codec specs and Eq. 3', () => {
  const shape = [8, 8, 16]; // MinAtar layer 1: 1024 floats, 4096 B
  it('packed sizes equal Eq. 3: R = ch·32 / (ch′·c_q)', () => {
    for (const cq of QUANT_BITS) {
      for (const k of [1, 2, 4, 8]) {
        const s = parseCodec(`ae${k}q${cq}`);
        expect(codedBytes(s, shape)).toBe((64 * k * cq) / 8);
        expect(compressionRate(s, shape)).toBeCloseTo((16 * 32) / (k * cq), 12);
      }
      expect(compressionRate(parseCodec(`q${cq}`), shape)).toBe(32 / cq);
    }
    expect(codedBytes(parseCodec('f32'), shape)).toBe(4096);
    expect(codedBytes(parseCodec('f16'), shape, 3)).toBe(3 * 2048);
    // ae4q4 on [8,8,16]: 64 positions × 4 ch × 4 bits = 128 B, R = 16·32/(4·4) = 32
    expect(codedBytes(parseCodec('ae4q4'), shape)).toBe(128);
    // encoder and decoder FLOPs: 2·64·16·4 = 8192 each
    expect(codecFlops(parseCodec('ae4q4'), shape)).toEqual({ encoder: 8192, decoder: 8192 });
    expect(codecFlops(parseCodec('q4'), shape)).toEqual({ encoder: 0, decoder: 0 });
  });
  it('bad ids and encoders that do not shrink fail with the valid forms', () => {
    expect(() => parseCodec('ae4q3')).toThrow(/unknown codec "ae4q3": use f32/);
    expect(() => parseCodec('q4z')).toThrow(/q8z/);
    expect(() => new FeatureCodec('ae16q4', shape)).toThrow(/fewer than the feature's 16/);
    expect(parseCodec('f32z').lossy).toBe(false);
    expect(parseCodec('q8z').lossy).toBe(true);
  });
});

describe('payload codecs', () => {
  it('float16: exact on representable values, round-to-nearest-even, inf/nan, subnormals', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 2 ** -24, 2 ** -14, 1.5, -0.375]) expect(fromHalf(toHalf(v))).toBe(v);
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even (1.0)
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (1 + 2^-9)
    expect(fromHalf(toHalf(1e6))).toBe(Infinity);
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
    const x = randomFeature(500, 3);
    const back = decodeValues(parseCodec('f16'), encodeValues(parseCodec('f16'), x), 500);
    for (let i = 0; i < x.length; i++) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -11 + 2 ** -25);
  });
  it('f32z is lossless and shrinks sparse (ReLU) features; q8z matches q8 after inflating', () => {
    const x = randomFeature(4096, 4).map((v) => Math.max(0, v - 2)); // ~75% zeros
    const s = parseCodec('f32z');
    const c = encodeValues(s, x);
    expect(c.bytes.length).toBeLessThan(4 * x.length * 0.5);
    expect(decodeValues(s, c, x.length)).toEqual(x);
    const q = quantParams(0, 1, 8);
    const a = decodeValues(parseCodec('q8z'), encodeValues(parseCodec('q8z'), x, q), x.length);
    const b = decodeValues(parseCodec('q8'), encodeValues(parseCodec('q8'), x, q), x.length);
    expect(a).toEqual(b);
  });
  it('corrupted payloads are CodecErrors naming the problem', () => {
    const q4 = parseCodec('q4');
    const good = encodeValues(q4, randomFeature(10, 5), quantParams(-1, 3, 4));
    expect(good.bytes.length).toBe(5);
    expect(() => decodeValues(q4, { ...good, bytes: good.bytes.subarray(0, 4) }, 10)).toThrow(CodecError);
    expect(() => decodeValues(q4, { ...good, scale: NaN }, 10)).toThrow(/scale must be finite and > 0, got NaN/);
    expect(() => decodeValues(q4, { ...good, scale: -1 }, 10)).toThrow(/scale/);
    expect(() => decodeValues(q4, { ...good, offset: Infinity }, 10)).toThrow(/offset/);
    expect(() => decodeValues(parseCodec('q8z'), { ...good, bytes: Uint8Array.from([1, 2, 3]) }, 10)).toThrow(/deflate stream/);
    const f = encodeValues(parseCodec('f32'), Float32Array.from([1, NaN]));
    expect(() => decodeValues(parseCodec('f32'), f, 2)).toThrow(/value 1 is not finite/);
  });
});

describe('1×1-conv autoencoder', () => {
  const shape = [4, 4, 8];
  it('identity encoder+decoder reproduce the feature within the quantisation error bound, every c_q', () => {
    const n = 3;
    const x = randomFeature(n * 128, 6, 0, 2);
    for (const cq of QUANT_BITS) {
      // ch′ = ch - 0 is not allowed (no shrink), so compare the q codec (no convs) with a selecting
      // ae codec whose dropped channels are zero in the input.
      const codec = new FeatureCodec(`q${cq}`, shape);
      codec.range = { min: 0, max: 2, count: 1 };
      const back = codec.decode(codec.encode(x, n), n);
      const bound = quantErrorBound(codec.quantParams()!);
      for (let i = 0; i < x.length; i++) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(bound + 1e-6);
      codec.dispose();
    }
    const y = x.map((v, i) => (i % 8 < 4 ? v : 0)); // channels 4..7 zero
    for (const cq of QUANT_BITS) {
      const ae = new FeatureCodec(`ae4q${cq}`, shape, { init: 'select' });
      ae.range = { min: 0, max: 2, count: 1 };
      const coded = ae.encode(y, n);
      expect(coded.bytes.length).toBe((n * 16 * 4 * cq) / 8);
      const back = ae.decode(coded, n);
      const bound = quantErrorBound(ae.quantParams()!);
      for (let i = 0; i < y.length; i++) expect(Math.abs(back[i] - y[i])).toBeLessThanOrEqual(bound + 1e-6);
      ae.dispose();
    }
  });
  it('state() / load() carry weights and range; mismatches fail naming the field', () => {
    const a = new FeatureCodec('ae2q4', shape, { seed: 1 });
    a.range = { min: -1, max: 5, count: 7 };
    a.version = 9;
    const b = new FeatureCodec('ae2q4', shape, { seed: 2 });
    b.load(a.state());
    expect(b.state()).toEqual(a.state());
    const x = randomFeature(128, 8);
    expect(b.decode(a.encode(x, 1), 1)).toEqual(a.decode(a.encode(x, 1), 1));
    expect(() => b.load({ ...a.state(), codec: 'ae4q4' })).toThrow(/codec is "ae4q4"/);
    expect(() => b.load({ ...a.state(), range: { min: 2, max: 1, count: 1 } })).toThrow(/max >= min/);
    expect(() => b.load({ ...a.state(), encoder: { kernel: [1], bias: [] } })).toThrow(/encoder has 1\+0 values/);
    a.dispose();
    b.dispose();
  });
  it('fakeQuantize rounds forward and passes gradients straight through', () => {
    const x = tf.tensor1d([0.1, 0.4, 0.9, 1.7]);
    const y = fakeQuantize(x, 0.5, 0, 1); // grid {0, 0.5}
    expect(Array.from(y.dataSync())).toEqual([0, 0.5, 0.5, 0.5]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fakeQuantize(v, 0.5, 0, 1), 3)))(x);
    expect(Array.from(g.dataSync())).toEqual([3, 3, 3, 3]);
    tf.dispose([x, y, g]);
  });
});
