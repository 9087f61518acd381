/** The Coknight byte formats: messages (header, types, limits), their codec, step blocks, and the typed contract. */
export * from './messages.js';
export { encode, decode, decodeAs, decodeHeader, blobAsFloat32, type Header } from './codec.js';
export {
  encodeStepBlock,
  decodeStepBlock,
  stepBlockBytes,
  MAX_INFLATED_BLOCK_BYTES,
  STEP_BLOCK_ENCODINGS,
  type BlockStep,
  type StepBlock,
  type StepBlockEncoding,
} from './step-block.js';
export * from './contract.js';
export { encodeStepRequest, stepRequestBytes } from './stream-messages.js';
export { ScratchBuffers } from './bytes.js';
