/** Coknight transport: wire format, gRPC inference service, ZeroMQ params/uploads, pacing, batching. */
export * from './wire/index.js';
export * from './inference/index.js';
export * from './params.js';
export * from './uploads.js';
export * from './curve.js';
export * from './pacer.js';
export * from './backoff.js';
export * from './batcher.js';
