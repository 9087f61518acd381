/** Public V-trace API: `import { vtraceFromLogits } from 'coknight/vtrace'`. */
export { vtraceFromLogits, type ArrayOrTensor, type VtraceFromLogitsInput, type VtraceReturns } from './from-logits.js';
export {
  vtraceFlat,
  vtraceFromLogRhos,
  logRhosFromLogits,
  logSoftmaxAt,
  VtraceInputError,
  type VtraceOptions,
  type VtraceFlatInput,
  type VtraceFlatOutput,
  type VtraceFromLogRhosInput,
} from './vtrace.js';
export { impalaLoss, DEFAULT_BASELINE_COST, DEFAULT_ENTROPY_COST, type ImpalaLossInput, type ImpalaLossTerms } from './impala-loss.js';
