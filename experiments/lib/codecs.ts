/**
 * Feature codecs for split-point activations: the hook where issue 13's compressed split points add
 * their rows to the cost-model and where-split-wins studies. A codec says how many bytes an activation
 * of `rawBytes` (float32) becomes at split y, and what encoding/decoding costs in FLOPs per value.
 * Only the identity codec exists on this branch; add entries to CODECS and every study that sweeps
 * codecs (where-split-wins, the split-point bytes table) gets a row per codec.
 */
export interface SplitCodec {
  readonly name: string;
  readonly description: string;
  /** Bytes on the wire of an activation of `rawBytes` at split y (0 < y < K). */
  bytes(y: number, rawBytes: number): number;
  /** FLOPs the device spends encoding (and the learner decoding) one activation of `rawBytes`. */
  encodeFlops(y: number, rawBytes: number): number;
}

export const IDENTITY_CODEC: SplitCodec = {
  name: 'none',
  description: 'float32 activations as the actor sends them today',
  bytes: (_y, raw) => raw,
  encodeFlops: () => 0,
};

export const CODECS: readonly SplitCodec[] = [IDENTITY_CODEC];
