/** Cooperative head inference planners (issue 20): MLS, LC-PSS + OSDS, and the baselines, on site instances. */
import { solveExhaustive } from './exhaustive.js';
import { solveLcpss, type LcpssOptions } from './lcpss.js';
import { solveMls, solveSingle, solveSls, type SiteSolution } from './mls.js';
import { solveOsds, type OsdsOptions } from './osds.js';
import { siteModel } from './site-cost.js';
import type { SiteInstance } from './site-instance.js';

export * from './site-instance.js';
export * from './site-cost.js';
export { feasibleModes, blockExtent } from './blocks.js';
export { solveMls, solveMlsLive, solveSls, solveSingle, mlsForK, type SiteSolution } from './mls.js';
export { solveLcpss, averageScore, volumesOf, type Volume } from './lcpss.js';
export { solveOsds, actionToCuts, rollout } from './osds.js';
export { solveExhaustive, bestSplit } from './exhaustive.js';

export const SITE_ALGORITHMS = ['mls', 'lcpss-osds', 'sls', 'single', 'exhaustive'] as const;
export type SiteAlgorithm = (typeof SITE_ALGORITHMS)[number];

export interface SiteSolveOptions {
  readonly lcpss?: LcpssOptions;
  readonly osds?: OsdsOptions;
}

export async function solveSite(inst: SiteInstance, algorithm: SiteAlgorithm, o: SiteSolveOptions = {}): Promise<SiteSolution> {
  const m = siteModel(inst);
  switch (algorithm) {
    case 'mls':
      return solveMls(m);
    case 'sls':
      return solveSls(m);
    case 'single':
      return solveSingle(m);
    case 'exhaustive':
      return solveExhaustive(m);
    case 'lcpss-osds': {
      const { volumes } = solveLcpss(m, o.lcpss);
      const r = await solveOsds(m, volumes, o.osds);
      return { algorithm: r.algorithm, plan: r.plan, seconds: r.seconds, devicesUsed: r.devicesUsed };
    }
    default: {
      const never: never = algorithm;
      throw new Error(`unknown site algorithm ${String(never)}; use one of ${SITE_ALGORITHMS.join(', ')}`);
    }
  }
}
