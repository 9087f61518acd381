/** Coknight partition library: cost model, solvers (DEFP, IGreedy, OGreedy, MILP, brute force), simulator. */
export * from './instance.js';
export * from './cost.js';
export * from './strategies.js';
export { evaluateAssignment, type Evaluation } from './feasibility.js';
export { DefpPartitioner, solveDefp, type AssignmentChange, type DefpOptions, type DefpSolveOptions } from './defp.js';
export { solveIGreedy, solveOGreedy } from './greedy.js';
export { solveMilp, buildMilp, type MilpOptions, type MilpResult } from './milp.js';
export { solveBruteForce, BRUTE_FORCE_LIMIT } from './bruteforce.js';
export { solvePartition, ALGORITHMS, isAlgorithm, type Algorithm, type PartitionResult, type SolveOptions } from './solve.js';
export * from './networks.js';
export * from './profiles.js';
export * from './simulate.js';
export { variance, median } from './stats.js';
export * from './codec-options.js';
