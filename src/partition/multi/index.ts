/** Several inference servers: the joint (server, split, share) problem, its analytic planners, the shield. */
export * from './instance.js';
export * from './cost.js';
export { evaluateMulti, countViolations, type MultiEvaluation } from './feasibility.js';
export {
  solveMultiGreedy,
  solveMultiDefp,
  solveMultiBruteForce,
  bestResponse,
  strategyTimes,
  MULTI_BRUTE_FORCE_LIMIT,
  type BestResponseResult,
} from './solvers.js';
export { solveMultiMilp, solveMultiMilpWith, buildMultiMilp, type MultiMilpResult } from './milp.js';
export { shieldActions, type ShieldResult } from './shield.js';
