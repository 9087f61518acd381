/**
 * The asynchronous channels' messages (ZeroMQ parameters and uploads): rules, encoder and decoder
 * side by side.
 */
import { align4, checkUint, fail, type Reader, Writer } from './bytes.js';
import { type LayerBlob, LIMITS, MessageType, type ParamUpdate, type UploadChunk } from './messages.js';

// ---------------------------------------------------------------- ParamUpdate

export function encodeParamUpdate(m: ParamUpdate, version: number): Buffer {
  checkUint('ParamUpdate.version', m.version, 0xffffffff);
  if (m.layers.length > LIMITS.maxLayers) fail('BAD_FIELD', `ParamUpdate.layers has ${m.layers.length} entries; at most ${LIMITS.maxLayers}`);
  const total = m.layers.reduce((a, l) => a + align4(l.data.byteLength) + 8, 8);
  const w = new Writer(total);
  w.u32(m.version);
  w.u32(m.layers.length);
  const seen = new Set<number>();
  m.layers.forEach((l, i) => {
    checkUint(`ParamUpdate.layers[${i}].index`, l.index, LIMITS.maxSplitPoint);
    if (seen.has(l.index)) fail('BAD_FIELD', `ParamUpdate.layers[${i}].index ${l.index} appears twice`);
    seen.add(l.index);
    w.u32(l.index);
    w.u32(l.data.byteLength);
    w.bytes(l.data);
    w.pad4();
  });
  return w.finish(MessageType.ParamUpdate, version);
}

export function decodeParamUpdate(r: Reader): ParamUpdate {
  const version = r.u32('version');
  const n = r.u32('layers.length');
  if (n > LIMITS.maxLayers) fail('BAD_FIELD', `ParamUpdate.layers has ${n} entries; at most ${LIMITS.maxLayers}`);
  const layers: LayerBlob[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const index = r.u32(`layers[${i}].index`);
    checkUint(`ParamUpdate.layers[${i}].index`, index, LIMITS.maxSplitPoint);
    if (seen.has(index)) fail('BAD_FIELD', `ParamUpdate.layers[${i}].index ${index} appears twice`);
    seen.add(index);
    const len = r.u32(`layers[${i}].byteLength`);
    const data = r.bytes(`layers[${i}].data`, len);
    r.pad4(`layers[${i}].padding`);
    layers.push({ index, data });
  }
  r.end();
  return { type: 'ParamUpdate', version, layers };
}

// ---------------------------------------------------------------- UploadChunk

export function checkUploadChunk(m: Omit<UploadChunk, 'type'>): void {
  if (m.actorId.length === 0) fail('BAD_FIELD', 'UploadChunk.actorId must be a non-empty string');
  checkUint('UploadChunk.uploadId', m.uploadId, 0xffffffff);
  checkUint('UploadChunk.chunkCount', m.chunkCount, 0xffffffff, 1);
  checkUint('UploadChunk.chunkIndex', m.chunkIndex, m.chunkCount - 1);
  checkUint('UploadChunk.totalBytes', m.totalBytes, 0xffffffff);
  checkUint('UploadChunk.offset', m.offset, 0xffffffff);
  if (m.offset + m.data.length > m.totalBytes) {
    fail('BAD_LENGTH', `UploadChunk.data: offset ${m.offset} + ${m.data.length} bytes runs past totalBytes ${m.totalBytes}`);
  }
}

export function encodeUploadChunk(m: UploadChunk, version: number): Buffer {
  checkUploadChunk(m);
  const w = new Writer(48 + m.data.length);
  w.str('UploadChunk.actorId', m.actorId);
  w.u32(m.uploadId);
  w.u32(m.chunkIndex);
  w.u32(m.chunkCount);
  w.u32(m.totalBytes);
  w.u32(m.offset);
  w.json('UploadChunk.meta', m.meta);
  w.u32(m.data.length);
  w.bytes(m.data);
  return w.finish(MessageType.UploadChunk, version);
}

export function decodeUploadChunk(r: Reader): UploadChunk {
  const actorId = r.str('actorId');
  const uploadId = r.u32('uploadId');
  const chunkIndex = r.u32('chunkIndex');
  const chunkCount = r.u32('chunkCount');
  const totalBytes = r.u32('totalBytes');
  const offset = r.u32('offset');
  const meta = r.json('meta');
  const len = r.u32('data.length');
  const data = r.bytes('data', len);
  r.end();
  const m: UploadChunk = { type: 'UploadChunk', actorId, uploadId, chunkIndex, chunkCount, totalBytes, offset, data };
  if (meta !== undefined) m.meta = meta;
  checkUploadChunk(m);
  return m;
}
