import { existsSync, readFileSync } from 'node:fs';
import { parsePlannerCheckpoint, type PlannerCheckpoint } from '../partition/multi/mahppo/checkpoint.js';
import type { HybridPolicy } from '../partition/multi/mahppo/hybrid-policy.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** Reads a MAHPPO planner file before anything starts; every error names the file and the fix. */
export function loadPlannerCheckpoint(path: string, field = 'partition.plannerCheckpoint'): PlannerCheckpoint {
  if (!existsSync(path)) throw new Error(`${field} ${path} does not exist: train one with \`coknight planner train --out ${path}\``);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${field} ${path} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  return parsePlannerCheckpoint(data, `${field} ${path}`);
}

export async function writePlannerCheckpoint(
  path: string,
  policy: HybridPolicy,
  meta: { network: string; servers: number; shareLevels: number; trainedThroughShields?: boolean },
): Promise<void> {
  const file = { format: 'coknight-mahppo/1', ...meta, shape: policy.shape, weights: await policy.save() };
  writeFileAtomic(path, `${JSON.stringify(file)}\n`);
}
