/** Split-feature codecs (MAHPPO §2): quantiser, bit-packing, float16, deflate, 1×1-conv autoencoder. */
export * from './quantize.js';
export * from './bitpack.js';
export * from './float16.js';
export * from './running-range.js';
export * from './spec.js';
export * from './payload.js';
export * from './autoencoder.js';
export * from './training-ops.js';
export * from './feature-codec.js';
